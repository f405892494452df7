"""The bot's Adaptive Cards, checked and drawn by the official Adaptive Cards library.

tests/cards_sample.py builds sample cards with the real builders; they are written to
build/cards/json/, validated by e2e/cards.cjs (the library's parse and validation events
plus our own rules: version 1.5, a verb on every Action.Execute, data an object, unique
input ids) and rendered in Debian's Chromium into build/cards/png/<name>.{desktop,mobile}.png.

Skipped only when e2e/node_modules is missing and FRONTOFFICE_E2E is not "required"
(`make test` installs it). A missing Chromium fails the render test, with what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.cards_sample import sample_cards

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "e2e" / "cards.cjs"
NODE_MODULES = ROOT / "e2e" / "node_modules"
JSON_DIR = ROOT / "build" / "cards" / "json"
PNG_DIR = ROOT / "build" / "cards" / "png"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
LAYOUTS = {"desktop": 700, "mobile": 400}

if not (NODE_MODULES / "adaptivecards").exists():
    reason = f"{NODE_MODULES} missing: run `make e2e/node_modules` (npm ci --prefix e2e)"
    if os.environ.get("FRONTOFFICE_E2E") == "required":
        raise RuntimeError(f"FRONTOFFICE_E2E=required but {reason}")
    pytest.skip(reason, allow_module_level=True)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH, but e2e/node_modules is installed")
    return node


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _reports(output: str) -> dict[str, dict[str, Any]]:
    reports = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {report["file"]: report for report in reports}


@pytest.fixture(scope="module")
def card_dir() -> Path:
    """The sample cards as build/cards/json/<name>.json (older files removed)."""
    JSON_DIR.mkdir(parents=True, exist_ok=True)
    for old in JSON_DIR.glob("*.json"):
        old.unlink()
    for name, card in sample_cards().items():
        (JSON_DIR / f"{name}.json").write_text(
            json.dumps(card, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
    return JSON_DIR


def test_there_are_sample_cards_with_safe_names() -> None:
    cards = sample_cards()
    assert {"choose_nl", "notice_nl"} <= set(cards)
    for name in cards:
        assert name.replace("_", "").replace("-", "").isalnum() and name.islower(), name


def test_the_sample_cards_are_valid(card_dir: Path) -> None:
    result = _run("validate", str(card_dir))
    reports = _reports(result.stdout)
    problems = {name: r["errors"] for name, r in reports.items() if r["errors"]}
    assert result.returncode == 0 and not problems, (problems, result.stderr)
    assert set(reports) == {f"{name}.json" for name in sample_cards()}


def test_the_validator_reports_broken_cards(tmp_path: Path) -> None:
    broken = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlok", "text": "typo in the element type"},
            {"type": "Input.Text", "id": "note"},
            {"type": "Input.Text", "id": "note"},
        ],
        "actions": [
            {"type": "Action.Execute", "title": "No verb", "data": {}},
            {"type": "Action.Execute", "title": "List data", "verb": "x.y", "data": [1]},
        ],
    }
    old = {"type": "AdaptiveCard", "version": "1.2", "body": [{"type": "TextBlock", "text": "hi"}]}
    good = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "ok"}]}
    (tmp_path / "broken.json").write_text(json.dumps(broken), "utf-8")
    (tmp_path / "old.json").write_text(json.dumps(old), "utf-8")
    (tmp_path / "good.json").write_text(json.dumps(good), "utf-8")
    (tmp_path / "garbage.json").write_text("{not json", "utf-8")

    result = _run("validate", str(tmp_path))

    assert result.returncode == 1, result.stdout + result.stderr
    reports = _reports(result.stdout)
    errors = "\n".join(reports["broken.json"]["errors"])
    assert "Unknown element type" in errors and "TextBlok" in errors
    assert '"No verb" has no verb' in errors
    assert '"List data" data is not an object' in errors
    assert 'input id "note" is also used' in errors
    assert any("1.2" in e for e in reports["old.json"]["errors"])
    assert reports["garbage.json"]["errors"][0].startswith("not JSON")
    assert reports["good.json"] == {"file": "good.json", "errors": [], "warnings": [], "ok": True}


def test_the_sample_cards_render_in_chromium(card_dir: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` "
            "(apt-get install chromium; .ci/run does this) or set CHROMIUM to another build",
            pytrace=False,
        )
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    for old in PNG_DIR.glob("*.png"):
        old.unlink()

    result = _run("render", str(card_dir), str(PNG_DIR), timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    for name in sample_cards():
        for layout, width in LAYOUTS.items():
            png = PNG_DIR / f"{name}.{layout}.png"
            assert png.is_file(), f"{png} was not written: {result.stdout}{result.stderr}"
            assert png.stat().st_size > 2048, f"{png} is only {png.stat().st_size} bytes"
            with Image.open(png) as image:
                assert image.format == "PNG"
                assert image.width == width, (png, image.size)
                assert 40 <= image.height <= 4000, (png, image.size)
                pixels = image.convert("L")
                dark = sum(pixels.histogram()[:160])  # text and borders, not the white card
            assert dark > 200, f"{png} looks blank ({dark} dark pixels)"
