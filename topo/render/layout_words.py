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


#: The minus sign of negative RTT changes (the page's own − key, not a hyphen).
MINUS = "\u2212"


def signed_ms(value: float) -> str:
    """An RTT change with its sign, the minus a real one: ``+6.1 ms``, ``−8.3 ms``.

    >>> signed_ms(6.109), signed_ms(-8.31), signed_ms(0.04)
    ('+6.1 ms', '−8.3 ms', '+0.0 ms')
    """
    text = f"{float(value):+.1f}"
    if text == "-0.0":
        text = "+0.0"
    return f"{text.replace('-', MINUS)} ms"


def _end(region: str | None, provider: str) -> str:
    """One end of a segment: its region's city, else the provider's hop without one."""
    return short_region(region) if region else f"{provider} (region not published)"


def open_side(segment: Mapping[str, Any]) -> str | None:
    """Where an ``open`` segment lies: ``after`` the provider's last answer, ``before`` its
    first, by its rule, else by the region it has (``None``: not known).

    >>> open_side({"rule": "reserved run before the provider's first answer"})
    'before'
    >>> open_side({"from_region": "eu-west-1", "to_region": None}), open_side({})
    ('after', None)
    """
    rule = str(segment.get("rule") or "")
    for side in ("after", "before"):
        if f"run {side} the provider" in rule:
            return side
    if segment.get("from_region") and not segment.get("to_region"):
        return "after"
    if segment.get("to_region") and not segment.get("from_region"):
        return "before"
    return None


def segment_title(segment: Mapping[str, Any], provider: str = "the provider") -> str:
    """A segment's title in slide words: its two ends by city, a provider's hop without a
    published region by the provider, an open segment by the provider's answer it follows
    or precedes.

    >>> segment_title({"kind": "unknown-region", "from_region": "ap-northeast-1"}, "Amazon")
    'Tokyo → Amazon (region not published)'
    >>> segment_title({"kind": "unknown-region"}, "Amazon")
    'Amazon interconnect (regions not published)'
    >>> segment_title({"kind": "open", "from_region": "eu-west-1"}, "Amazon")
    "After Amazon's last answer (in Dublin)"
    """
    kind = segment.get("kind")
    left, right = segment.get("from_region"), segment.get("to_region")
    if kind == "inter-region":
        return f"{short_region(left)} → {short_region(right)} region interconnect"
    if kind == "intra-region":
        return f"Within {short_region(left)}: reserved hops"
    if kind == "open":
        side, region = open_side(segment), left or right
        where = f" (in {short_region(region)})" if region else ""
        if side == "after":
            return f"After {provider}'s last answer{where}"
        if side == "before":
            return f"Before {provider}'s first answer{where}"
        return f"Reserved hops at the edge of {provider}'s answers{where}"
    if not left and not right:
        return f"{provider} interconnect (regions not published)"
    return f"{_end(left, provider)} → {_end(right, provider)}"


def _unknown_ends(segment: Mapping[str, Any]) -> str | None:
    """Which end of an ``unknown-region`` segment has no published region, in words."""
    if segment.get("kind") != "unknown-region":
        return None
    left, right = segment.get("from_region"), segment.get("to_region")
    if not left and not right:
        return "neither end's region published"
    return f"{'near' if not left else 'far'} end's region not published"


def rtt_words(segment: Mapping[str, Any]) -> str | None:
    """The RTT line of a segment: its gain against what light in fibre needs, or how far
    fibre reaches in it; merged segments' gains as a range, said in words when they are
    not all gains.

    >>> rtt_words({"rtt_delta_ms": 6.109, "rtt_bound_ms": 3.963, "rtt_plausible": True})
    '+6.1 ms, light in fibre needs 4.0 ms'
    >>> rtt_words({"rtt_range": (0.6, 12.13)})
    '+0.6 to +12.1 ms'
    >>> rtt_words({"rtt_range": (2.0, 6.1), "rtt_bound_ms": 3.963})
    '+2.0 to +6.1 ms, some under the 4.0 ms light in fibre needs'
    >>> rtt_words({"rtt_range": (-8.31, 5.53), "segments": 6})
    'RTT change −8.3 to +5.5 ms (no consistent gain)'
    >>> rtt_words({"rtt_range": (-3.97, -0.8)}), rtt_words({"rtt_delta_ms": -1.12})
    ('RTT change −4.0 to −0.8 ms (no gain)', 'RTT change −1.1 ms (no gain)')
    """
    delta, bound = segment.get("rtt_delta_ms"), segment.get("rtt_bound_ms")
    if segment.get("rtt_range"):
        low, high = (float(v) for v in segment["rtt_range"])
        span = f"{signed_ms(low).removesuffix(' ms')} to {signed_ms(high)}"
        if low > 0 and bound and low < float(bound):
            return f"{span}, some under the {_ms(bound)} light in fibre needs"
        if low > 0:
            return f"{span}, light in fibre needs {_ms(bound)}" if bound else span
        return f"RTT change {span} ({'no gain' if high <= 0 else 'no consistent gain'})"
    if delta is None:
        return None
    time = signed_ms(delta)
    if bound and segment.get("rtt_plausible") is False:
        return f"{time}, LESS than the {_ms(bound)} light in fibre needs"
    if float(delta) < 0:
        return f"RTT change {time} (no gain)"
    if bound:
        return f"{time}, light in fibre needs {_ms(bound)}"
    if segment.get("kind") == "open" and segment.get("fibre_km"):
        return f"{time}, at most {int(segment['fibre_km']):,} km of fibre"
    return time


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
    >>> segment_words({"kind": "open", "from_region": "eu-west-1", "ttls": [9, 10],
    ...   "categories": {"cgnat": 5}, "traces": ["t"], "rtt_delta_ms": 7.104,
    ...   "fibre_km": 710}, "Amazon")  # doctest: +NORMALIZE_WHITESPACE
    ("After Amazon's last answer (in Dublin)", '2 reserved hops (5 addresses: 5 CGNAT)',
     '+7.1 ms, at most 710 km of fibre')
    """
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
    for line in (rtt_words(segment), _unknown_ends(segment)):
        if line:
            lines.append(line)
    confidence = segment.get("confidence")
    if confidence is not None and confidence < 1:
        lines.append(f"seen in {confidence:.0%} of this pair's traces")
    return (segment_title(segment, provider), *lines)


def set_provider(inference: Mapping[str, Any]) -> str:
    """The provider most of a set's traces are on, as the words name it (``the provider``
    when none is known).

    >>> set_provider({"traces": [{"provider": "Amazon"}, {"provider": None}]})
    'Amazon'
    """
    providers = Counter(t.get("provider") for t in inference.get("traces", []) if t.get("provider"))
    return str(providers.most_common(1)[0][0]) if providers else "the provider"


def segment_summary(segment: Mapping[str, Any], provider: str = "the provider") -> tuple[str, str]:
    """A segment's title and one-line summary (the page's header)."""
    title, *lines = segment_words(segment, provider)
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
    """What one node counts as in a box's summary (aggregates count their members); a
    destination that answered (its address node, ``reached``) counts as a destination.

    >>> tally({"kind": "hop", "reached": True}), tally({"kind": "hop"})
    (Counter({'destination': 1}), Counter({'router': 1}))
    """
    kind = attrs.get("kind")
    size = int(attrs.get("members") or 1)
    if kind == "vantage":
        return Counter({"vantage point": 1})
    if kind == "destination" or (kind == "hop" and attrs.get("reached")):
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
