"""Fonts of the figures (matplotlib): those installed, text kept as text, one warning at most.

Figures keep their text as text: ``<text>`` elements in SVG (editable in slide tools, drawn
by the viewer's fonts) and embedded TrueType in PDF (:func:`text_settings`). The font list
is :data:`FONT_FAMILY` filtered to the fonts matplotlib finds, so a missing CJK font is not
asked for; matplotlib warns once per missing glyph, so drawing is done under
:func:`quiet_glyphs` and the caller warns once (:class:`MissingGlyphWarning`) with what
:func:`missing_glyphs` found.

>>> font_family()[0]
'DejaVu Sans'
>>> sorted(missing_glyphs(["Osaka", "大阪"], ["DejaVu Sans"]))
['大', '阪']

:func:`text_extent` measures a line of text as the figure lays it out (matplotlib's metrics),
so a test can check an SVG's ``<text>`` boxes with the same numbers:

>>> width, height, descent = text_extent("Tokyo", 9.0)
>>> 20 < width < 30, 6 < height < 11, 1 < descent < 3
(True, True, True)
>>> text_extent("Tokyo", 9.0, bold=True)[0] > width
True
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

#: Fonts tried in order; the CJK ones draw Japanese and Chinese (Debian: fonts-noto-cjk).
FONT_FAMILY = ("DejaVu Sans", "Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic")


class MissingGlyphWarning(UserWarning):
    """No installed font draws some characters of a figure's text."""


#: File names of the fonts in :data:`FONT_FAMILY` besides DejaVu (Debian's packages).
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSansJP-Regular",
              "ipaexg.ttf")  # fmt: skip


@cache
def font_family() -> list[str]:
    """The fonts of :data:`FONT_FAMILY` that matplotlib finds (DejaVu Sans, its own, at least).

    matplotlib lists the system's fonts once, in a cache: a CJK font installed after that
    is looked for among the system's font files (:data:`FONT_FILES`) and added."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    available = {font.name for font in manager.ttflist}
    if not set(FONT_FAMILY) & (available - {"DejaVu Sans"}):
        for path in font_manager.findSystemFonts():
            if Path(path).name.startswith(FONT_FILES):
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file
                    continue
        available = {font.name for font in manager.ttflist}
    return [f for f in FONT_FAMILY if f in available] or ["DejaVu Sans"]


def text_settings() -> dict[Any, Any]:
    """matplotlib settings (for ``rc_context``): text as text, fonts that exist, stable ids."""
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "topo",
        "pdf.fonttype": 42,
        "font.family": font_family(),
    }


def missing_glyphs(texts: Iterable[str], families: Sequence[str]) -> set[str]:
    """The characters of ``texts`` that none of the fonts ``families`` draws."""
    wanted = {c for text in texts for c in text if not c.isascii() and c.isprintable()}
    if not wanted:
        return set()
    from matplotlib import font_manager

    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=family))
        charmap = font_manager.get_font(path).get_charmap()
        wanted = {c for c in wanted if ord(c) not in charmap}
    return wanted


@cache
def _measurer() -> Any:
    """One Agg renderer at 72 dpi (a pixel is a point), for :func:`text_extent`."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, 72)  # type: ignore[no-untyped-call]


@cache
def text_extent(text: str, size: float, bold: bool = False) -> tuple[float, float, float]:
    """Width, height and descent in points of one line of ``text`` at ``size`` points in
    :func:`font_family` (the glyphs' own extent: the height runs from the lowest descender
    to the highest ascender, the descent from the baseline down); example in the module's
    docstring (a cached function's own is not run)."""
    from matplotlib.font_manager import FontProperties

    weight = "bold" if bold else "normal"
    prop = FontProperties(family=font_family(), size=size, weight=weight)
    with quiet_glyphs():
        width, height, descent = _measurer().get_text_width_height_descent(text, prop, False)
    return float(width), float(height), float(descent)


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """Silence matplotlib's one-warning-per-missing-glyph (and nothing else)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield


def warn_missing(what: str, missing: set[str], stacklevel: int = 3) -> None:
    """One :class:`MissingGlyphWarning` for the characters no installed font draws."""
    if not missing:
        return
    sample = "".join(sorted(missing)[:8])
    warnings.warn(
        f"{what}: no installed font draws {len(missing)} characters ({sample}…); install a "
        "CJK font (Debian: fonts-noto-cjk). SVG keeps them as text the viewer's fonts draw; "
        "a PNG or PDF shows empty boxes.",
        MissingGlyphWarning,
        stacklevel=stacklevel,
    )
