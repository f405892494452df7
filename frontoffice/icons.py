"""The Teams app icons, drawn by the project with Pillow (a front-desk service bell).

Deterministic: the same accent colour always gives the same bytes, so the icons
need not be committed as binary files.
"""

from __future__ import annotations

import io
from typing import Any

COLOR_SIZE = 192
OUTLINE_SIZE = 32
DEFAULT_ACCENT_COLOR = "#1E6F5C"


_SUPERSAMPLE = 8


def _bell_mask(size: int, margin: float) -> Any:
    """A front-desk service bell, white (255) on black (0), anti-aliased, ``size`` square.

    Drawn in a unit square at eight times the size and scaled down; ``margin`` is
    the empty border as a fraction of the side.
    """
    from PIL import Image, ImageDraw

    big = size * _SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    inner = big * (1 - 2 * margin)
    offset = big * margin

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (offset + x0 * inner, offset + y0 * inner, offset + x1 * inner, offset + y1 * inner)

    draw.ellipse(box(0.42, 0.08, 0.58, 0.24), fill=255)  # the knob
    draw.rectangle(box(0.46, 0.20, 0.54, 0.34), fill=255)  # its stem
    draw.pieslice(box(0.12, 0.30, 0.88, 1.06), start=180, end=360, fill=255)  # the dome
    draw.rounded_rectangle(box(0.02, 0.74, 0.98, 0.90), radius=0.04 * inner, fill=255)  # base
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def color_icon(accent_color: str = DEFAULT_ACCENT_COLOR) -> bytes:
    """The colour icon: 192x192, full bleed, a white bell on the accent colour, the bell
    inside the central 120x120 safe area (Teams masks the square to its own shape)."""
    from PIL import Image

    background = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), accent_color)
    white = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), "#FFFFFF")
    background.paste(white, (0, 0), _bell_mask(COLOR_SIZE, margin=0.20))
    return _png(background)


def outline_icon() -> bytes:
    """The outline icon: 32x32, white on transparent (partly transparent white at the edges)."""
    from PIL import Image

    icon = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    icon.putalpha(_bell_mask(OUTLINE_SIZE, margin=0.06))
    return _png(icon)
