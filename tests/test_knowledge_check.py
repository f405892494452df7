"""`frontoffice knowledge check`: the shipped knowledge passes; broken copies fail precisely."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.loader import DEFAULT_DIR, check_knowledge

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<field>[^:]+): (?P<message>.+)$")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _problems(folder: Path) -> list[str]:
    knowledge, problems = check_knowledge(folder)
    assert knowledge is None
    assert problems
    for problem in problems:
        assert LINE.match(problem), problem
    return problems


def test_shipped_knowledge_is_valid() -> None:
    knowledge, problems = check_knowledge(DEFAULT_DIR)
    assert problems == []
    assert knowledge is not None
    assert len(knowledge.products) == 47


def test_cli_exits_0_on_the_shipped_knowledge() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "frontoffice.cli", "knowledge", "check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


def test_cli_exits_1_with_one_line_per_problem(copy: Path) -> None:
    lift = copy / "products" / "storing.lift.yaml"
    _edit(lift, "queue: technische-dienst", "queue: liftonderhoud")
    _edit(lift, "priority: P1", "priority: P9")
    result = subprocess.run(
        [sys.executable, "-m", "frontoffice.cli", "knowledge", "check", str(copy)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"{lift}:{_line_of(lift, 'queue: liftonderhoud')}: queue: unknown queue 'liftonderhoud'",
        f"{lift}:{_line_of(lift, 'priority: P9')}: priority: unknown SLA class 'P9'",
    ]


def test_duplicate_product_id_across_files_is_reported(copy: Path) -> None:
    source = copy / "products" / "storing.lift.yaml"
    twin = copy / "products" / "storing.lift2.yaml"
    shutil.copy(source, twin)
    problems = _problems(copy)
    assert any(
        p.startswith(
            f"{twin}:{_line_of(twin, 'id: storing.lift')}: id: duplicate id 'storing.lift'"
        )
        for p in problems
    ), problems


def test_missing_translation_names_the_field_and_line(copy: Path) -> None:
    path = copy / "products" / "catering.lunch.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    english_name = data["name"]["en"]
    _edit(path, f"en: {english_name}", "")
    problems = _problems(copy)
    assert any(f"{path}:" in p and "name.en: missing translation (en)" in p for p in problems), (
        problems
    )


def test_faq_without_answer_is_reported(copy: Path) -> None:
    path = copy / "products" / "parkeren.yaml"
    text = path.read_text("utf-8")
    start = text.index("    answer:")
    end = text.index("\n  - id:", start)
    path.write_text(text[:start] + text[end + 1 :], "utf-8")
    problems = _problems(copy)
    assert any(f"{path}:" in p and re.search(r"faq\[0\]\.answer: required", p) for p in problems), (
        problems
    )


def test_unknown_field_kind_is_reported(copy: Path) -> None:
    path = copy / "products" / "parkeren.yaml"
    _edit(path, "fields: [when, plate, description]", "fields: [when, plate, shoe_size]")
    problems = _problems(copy)
    line = _line_of(path, "shoe_size")
    assert any(
        p.startswith(f"{path}:{line}: fields[2]: unknown value 'shoe_size'") for p in problems
    ), problems


def test_yaml_syntax_error_points_at_the_line(copy: Path) -> None:
    path = copy / "queues.yaml"
    path.write_text(path.read_text("utf-8") + "broken: [unclosed\n", "utf-8")
    problems = _problems(copy)
    assert any(p.startswith(f"{path}:") and ": yaml: " in p for p in problems), problems


def test_unknown_key_and_too_few_faq_are_reported(copy: Path) -> None:
    path = copy / "products" / "idee.yaml"
    _edit(path, "kwis: wens", "kwis: wens\ncolour: blue")
    problems = _problems(copy)
    assert any(
        f"{path}:{_line_of(path, 'colour: blue')}: colour: unknown field" in p for p in problems
    ), problems


def test_file_name_must_match_the_id(copy: Path) -> None:
    (copy / "products" / "idee.yaml").rename(copy / "products" / "ideas.yaml")
    problems = _problems(copy)
    assert any("ideas.yaml" in p and "file name must be idee.yaml" in p for p in problems)


def test_redirect_with_a_queue_is_reported(copy: Path) -> None:
    path = copy / "products" / "redirect.hr.yaml"
    _edit(path, "redirect:", "queue: frontoffice\nredirect:")
    problems = _problems(copy)
    assert any(f"{path}:" in p and "a redirect product has no queue" in p for p in problems)
