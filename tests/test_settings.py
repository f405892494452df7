"""Configuration comes from the environment through one typed object, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from frontoffice.settings import ENVIRONMENT, Settings
from servicedesk.errors import ConfigurationError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_are_local_mode_on_the_embedded_database() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.db_url == "sqlite:///var/frontoffice.db"
    assert settings.production is False


def test_environment_values_are_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "FRONTOFFICE_PORT": "8080",
            "FRONTOFFICE_ALLOWED_TENANTS": "t1, t2 ,",
            "MicrosoftAppId": "app",
            "FRONTOFFICE_MIGRATE_ON_START": "false",
            "FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS": "0.5",
        }
    )
    assert settings.port == 8080
    assert settings.allowed_tenants == frozenset({"t1", "t2"})
    assert settings.production is True
    assert settings.migrate_on_start is False
    assert settings.knowledge_reload_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FRONTOFFICE_PORT", "eighty", "whole number"),
        ("FRONTOFFICE_MIGRATE_ON_START", "maybe", "true or false"),
        ("FRONTOFFICE_DEFAULT_LANGUAGE", "de", "nl or en"),
        ("FRONTOFFICE_LOG_FORMAT", "xml", "json or text"),
    ],
)
def test_bad_values_are_clear_errors(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({name: value})


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"FRONTOFFICE_PORT": "1"}).with_overrides(port=4000, host=None)
    assert settings.port == 4000
    assert settings.host == "127.0.0.1"


def test_readme_documents_every_variable_and_only_those() -> None:
    rows = re.findall(r"^\| `([A-Za-z_]+)` \|", README.read_text("utf-8"), flags=re.M)
    assert rows == list(ENVIRONMENT)
