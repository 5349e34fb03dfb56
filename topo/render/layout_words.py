"""The words of the region map: segments in slide words, what a box holds, cards' lines.

>>> segment_words({"kind": "intra-region", "from_region": "ap-northeast-1",
...   "to_region": "ap-northeast-1", "ttls": [3, 4], "categories": {"cgnat": 2},
...   "traces": ["t"], "rtt_delta_ms": 0.31})
('Within Tokyo: reserved hops', '2 reserved hops (2 CGNAT)', '+0.3 ms')
>>> census_words({"router": 12, "reserved": 3, "reserved:CGNAT": 3, "destination": 1})
'12 routers, 3 reserved (3 CGNAT), 1 destination'
>>> wrap_line("Osaka → Tokyo region interconnect")
['Osaka → Tokyo region', 'interconnect']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from topo.topology.regions import load_regions

#: Summary lines are wrapped to this many characters, and drawn at this share of the title.
LINE_CHARS = 26
SUMMARY = 0.92
#: Bold titles are this much wider than plain text.
BOLD = 1.08
CATEGORY_WORDS = {
    "cgnat": "CGNAT",
    "class-e": "Class E",
    "private": "RFC 1918",
    "unknown": "silent",
    "documentation": "documentation",
    "benchmarking": "benchmarking",
    "loopback": "loopback",
    "link-local": "link-local",
}


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else ('es' if word.endswith('s') else 's')}"


def _ms(value: Any) -> str:
    return f"{float(value):.1f} ms"


def short_region(region: str | None) -> str:
    return load_regions().city(region) or region or "?"


def segment_words(segment: Mapping[str, Any], provider: str = "the provider") -> tuple[str, ...]:
    """A segment in slide words: title, then lines (hops, then time against light).

    >>> segment_words({"kind": "inter-region", "from_region": "ap-northeast-3",
    ...   "to_region": "ap-northeast-1", "ttls": list(range(5, 17)),
    ...   "categories": {"cgnat": 8, "class-e": 4}, "addrs": ["x"] * 12,
    ...   "traces": ["t"], "rtt_delta_ms": 6.109, "rtt_bound_ms": 3.963,
    ...   "rtt_plausible": True})[1:]
    ('12 reserved hops (8 CGNAT, 4 Class E)', '+6.1 ms, light in fibre needs 4.0 ms')
    >>> segment_words({"kind": "intra-region", "from_region": "eu-west-1",
    ...   "to_region": "eu-west-1", "ttls": list(range(2, 11)), "categories": {"cgnat": 23},
    ...   "addrs": ["x"] * 23, "traces": ["t"]})[1]
    '9 reserved hops (23 addresses: 23 CGNAT)'
    """
    kind = segment.get("kind")
    left, right = short_region(segment.get("from_region")), short_region(segment.get("to_region"))
    if kind == "inter-region":
        title = f"{left} → {right} region interconnect"
    elif kind == "intra-region":
        title = f"Within {left}: reserved hops"
    elif kind == "open":
        side = segment.get("from_region") or segment.get("to_region")
        title = f"{short_region(side) if side else provider} → past {provider}'s last answer"
    else:
        title = f"{left} → {right} interconnect"
    cats = segment.get("categories") or {}
    detail = ", ".join(f"{n} {CATEGORY_WORDS.get(c, c)}" for c, n in cats.items())
    if len(segment.get("traces") or []) <= 1:
        addresses = sum(cats.values())
        hops = len(segment.get("ttls") or []) or addresses
        if hops != addresses:  # hops and addresses counted apart, as in the strips
            detail = f"{plural(addresses, 'address')}: {detail}"
        first = f"{plural(hops, 'reserved hop')} ({detail})"
    else:
        first = f"{plural(sum(cats.values()), 'reserved address')} ({detail})"
    if segment.get("segments"):
        first = f"{segment['segments']} segments, {first}"
    lines = [first]
    delta, bound = segment.get("rtt_delta_ms"), segment.get("rtt_bound_ms")
    if segment.get("rtt_range"):
        low, high = segment["rtt_range"]
        lines.append(f"{low:+.1f} to {high:+.1f} ms")
    elif delta is not None:
        time = f"{'+' if float(delta) >= 0 else ''}{_ms(delta)}"
        if bound and segment.get("rtt_plausible") is False:
            time += f", LESS than the {_ms(bound)} light in fibre needs"
        elif bound:
            time += f", light in fibre needs {_ms(bound)}"
        elif kind == "open" and segment.get("fibre_km"):
            time += f", at most {int(segment['fibre_km']):,} km of fibre"
        lines.append(time)
    if kind == "unknown-region":
        lines.append("a side's region is unknown")
    confidence = segment.get("confidence")
    if confidence is not None and confidence < 1:
        lines.append(f"seen in {confidence:.0%} of this pair's traces")
    return (title, *lines)


def segment_summary(segment: Mapping[str, Any]) -> tuple[str, str]:
    """A segment's title and one-line summary (the page's header)."""
    title, *lines = segment_words(segment)
    return title, ", ".join(lines)


def merge_segments(segments: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """Segments of one kind and region pair drawn as one band: one segment's fields, or
    their union (addresses, categories, traces) with the RTT gains as a range."""
    if len(segments) == 1:
        return segments[0]
    cats: Counter[str] = Counter()
    for segment in segments:
        cats.update(segment.get("categories") or {})
    deltas = [float(s["rtt_delta_ms"]) for s in segments if s.get("rtt_delta_ms") is not None]
    merged = dict(segments[0])
    merged.update(
        categories=dict(cats),
        addrs=[a for s in segments for a in s.get("addrs") or []],
        traces=sorted({t for s in segments for t in s.get("traces") or []}),
        segments=len(segments),
        rtt_range=(min(deltas), max(deltas)) if deltas else None,
        confidence=None,
    )
    return merged


def wrap_line(text: str, width: int = LINE_CHARS) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters at spaces (a longer word
    stays whole); the page wraps a card's summary the same way."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def tally(attrs: Mapping[str, Any]) -> Counter[str]:
    """What one node counts as in a box's summary (aggregates count their members)."""
    kind = attrs.get("kind")
    size = int(attrs.get("members") or 1)
    if kind == "vantage":
        return Counter({"vantage point": 1})
    if kind == "destination":
        return Counter({"destination": 1})
    if kind == "anonymous":
        return Counter({"silent hop": 1})
    if attrs.get("special") or kind == "segment":
        found = Counter({"reserved": size})
        for cat, n in (attrs.get("member_categories") or {attrs.get("category"): 1}).items():
            found[f"reserved:{CATEGORY_WORDS.get(str(cat), str(cat))}"] += int(n)
        return found
    return Counter({"router": size})


def census_words(counts: Mapping[str, int]) -> str:
    """``12 routers, 8 reserved (8 CGNAT), 1 destination`` from :func:`tally` counts."""
    words = []
    for kind in ("vantage point", "router", "reserved", "silent hop", "destination"):
        if not counts.get(kind):
            continue
        if kind == "reserved":
            cats = sorted(
                ((n, k.split(":", 1)[1]) for k, n in counts.items() if k.startswith("reserved:")),
                key=lambda item: -item[0],
            )
            detail = ", ".join(f"{n} {c}" for n, c in cats)
            words.append(f"{counts[kind]:,} reserved ({detail})")
        else:
            words.append(plural(counts[kind], kind))
    return ", ".join(words) or "empty"


def census(G: nx.DiGraph, members: Iterable[str]) -> str:
    """``12 routers, 8 reserved (8 CGNAT), 1 destination`` for some nodes of ``G``."""
    counts: Counter[str] = Counter()
    for node in members:
        counts.update(tally(G.nodes[node]))
    return census_words(counts)


def card_lines(label: str, summary: Sequence[str]) -> tuple[list[str], list[str]]:
    """A closed box's title and summary as drawn: wrapped to :data:`LINE_CHARS`."""
    return wrap_line(label), [line for text in summary for line in wrap_line(text)]
