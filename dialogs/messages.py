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
    data: dict[str, Any] = yaml.safe_load((LOCALES / f"{language}.yaml").read_text("utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def t(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language`` (Dutch when unknown), with values filled in."""
    texts = catalogue(language if language in LANGUAGES else "nl")
    return texts[key].format(**values) if values else texts[key]
