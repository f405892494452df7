"""Dependencies point inward: the core and the knowledge never import the SDK or the edges."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = (
    "botbuilder",
    "botframework",
    "aiohttp",
    "bot",
    "dialogs",
    "backoffice_adapter",
    "frontoffice",
)


def _modules(package: str) -> list[str]:
    names = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        if ".migrations" not in info.name:
            names.append(info.name)
    return names


def _loaded_by(package: str) -> list[str]:
    """Every module loaded, in a fresh interpreter, by importing all of ``package``."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {_modules(package)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return list(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("servicedesk", (*FORBIDDEN, "knowledge")), ("knowledge", FORBIDDEN)],
)
def test_core_packages_do_not_import_the_sdk_or_the_edges(
    package: str, forbidden: tuple[str, ...]
) -> None:
    loaded = _loaded_by(package)
    leaked = sorted({m for m in loaded for f in forbidden if m == f or m.startswith(f + ".")})
    assert leaked == [], f"{package} pulls in {leaked}"


def test_dialogs_do_not_import_the_sdk() -> None:
    loaded = _loaded_by("dialogs")
    assert not [m for m in loaded if m.startswith(("botbuilder", "botframework", "aiohttp"))]


def test_the_console_does_not_import_the_sdk() -> None:
    """The desk console is an edge of its own: it reaches tickets and knowledge through the
    core and the decision pipeline, never through the Bot Framework SDK."""
    loaded = _loaded_by("console")
    assert not [m for m in loaded if m.startswith(("botbuilder", "botframework"))]
