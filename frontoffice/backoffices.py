"""Build the configured back offices (knowledge ``backoffices.yaml`` + secrets from env)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from backoffice_adapter.builtin import BuiltinBackOffice
from knowledge.model import BackOfficeConfig
from servicedesk.backoffice import BackOffice
from servicedesk.errors import ConfigurationError


def _secret(name: str | None, env: Mapping[str, str], what: str) -> str:
    value = env.get(name or "", "")
    if not value:
        raise ConfigurationError(f"{what}: environment variable {name} is not set")
    return value


def build_backoffices(
    configs: Mapping[str, BackOfficeConfig],
    env: Mapping[str, str] | None = None,
    product_names: Mapping[str, str] | None = None,
) -> dict[str, BackOffice]:
    env = os.environ if env is None else env
    built: dict[str, BackOffice] = {"builtin": BuiltinBackOffice()}
    for name, config in configs.items():
        if config.kind == "topdesk":
            from backoffice_adapter.topdesk import TopdeskBackOffice

            assert config.url and config.login
            built[name] = TopdeskBackOffice(
                config.url,
                config.login,
                _secret(config.password_env, env, f"back office {name}"),
                operator_group=config.operator_group,
                category=config.category,
                subcategory=config.subcategory,
                priority_map=dict(config.priorities),
                call_type=None,
                timeout=config.timeout_seconds,
                product_names=product_names,
            )
        elif config.kind == "webhook":
            from backoffice_adapter.webhook import WebhookBackOffice

            assert config.url
            built[name] = WebhookBackOffice(
                config.url,
                _secret(config.secret_env, env, f"back office {name}"),
                config.timeout_seconds,
            )
        else:
            built[name] = BuiltinBackOffice()
    return built
