"""Fuzzing, the fast slice of ``make fuzz``: every target with a few hundred inputs (a
fixed seed, so a failure here is the same failure on every run), and properties of
the edge's own checks with hypothesis.

The full campaign (100,000 inputs, a new seed each run) is ``make fuzz``; see
tests/fuzz/ and docs/TESTING.md.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.invokes import card_action_problem
from bot.json_body import MAX_DEPTH, BodyError, depth_exceeds, has_lone_surrogate, parse_json
from dialogs.understand import NO_DIALOG, understand
from knowledge.loader import DEFAULT_DIR, check_knowledge
from knowledge.reload import Snapshot
from tests.fuzz.runner import run_target
from tests.fuzz.targets import parser_calls

SEED = 20261204
SLICE = {  # inputs per target: about 3,500 in all
    "messages": 600,
    "invokes": 400,
    "updates": 200,
    "ticket-api": 300,
    "webhook": 150,
    "schemathesis": 150,
    "parsers": 1300,
    "understand": 300,
    "knowledge": 40,
}
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(SLICE))
def test_a_slice_of_fuzzed_inputs_gets_no_5xx_no_exception_and_no_hang(target: str) -> None:
    result = run_target(target, SLICE[target], SEED)
    assert result.tried >= SLICE[target] * 0.9
    assert not result.findings, "\n\n".join(
        f"{f.why}\n{json.dumps(f.request)[:1500]}\n{f.body[:500]!r}" for f in result.findings[:3]
    )


# -- the edge's checks --------------------------------------------------------------------


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(JSON)
def test_json_within_the_depth_limit_parses_as_json_loads_does(value: Any) -> None:
    raw = json.dumps(value).encode()
    assert parse_json(raw) == json.loads(raw)
    assert depth_exceeds(value, _depth(value)) is False
    if _depth(value) > 1:
        assert depth_exceeds(value, _depth(value) - 1) is True


@given(st.integers(min_value=MAX_DEPTH + 1, max_value=50_000), st.booleans())
def test_json_past_the_depth_limit_is_refused_whatever_the_depth(depth: int, arrays: bool) -> None:
    if arrays:
        body = "[" * depth + "1" + "]" * depth
    else:
        body = '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)
    with pytest.raises(BodyError) as caught:
        parse_json(body.encode())
    assert caught.value.code == "too_deep"


@given(st.text())
def test_a_lone_surrogate_is_found_and_paired_ones_are_not(text: str) -> None:
    raw = json.dumps({"text": text}).encode()  # ensure_ascii: every non-ASCII as \\u escapes
    lone = bool(re.search("[\ud800-\udfff]", text))
    if lone:
        with pytest.raises(BodyError):
            parse_json(raw)
    else:
        assert parse_json(raw) == {"text": text}
    assert has_lone_surrogate({"x": [text]}) is lone


@given(JSON)
def test_any_invoke_value_is_routed_or_refused_with_a_reason(value: Any) -> None:
    problem = card_action_problem(value)
    if problem is None:
        assert value["action"]["type"] == "Action.Execute"
        assert isinstance(value["action"].get("verb", ""), str)
    else:
        assert problem.startswith("value")


# -- intake parsers, understanding, the knowledge loader ---------------------------------

_PARSERS = parser_calls()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(sorted(_PARSERS)), st.text(max_size=2_000))
def test_every_intake_parser_reads_any_unicode_without_an_exception(name: str, text: str) -> None:
    _PARSERS[name](text)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=2_000))
def test_understand_reads_any_unicode_without_an_exception(snapshot: Snapshot, text: str) -> None:
    understood = understand(text.strip(), NO_DIALOG, snapshot, NOW)
    assert understood.act is not None


@pytest.fixture(scope="module")
def knowledge_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("knowledge") / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


@settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.sampled_from(["organisation.yaml", "queues.yaml", "sla.yaml"]), st.text(max_size=300))
def test_a_knowledge_file_of_any_text_gives_file_and_line_problems(
    knowledge_copy: Path, name: str, text: str
) -> None:
    path = knowledge_copy / name
    original = (DEFAULT_DIR / name).read_text("utf-8")
    try:
        path.write_text(text, "utf-8", errors="surrogatepass")
        knowledge, problems = check_knowledge(knowledge_copy)
    finally:
        path.write_text(original, "utf-8")
    assert knowledge is not None or problems
    for problem in problems:
        assert re.match(r"^.+:\d+: \S", problem), problem
