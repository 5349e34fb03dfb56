"""Colours and shapes by category, shared by the HTML page and the static figure.

Every node gets a *style key*: ``public:<owner family>`` (``public:?`` when the owner is
unknown), ``cgnat``, ``class-e``, ``special`` (any other special-purpose address),
``unknown`` (a ``*`` hop), ``endpoint`` (vantage points and destinations) or ``segment`` (a
collapsed reserved run). The legend lists the keys present, each with its colour and shape.

>>> style_key({"kind": "hop", "category": "public", "family": "Amazon"})
'public:Amazon'
>>> style_key({"kind": "hop", "category": "private", "special": True})
'special'
>>> legend_entry("public:Amazon").colour, legend_entry("class-e").shape
('#ff9900', 'triangle')
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Well-known owner families keep their brand-like colour; others get one from the palette.
FAMILY_COLOURS = {
    "Amazon": "#ff9900",
    "Google": "#4285f4",
    "Oracle": "#c74634",
    "Microsoft": "#00a4ef",
    "Cloudflare": "#f38020",
}
PALETTE = ("#2ca02c", "#17becf", "#8c564b", "#bcbd22", "#1f77b4", "#e377c2", "#6b8e23")

#: (label, colour, vis shape) of the fixed keys.
FIXED = {
    "public:?": ("public, owner unknown", "#9e9e9e", "dot"),
    "cgnat": ("CGNAT (RFC 6598 shared space)", "#8e44ad", "diamond"),
    "class-e": ("Class E (240.0.0.0/4)", "#e4187a", "triangle"),
    "special": ("other special-purpose", "#5d6d7e", "square"),
    "unknown": ("no answer (*)", "#d5d8dc", "dot"),
    "endpoint": ("vantage point / destination", "#2b3a55", "box"),
    "segment": ("collapsed reserved run", "#b39ddb", "box"),
}
#: Legend order of the fixed keys (public families come first).
ORDER = ("public:?", "cgnat", "class-e", "special", "unknown", "segment", "endpoint")

#: Matplotlib marker for each vis shape.
MARKERS = {"dot": "o", "diamond": "D", "triangle": "^", "square": "s", "box": "s", "hexagon": "h"}


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: style key, text, colour and vis shape."""

    key: str
    label: str
    colour: str
    shape: str


def style_key(node: Mapping[str, Any]) -> str:
    """The style key of a node from its attributes (see the module docstring)."""
    kind = node.get("kind")
    if kind in ("vantage", "destination"):
        return "endpoint"
    if kind == "segment":
        return "segment"
    if kind == "anonymous":
        return "unknown"
    category = node.get("category")
    if category in ("cgnat", "class-e"):
        return str(category)
    if node.get("special"):
        return "special"
    family = node.get("family")
    return f"public:{family}" if family else "public:?"


def family_colour(family: str) -> str:
    """A stable colour per owner family (the same in every page and figure)."""
    if family in FAMILY_COLOURS:
        return FAMILY_COLOURS[family]
    return PALETTE[zlib.crc32(family.encode()) % len(PALETTE)]


def legend_entry(key: str) -> LegendEntry:
    """Text, colour and shape of a style key."""
    if key in FIXED:
        label, colour, shape = FIXED[key]
        return LegendEntry(key, label, colour, shape)
    family = key.removeprefix("public:")
    return LegendEntry(key, f"public, {family}", family_colour(family), "dot")


def legend(keys: Iterable[str]) -> list[LegendEntry]:
    """Legend entries for the keys present: owner families (sorted) first, then the rest."""
    present = set(keys)
    families = sorted(k for k in present if k.startswith("public:") and k != "public:?")
    fixed = [k for k in ORDER if k in present]
    return [legend_entry(k) for k in (*families, *fixed)]
