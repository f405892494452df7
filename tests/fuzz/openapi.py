"""The ticket API fuzzed by schemathesis from docs/openapi.yaml, against the app on
loopback, with the bearer token.

Each operation gets valid cases (positive mode: the app must not fail them) and
invalid ones (negative mode: the app must refuse them with a 4xx); every response is
checked by schemathesis for a server error, a status code the document does not list,
and a body that does not match the document's schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.harness import TOKEN, LoopbackApp

if TYPE_CHECKING:
    from tests.fuzz.targets import Result

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def operations() -> list[Any]:
    schema = schemathesis.openapi.from_path(DOCUMENT)
    return [result.ok() for result in schema.get_all_operations()]


def run_schemathesis(app: LoopbackApp, count: int, seed: int, result: Result) -> None:
    ops = operations()
    plans = [(op, mode) for op in ops for mode in GenerationMode]
    each = max(1, count // len(plans))
    for op, mode in plans:
        _run_operation(app, op, mode, each, seed, result)


def _run_operation(
    app: LoopbackApp, op: Any, mode: GenerationMode, each: int, seed: int, result: Result
) -> None:
    from tests.fuzz.targets import Finding

    def run_case(case: Any) -> None:
        response = case.call(base_url=app.base_url, headers={"Authorization": f"Bearer {TOKEN}"})
        result.tried += 1
        status = response.status_code
        bucket = f"{status // 100}xx"
        result.statuses[bucket] = result.statuses.get(bucket, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis's failures
            why = f"{mode.value}: HTTP {status}: " + _first_failure(exc)
            body = case.body if not _unset(case.body) else None
            request = {
                "method": case.method,
                "path": case.formatted_path,
                "query": case.query or {},
                "detail": str(exc)[:3000] + "\n" + response.text[:1000],
            }
            raw = _raw(body)
            result.findings.append(Finding("schemathesis", why, request, raw))

    test = given(case=op.as_strategy(generation_mode=mode))(run_case)
    test = settings(
        max_examples=each,
        phases=[Phase.explicit, Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )(test)
    hypothesis.seed(seed)(test)()


def _unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


def _first_failure(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:300]


def _raw(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, default=str).encode()
