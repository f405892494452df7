"""Message catalogues: what employees read, in Dutch and English."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("nl", "en")


@cache
def catalogue(language: str) -> dict[str, str]:
    """``locales/<language>.yaml`` plus the area files ``locales/<language>.<area>.yaml``."""
    texts: dict[str, str] = {}
    files = [LOCALES / f"{language}.yaml", *sorted(LOCALES.glob(f"{language}.*.yaml"))]
    for path in files:
        data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8")) or {}
        for key, value in data.items():
            if str(key) in texts:
                raise ValueError(f"{path.name}: message {key!r} is defined twice")
            texts[str(key)] = str(value)
    return texts


def t(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language`` (Dutch when unknown), with values filled in."""
    texts = catalogue(language if language in LANGUAGES else "nl")
    return texts[key].format(**values) if values else texts[key]
