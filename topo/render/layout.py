"""The region map: one box per region, bands between them, foreign networks outside.

A pure function of the graph (the same graph gives the same picture), in canvas units
(y grows downwards). The rules, in order:

1. **Boxes.** Every node belongs to exactly one top-level box:
   a provider hop with a published region is in its *region* box (``region:<name>``; one
   per region, whatever traces and region pairs touch it); a vantage point or destination
   without a region of its own is in its trace end's region; a reserved or silent hop on an
   interconnect segment is in that segment's *band* (``segment:<id>``); any other public hop
   is in the *network* box of its owner family (``network:<family>``, else its AS), so a
   transit carrier is a box of its own, outside the provider's regions. What is left
   (reserved or silent hops outside segments, unowned public hops) joins the box on both
   sides of it when they are the same, else forms a *gap* box between them.
2. **Columns.** Regions and networks are ordered so that as few traces as possible run right
   to left (a greedy feedback-arc ordering weighted by traces), then layered by the longest
   path; a band or gap goes in a column strictly between the two boxes it joins. Boxes of a
   column are ordered by the rows of what leads to them, columns too tall for the view are
   split side by side, and unconnected parts of the map are stacked.
3. **Inside a box**, routers go in columns by hop position and wrap to the box's shape; more
   than :data:`~topo.render.packing.CHILD_MAX` of them are grouped by prefix first
   (:mod:`topo.render.packing`), so no level shows a 1-px column. Big insides are scaled
   down (``Box.scale``): the page shows them when the zoom makes them readable.
4. **Titles** of the top-level boxes get one font (``Layout.font``) big enough to read at
   11 px when the whole map fits a 1050 x 650 px view, if the map allows it.
5. **Links** join boxes that a trace visits one after the other; an **exit** (the
   provider's last hop to the first foreign one, from the inference) marks its edge and
   its link.

>>> from topo.topology.analyze import analyze
>>> G = analyze(["samples/aws-osaka-tokyo"]).graph
>>> layout = compute_layout(G)
>>> [box.label for box in layout.boxes]
['Osaka ap-northeast-3', 'Tokyo ap-northeast-1']
>>> title, words = layout.bands[0].sentence.split(": ")
>>> title
'Osaka → Tokyo region interconnect'
>>> words.split(", +")
['12 reserved hops (8 CGNAT, 4 Class E)', '6.1 ms, light in fibre needs 4.0 ms']
>>> osaka, tokyo = layout.boxes
>>> osaka.x1 < layout.bands[0].x0 < layout.bands[0].x1 < tokyo.x0
True
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.render.packing import (
    ASPECT,
    FONT,
    GROUP_PAD,
    GROUP_TITLE,
    Group,
    Packer,
    local_columns,
    place_block,
    text_width,
)
from topo.topology.regions import load_regions

#: The view the map's titles are sized for (px): the page's canvas at 1400 x 900.
VIEW = (1050.0, 650.0)
#: Title font of the top-level boxes at the fit view, px (the page's floor is 11).
TITLE_PX = 12.5
#: The widest a top-level box's inside is (content units) before it is scaled down.
TOP_MAX = 1400.0
#: The title font never exceeds this many router fonts (a map of words alone).
FONT_MAX = 400.0
#: A column of the map holding more boxes of one kind than this shows them as one cluster.
CLUSTER_MIN = 12
#: The most things (boxes, bands, clusters) the map shows at the top.
TOP_ITEMS = 60
#: A cluster's inside is at most this many title fonts wide before it is scaled down.
CLUSTER_EMS = 24.0
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


@dataclass(frozen=True)
class Box:
    """A rectangle of the map: a ``region``, ``network`` or ``gap`` box, a ``segment`` band,
    a ``group`` inside one of them, or a ``cluster`` of boxes (``parent``: the enclosing
    box's key).

    ``font`` is the title's size and ``scale`` the size of what is directly inside
    (a router's label is ``FONT * scale`` units high), both in canvas units.
    """

    kind: str
    key: str
    label: str
    summary: tuple[str, ...]
    x0: float
    y0: float
    x1: float
    y1: float
    members: tuple[str, ...] = field(repr=False)
    parent: str | None = None
    font: float = FONT
    scale: float = 1.0
    ends: tuple[str | None, str | None] = (None, None)
    foreign: bool = False
    sentence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "summary": list(self.summary),
            "sentence": self.sentence,
            "x0": self.x0,
            "y0": self.y0,
            "x1": self.x1,
            "y1": self.y1,
            "parent": self.parent,
            "font": self.font,
            "scale": self.scale,
            "ends": list(self.ends),
            "foreign": self.foreign,
            "size": len(self.members),
            "lines_font": self.font / GROUP_TITLE * FONT
            if self.kind == "group"
            else self.font * SUMMARY,
        }

    def overlaps(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )


@dataclass(frozen=True)
class Link:
    """Traces going from one top-level box (or band) straight to another."""

    source: str
    target: str
    traces: int
    exit: bool = False


@dataclass(frozen=True)
class ExitMark:
    """An exit: the provider's last hop and the first foreign one (nodes of the graph)."""

    source: str
    target: str
    traces: int
    text: str


@dataclass(frozen=True)
class Layout:
    """Node positions, the boxes and bands around them, groups, links and exits.

    ``boxes`` are the top-level region, network and gap boxes; ``bands`` the segment bands;
    ``groups`` the groups inside either; ``clusters`` hold the boxes of a crowded column
    (their ``parent``); ``parents`` is the innermost box of every node and ``scales`` its
    label's scale.
    """

    positions: dict[str, tuple[float, float]]
    boxes: tuple[Box, ...]
    bands: tuple[Box, ...]
    groups: tuple[Box, ...] = ()
    parents: dict[str, str] = field(default_factory=dict, repr=False)
    scales: dict[str, float] = field(default_factory=dict, repr=False)
    links: tuple[Link, ...] = ()
    exits: tuple[ExitMark, ...] = ()
    font: float = FONT
    clusters: tuple[Box, ...] = ()

    def all_boxes(self) -> tuple[Box, ...]:
        """Every box, each after the one that holds it (clusters, top level, bands, groups)."""
        return (*self.clusters, *self.boxes, *self.bands, *self.groups)


# ---- words ---------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else ('es' if word.endswith('s') else 's')}"


def _ms(value: Any) -> str:
    return f"{float(value):.1f} ms"


def _short(region: str | None) -> str:
    return load_regions().city(region) or region or "?"


def segment_words(segment: Mapping[str, Any], provider: str = "the provider") -> tuple[str, ...]:
    """A segment in slide words: title, then lines (hops, then time against light).

    >>> segment_words({"kind": "inter-region", "from_region": "ap-northeast-3",
    ...   "to_region": "ap-northeast-1", "ttls": list(range(5, 17)),
    ...   "categories": {"cgnat": 8, "class-e": 4}, "addrs": ["x"] * 12,
    ...   "traces": ["t"], "rtt_delta_ms": 6.109, "rtt_bound_ms": 3.963,
    ...   "rtt_plausible": True})[1:]
    ('12 reserved hops (8 CGNAT, 4 Class E)', '+6.1 ms, light in fibre needs 4.0 ms')
    """
    kind = segment.get("kind")
    left, right = _short(segment.get("from_region")), _short(segment.get("to_region"))
    if kind == "inter-region":
        title = f"{left} → {right} region interconnect"
    elif kind == "intra-region":
        title = f"Within {left}: reserved hops"
    elif kind == "open":
        side = segment.get("from_region") or segment.get("to_region")
        title = f"{_short(side) if side else provider} → past {provider}'s last answer"
    else:
        title = f"{left} → {right} interconnect"
    cats = segment.get("categories") or {}
    detail = ", ".join(f"{n} {CATEGORY_WORDS.get(c, c)}" for c, n in cats.items())
    silent = len(segment.get("ttls") or []) - sum(cats.values())
    if len(segment.get("traces") or []) <= 1:
        hops = len(segment.get("ttls") or []) or sum(cats.values())
        if silent > 0:
            detail += f", {silent} silent"
        first = f"{_plural(hops, 'reserved hop')} ({detail})"
    else:
        first = f"{_plural(sum(cats.values()), 'reserved address')} ({detail})"
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
            words.append(_plural(counts[kind], kind))
    return ", ".join(words) or "empty"


def census(G: nx.DiGraph, members: Iterable[str]) -> str:
    """``12 routers, 8 reserved (8 CGNAT), 1 destination`` for some nodes of ``G``."""
    counts: Counter[str] = Counter()
    for node in members:
        counts.update(tally(G.nodes[node]))
    return census_words(counts)


# ---- rule 1: boxes -------------------------------------------------------------------------


@dataclass
class _Container:
    key: str
    kind: str
    members: list[str] = field(default_factory=list)
    ends: tuple[str | None, str | None] = (None, None)
    segments: list[Mapping[str, Any]] = field(default_factory=list)
    foreign: bool = False


def _segment_members(G: nx.DiGraph) -> dict[str, str]:
    found: dict[str, str] = {}
    order = [s.get("segment_id") for s in (G.graph.get("inference") or {}).get("segments", [])]
    rank = {sid: i for i, sid in enumerate(order)}
    candidates: dict[str, list[str]] = defaultdict(list)
    for u, v, segment in G.edges(data="segment"):
        if not segment:
            continue
        for node in (u, v):
            attrs = G.nodes[node]
            if attrs.get("special") or attrs.get("kind") in ("anonymous", "segment"):
                candidates[node].append(str(segment))
    for node, attrs in G.nodes(data=True):
        if attrs.get("kind") == "segment" and attrs.get("segment"):
            candidates[node].insert(0, str(attrs["segment"]))
    for node, segments in candidates.items():
        found[node] = min(segments, key=lambda s: (rank.get(s, len(rank)), s))
    return found


def _anchor(
    attrs: Mapping[str, Any], end_region: str | None, provider: str | None
) -> tuple[str, str] | None:
    """(key, kind) of the box a node belongs to by its own attributes, or None."""
    regions = load_regions()
    kind = attrs.get("kind")
    if kind == "anonymous" or attrs.get("special") or kind == "segment":
        return None
    region = attrs.get("region")
    if region and regions.get(str(region)) is not None:
        return f"region:{region}", "region"
    family = attrs.get("family")
    if kind in ("vantage", "destination") and end_region and family in (None, provider):
        return f"region:{end_region}", "region"
    if family:
        return f"network:{family}", "network"
    if attrs.get("asn") is not None:
        return f"network:AS{attrs['asn']}", "network"
    if kind == "vantage" and end_region:
        return f"region:{end_region}", "region"
    return None


def assign_boxes(G: nx.DiGraph) -> tuple[dict[str, str], dict[str, _Container]]:
    """Rule 1: the top-level box of every node, and the boxes in the order first seen."""
    inference = G.graph.get("inference") or {}
    ends = {t["origin"]: t for t in inference.get("traces", [])}
    providers = {str(t["provider"]) for t in inference.get("traces", []) if t.get("provider")}
    segments: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    band_of: dict[str, str] = {}
    first: dict[tuple[Any, ...], str] = {}
    for segment in inference.get("segments", []):
        sid = str(segment.get("segment_id"))
        pair = (segment.get("kind"), segment.get("from_region"), segment.get("to_region"))
        band_of[sid] = first.setdefault(pair, sid)
        segments[band_of[sid]].append(segment)
    on_segment = {n: band_of.get(s, s) for n, s in _segment_members(G).items()}
    box_of: dict[str, str] = {}
    boxes: dict[str, _Container] = {}

    def unowned(node: str) -> bool:
        attrs = G.nodes[node]
        return (
            attrs.get("kind") in ("hop", "destination", "prefix")
            and not attrs.get("special")
            and not attrs.get("family")
            and attrs.get("asn") is None
        )

    def put(node: str, key: str, kind: str) -> None:
        if node in box_of:
            return
        box_of[node] = key
        if key not in boxes:
            boxes[key] = _Container(key, kind)
            if kind == "segment":
                boxes[key].segments = segments.get(key.split(":", 1)[1], [])
        boxes[key].members.append(node)

    for trace, info in G.graph.get("trace_paths", {}).items():
        path = info.get("path", [])
        end = ends.get(trace, {})
        provider = info.get("provider") or end.get("provider")
        keys: list[str | None] = []
        for i, node in enumerate(path):
            if node in box_of:
                keys.append(box_of[node])
                continue
            if node in on_segment:
                put(node, f"segment:{on_segment[node]}", "segment")
                keys.append(box_of[node])
                continue
            attrs = G.nodes[node]
            end_region = end.get("src_region") if i == 0 else None
            if i == len(path) - 1 and attrs.get("kind") == "destination":
                end_region = end.get("dst_region")
            found = _anchor(attrs, end_region, provider)
            if found is not None:
                put(node, *found)
            keys.append(box_of.get(node))
        _fill_runs(path, keys, put, unowned)
    for node in G:  # nodes on no trace path (none in graphs topo builds)
        found = _anchor(G.nodes[node], None, None)
        put(node, *(found or ("gap:-", "gap")))
    for container in boxes.values():
        if container.kind == "network":
            family = container.key.split(":", 1)[1]
            container.foreign = family not in providers
    return box_of, boxes


def _fill_runs(
    path: Sequence[str], keys: list[str | None], put: Any, unowned: Callable[[str], bool]
) -> None:
    """Rule 1's last sentence: a run of nodes with no box of their own. Reserved and silent
    hops join the box before them (the one that forwarded them; at a trace's start, the one
    after); public hops nobody owns go in a gap box after the box before them, unless the
    same box is on both sides (or a band is before them)."""
    i = 0
    while i < len(path):
        if keys[i] is not None:
            i += 1
            continue
        j = i
        while j + 1 < len(path) and keys[j + 1] is None:
            j += 1
        before = keys[i - 1] if i > 0 else None
        after = keys[j + 1] if j + 1 < len(path) else None
        if not any(unowned(path[k]) for k in range(i, j + 1)):  # reserved or silent hops
            key = before or after or "gap:>"
        elif before is not None and (before == after or before.startswith(("segment:", "gap:"))):
            key = before
        elif before is None and after is not None:
            key = f"gap:>{after}"
        else:
            key = f"gap:{before or ''}>"
        kind = key.split(":", 1)[0]
        for k in range(i, j + 1):
            put(path[k], key, kind)
            keys[k] = key
        i = j + 1


# ---- rule 2: columns -----------------------------------------------------------------------


def _sequences(G: nx.DiGraph, box_of: Mapping[str, str]) -> list[list[str]]:
    found = []
    for info in G.graph.get("trace_paths", {}).values():
        seq: list[str] = []
        for node in info.get("path", []):
            key = box_of[node]
            if not seq or seq[-1] != key:
                seq.append(key)
        found.append(seq)
    return found


def _is_connector(key: str) -> bool:
    return key.startswith(("segment:", "gap:"))


def _greedy_order(nodes: Sequence[str], weight: Mapping[tuple[str, str], int]) -> list[str]:
    """Eades, Lin and Smyth's greedy feedback-arc ordering, weighted, ties by first seen."""
    rank = {n: i for i, n in enumerate(nodes)}
    out_w: dict[str, dict[str, int]] = defaultdict(dict)
    in_w: dict[str, dict[str, int]] = defaultdict(dict)
    for (u, v), w in weight.items():
        if u != v:
            out_w[u][v] = w
            in_w[v][u] = w
    left = set(nodes)
    head: list[str] = []
    tail: list[str] = []

    def remove(n: str) -> None:
        left.discard(n)
        for v in out_w[n]:
            in_w[v].pop(n, None)
        for u in in_w[n]:
            out_w[u].pop(n, None)

    while left:
        changed = True
        while changed:
            changed = False
            for n in sorted(left, key=rank.__getitem__):
                if not out_w[n]:
                    tail.insert(0, n)
                    remove(n)
                    changed = True
                elif not in_w[n]:
                    head.append(n)
                    remove(n)
                    changed = True
        if left:
            best = max(
                sorted(left, key=rank.__getitem__),
                key=lambda n: sum(out_w[n].values()) - sum(in_w[n].values()),
            )
            head.append(best)
            remove(best)
    return head + tail


def _columns(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> dict[str, int]:
    """Rule 2's columns: anchors on even columns by layer, connectors between their ends."""
    anchors = [b for b in boxes if not _is_connector(b)]
    weight: Counter[tuple[str, str]] = Counter()
    before: dict[str, Counter[str]] = defaultdict(Counter)
    after: dict[str, Counter[str]] = defaultdict(Counter)
    for seq in sequences:
        last: str | None = None
        pending: list[str] = []
        for key in seq:
            if _is_connector(key):
                pending.append(key)
                if last is not None:
                    before[key][last] += 1
                continue
            if last is not None and last != key:
                weight[(last, key)] += 1
            for c in pending:
                after[c][key] += 1
            pending, last = [], key
    order = _greedy_order(anchors, weight)
    place = {n: i for i, n in enumerate(order)}
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = max(
            (layer[u] + 1 for (u, v) in weight if v == n and place[u] < place[n]), default=0
        )
    column = {n: 2 * layer[n] for n in anchors}
    for key in boxes:
        if key in column:
            continue
        p = before[key].most_common(1)[0][0] if before[key] else None
        q = after[key].most_common(1)[0][0] if after[key] else None
        if p is not None and q is not None:
            column[key] = layer[p] + layer[q] if layer[p] != layer[q] else 2 * layer[p] + 1
        elif p is not None:
            column[key] = 2 * layer[p] + 1
        elif q is not None:
            column[key] = 2 * layer[q] - 1
        else:
            column[key] = 0
    return column


def _components(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> list[list[str]]:
    parent = {b: b for b in boxes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for seq in sequences:
        for a, b in itertools.pairwise(seq):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb, key=boxes.index)] = min(ra, rb, key=boxes.index)
    groups: dict[str, list[str]] = defaultdict(list)
    for b in boxes:
        groups[find(b)].append(b)
    return list(groups.values())


def place_boxes(
    cards: Mapping[str, tuple[float, float]],
    sequences: Sequence[Sequence[str]],
    font: float,
) -> dict[str, tuple[float, float]]:
    """Rule 2: the centre of every top-level box (cards: its width and height)."""
    boxes = list(cards)
    column = _columns(boxes, sequences)
    edges: Counter[tuple[str, str]] = Counter()
    for seq in sequences:
        for a, b in itertools.pairwise(seq):
            edges[(a, b)] += 1
    blocks: list[tuple[float, float, dict[str, tuple[float, float]]]] = []
    for part in _components(boxes, sequences):
        index = {b: i for i, b in enumerate(part)}
        pairs = [(index[a], index[b]) for a, b in edges if a in index and b in index]
        w, h, centres = place_block(
            [cards[b] for b in part],
            [column[b] for b in part],
            pairs,
            aspect=VIEW[0] / VIEW[1],
            wrap=False,
            col_gap=font * 1.5,
            row_gap=font * 0.9,
        )
        blocks.append((w, h, dict(zip(part, centres, strict=True))))
    if len(blocks) == 1:
        return blocks[0][2]
    _, _, spots = place_block(
        [(w, h) for w, h, _ in blocks],
        [0] * len(blocks),
        [],
        aspect=VIEW[0] / VIEW[1],
        wrap=False,
        col_gap=font * 3,
        row_gap=font * 1.5,
    )
    found: dict[str, tuple[float, float]] = {}
    for (w, h, inside), (cx, cy) in zip(blocks, spots, strict=True):
        for key, (x, y) in inside.items():
            found[key] = (cx - w / 2 + x, cy - h / 2 + y)
    return found


# ---- rule 3 and 4: insides, titles, and the whole ---------------------------------------


def _title(G: nx.DiGraph, box: _Container, provider: str) -> tuple[str, tuple[str, ...]]:
    """A top-level box's title and summary lines."""
    regions = load_regions()
    name = box.key.split(":", 1)[1]
    counts = census(G, box.members)
    if box.kind == "region":
        families = Counter(
            G.nodes[m].get("family") for m in box.members if G.nodes[m].get("family")
        )
        owner = families.most_common(1)[0][0] if families else provider
        return regions.label(None, name) or name, (f"{owner}: {counts}",)
    if box.kind == "network":
        asns = sorted({int(a) for m in box.members if (a := G.nodes[m].get("asn")) is not None})
        where = f"outside {provider}" if box.foreign else f"{provider}, no region published"
        lines = [counts, where]
        if asns and not name.startswith("AS"):
            more = f" and {len(asns) - 3} more" if len(asns) > 3 else ""
            lines.insert(0, ", ".join(f"AS{a}" for a in asns[:3]) + more)
        return name, tuple(lines)
    if box.kind == "segment" and box.segments:
        title, *lines = segment_words(merge_segments(box.segments), provider)
        return title, tuple(lines)
    left, _, right = name.partition(">")
    if left:
        title = f"After {_box_name(left)}: owner unknown"
    elif right:
        title = f"Before {_box_name(right)}: owner unknown"
    else:
        title = "Owner unknown"
    return title, (counts,)


def _box_name(key: str) -> str:
    kind, _, name = key.partition(":")
    if kind == "region":
        return _short(name)
    if kind == "segment":
        return f"segment {name}"
    return name


def _card(
    label: str, summary: Sequence[str], inner: tuple[float, float], font: float
) -> tuple[float, float, float]:
    """A top-level box's width and height for its inside (``inner``, already scaled) and
    its words at ``font`` (a card: title and summary wrapped, see :func:`card_lines`), and
    the height of its title strip when open."""
    pad = font * 0.6
    strip = font * 1.7
    titles, lines = card_lines(label, summary)
    text_w = max(
        [text_width(t, font * BOLD) for t in titles]
        + [text_width(s, font * SUMMARY) for s in lines]
    )
    text_h = len(titles) * font * 1.2 + font * 0.3 + len(lines) * font * SUMMARY * 1.3
    return (
        max(inner[0], text_w, text_width(label, font * BOLD)) + 2 * pad,
        max(inner[1] + strip, text_h) + 2 * pad,
        strip,
    )


def card_lines(label: str, summary: Sequence[str]) -> tuple[list[str], list[str]]:
    """A closed box's title and summary as drawn: wrapped to :data:`LINE_CHARS`."""
    return wrap_line(label), [line for text in summary for line in wrap_line(text)]


def compute_layout(G: nx.DiGraph) -> Layout:
    """The region map of ``G`` (rules 1 to 5 of the module's docstring)."""
    box_of, containers = assign_boxes(G)
    if not containers:
        return Layout({}, (), ())
    inference = G.graph.get("inference") or {}
    providers = Counter(t.get("provider") for t in inference.get("traces", []) if t.get("provider"))
    provider = str(providers.most_common(1)[0][0]) if providers else "the provider"
    succ = {n: list(G.successors(n)) for n in G}
    order = {n: i for i, n in enumerate(G)}
    column: dict[str, int] = {}
    for box in containers.values():
        column.update(local_columns(box.members, succ.__getitem__))
    packer = Packer(
        label_of=lambda n: str(G.nodes[n].get("label", n)),
        attrs_of=lambda n: G.nodes[n],
        successors=succ.__getitem__,
        column=column,
        order=order,
        tally=lambda n: tally(G.nodes[n]),
        words=census_words,
    )
    roots = {key: packer.pack(key, key, box.members) for key, box in containers.items()}
    words = {key: _title(G, box, provider) for key, box in containers.items()}
    sequences = _sequences(G, box_of)
    scale = {
        key: min(1.0, TOP_MAX / max(root.width, root.height * ASPECT, 1.0))
        for key, root in roots.items()
    }
    clusters = clusters_of(containers, sequences)
    in_cluster = {m: c for c, members in clusters.items() for m in members}
    shown = [[in_cluster.get(k, k) for k in seq] for seq in sequences]
    shown = [[k for i, k in enumerate(seq) if i == 0 or seq[i - 1] != k] for seq in shown]
    cluster_words = {
        c: _cluster_words(c, [containers[m] for m in ms], roots, words, provider)
        for c, ms in clusters.items()
    }
    font, best = 18.0, 0.0
    for attempt in range(10):
        cards = {
            key: _card(words[key][0], words[key][1],
                       (root.width * scale[key], root.height * scale[key]), font)
            for key, root in roots.items()
        }  # fmt: skip
        insides = {c: _cluster_inside(ms, cards, font) for c, ms in clusters.items()}
        macro = {k: (c[0], c[1]) for k, c in cards.items() if k not in in_cluster}
        for c, (w_in, h_in, _, k) in insides.items():
            card = _card(*cluster_words[c], (w_in * k, h_in * k), font)
            cards[c] = card
            macro[c] = (card[0], card[1])
        centres = place_boxes(macro, shown, font)
        x0 = min(centres[k][0] - macro[k][0] / 2 for k in macro)
        x1 = max(centres[k][0] + macro[k][0] / 2 for k in macro)
        y0 = min(centres[k][1] - macro[k][1] / 2 for k in macro)
        y1 = max(centres[k][1] + macro[k][1] / 2 for k in macro)
        fit = min(VIEW[0] / max(x1 - x0, 1.0), VIEW[1] / max(y1 - y0, 1.0))
        reached = font * fit
        if reached >= TITLE_PX * 0.98 or attempt == 9 or reached < best * 1.005:
            break  # (the cards are those of this font; words alone set the map's width)
        best = reached
        font = min(TITLE_PX / fit * 1.03, FONT * FONT_MAX)
    builder = _Builder(G, packer)
    for c, members in clusters.items():
        w, h, strip = cards[c]
        cx, cy = centres[c]
        w_in, h_in, spots, k = insides[c]
        pad = font * 0.6
        rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        left = rect[0] + (w - w_in * k) / 2
        top = rect[1] + pad + strip + (h - 2 * pad - strip - h_in * k) / 2
        label, summary = cluster_words[c]
        nodes = tuple(n for m in members for n in roots[m].members)
        foreign = all(containers[m].foreign for m in members)
        builder.clusters.append(
            Box("cluster", c, label, summary, *rect, nodes, None, font,
                font * k * SUMMARY / FONT, (None, None), foreign, f"{label}: {', '.join(summary)}")
        )  # fmt: skip
        for m, (mx, my) in zip(members, spots, strict=True):
            mw, mh, _ = cards[m]
            corner = (left + (mx - mw / 2) * k, top + (my - mh / 2) * k)
            _place_top(builder, containers[m], roots[m], words[m], cards[m], corner, font,
                       scale[m], k, c, containers)  # fmt: skip
    for key, box in containers.items():
        if key in in_cluster:
            continue
        w, h, _ = cards[key]
        cx, cy = centres[key]
        _place_top(builder, box, roots[key], words[key], cards[key], (cx - w / 2, cy - h / 2),
                   font, scale[key], 1.0, None, containers)  # fmt: skip
    return builder.finish(font, sequences, containers)


def clusters_of(
    containers: Mapping[str, _Container], sequences: Sequence[Sequence[str]]
) -> dict[str, list[str]]:
    """The crowded columns: boxes of one kind in one column of one part of the map, when
    there are more than :data:`CLUSTER_MIN` of them (keyed ``cluster:<kind>:<part>:<col>``);
    when the map would still show more than :data:`TOP_ITEMS` things, the boxes of one kind
    in one part, whatever their column (``cluster:<kind>:<part>:all``)."""
    keys = list(containers)
    column = _columns(keys, sequences)
    part = {k: i for i, members in enumerate(_components(keys, sequences)) for k in members}
    found: dict[tuple[int, int, str], list[str]] = defaultdict(list)
    for key, box in containers.items():
        kind = ("foreign" if box.foreign else "network") if box.kind == "network" else box.kind
        found[(part[key], column[key], kind)].append(key)
    clusters = {
        f"cluster:{kind}:{p}:{col}": members
        for (p, col, kind), members in found.items()
        if len(members) > CLUSTER_MIN
    }
    left = len(containers) - sum(map(len, clusters.values())) + len(clusters)
    if left <= TOP_ITEMS:
        return clusters
    by_kind: dict[tuple[int, str], list[str]] = defaultdict(list)  # still crowded: by kind
    for (p, _, kind), members in found.items():
        by_kind[(p, kind)].extend(members)
    return {
        f"cluster:{kind}:{p}:all": members
        for (p, kind), members in by_kind.items()
        if len(members) > CLUSTER_MIN
    }


def _cluster_words(
    key: str,
    members: Sequence[_Container],
    roots: Mapping[str, Group],
    words: Mapping[str, tuple[str, tuple[str, ...]]],
    provider: str,
) -> tuple[str, tuple[str, ...]]:
    kind = key.split(":")[1]
    names = {
        "foreign": f"networks outside {provider}",
        "network": f"{provider} networks, no region published",
        "region": "regions",
        "segment": "interconnect bands",
        "gap": "runs of hops nobody owns",
    }
    title = f"{len(members):,} {names.get(kind, 'boxes')}"
    counts: Counter[str] = Counter()
    for box in members:
        counts.update(roots[box.key].counts)
    largest = sorted(members, key=lambda b: -len(b.members))[:3]
    named = ", ".join(words[b.key][0] for b in largest)
    return title, (f"largest: {named}", census_words(counts))


def _cluster_inside(
    members: Sequence[str], cards: Mapping[str, tuple[float, float, float]], font: float
) -> tuple[float, float, list[tuple[float, float]], float]:
    """A cluster's boxes in a grid: its width and height, their centres, and the factor
    that scales it to at most :data:`CLUSTER_EMS` title fonts wide."""
    sizes = [(cards[m][0], cards[m][1]) for m in members]
    w, h, spots = place_block(
        sizes, [0] * len(sizes), [], aspect=ASPECT, col_gap=font, row_gap=font * 0.8
    )
    k = min(1.0, CLUSTER_EMS * font / max(w, h * ASPECT, 1.0))
    return w, h, spots, k


def _place_top(
    builder: _Builder,
    box: _Container,
    root: Group,
    words: tuple[str, tuple[str, ...]],
    card: tuple[float, float, float],
    corner: tuple[float, float],
    font: float,
    scale: float,
    k: float,
    parent: str | None,
    containers: Mapping[str, _Container],
) -> None:
    """Place a top-level box whose card (at ``font``) is drawn ``k`` times as large, its top
    left corner at ``corner``, inside ``parent`` (a cluster) or at the top."""
    w, h, strip = card
    pad = font * 0.6
    inner_w, inner_h = root.width * scale, root.height * scale
    rect = (corner[0], corner[1], corner[0] + w * k, corner[1] + h * k)
    origin = (
        rect[0] + (w - inner_w) / 2 * k,
        rect[1] + (pad + strip + (h - 2 * pad - strip - inner_h) / 2) * k,
    )
    label, summary = words
    sentence = f"{label}: {', '.join(summary)}"
    builder.top(box, label, summary, sentence, rect, font * k, scale * k, root, origin,
                containers, parent)  # fmt: skip


class _Builder:
    """Rule 3's absolute placement: boxes, groups, positions, then links and exits."""

    def __init__(self, G: nx.DiGraph, packer: Packer) -> None:
        self.G = G
        self.packer = packer
        self.positions: dict[str, tuple[float, float]] = {}
        self.parents: dict[str, str] = {}
        self.scales: dict[str, float] = {}
        self.boxes: list[Box] = []
        self.bands: list[Box] = []
        self.groups: list[Box] = []
        self.clusters: list[Box] = []

    def top(
        self,
        box: _Container,
        label: str,
        lines: tuple[str, ...],
        sentence: str,
        rect: tuple[float, float, float, float],
        font: float,
        scale: float,
        root: Group,
        origin: tuple[float, float],
        containers: Mapping[str, _Container],
        parent: str | None = None,
    ) -> None:
        ends: tuple[str | None, str | None] = (None, None)
        if box.kind in ("segment", "gap"):
            ends = _ends(box, containers)
        made = Box(box.kind, box.key, label, lines, *rect, tuple(root.members), parent, font,
                   scale, ends, box.foreign, sentence)  # fmt: skip
        (self.bands if box.kind == "segment" else self.boxes).append(made)
        self.inside(root, box.key, origin, scale)

    def inside(self, group: Group, key: str, origin: tuple[float, float], scale: float) -> None:
        for item, (cx, cy) in zip(group.items, group.centres, strict=True):
            x, y = origin[0] + cx * scale, origin[1] + cy * scale
            if not isinstance(item, Group):
                self.positions[item] = (x, y)
                self.parents[item] = key
                self.scales[item] = scale
                continue
            w, h = item.card[0] * scale, item.card[1] * scale
            x0, y0 = x - w / 2, y - h / 2
            self.groups.append(
                Box("group", item.key, item.label, (item.summary,), x0, y0, x0 + w, y0 + h,
                    tuple(item.members), key, GROUP_TITLE * scale, scale * item.scale)
            )  # fmt: skip
            ox = (item.card[0] - item.width * item.scale) / 2
            oy = GROUP_PAD + GROUP_TITLE * 1.6
            self.inside(item, item.key, (x0 + ox * scale, y0 + oy * scale), scale * item.scale)

    def finish(
        self, font: float, sequences: Sequence[Sequence[str]], containers: Mapping[str, Any]
    ) -> Layout:
        exits = _exit_marks(self.G)
        box_of = {m: b.key for b in (*self.boxes, *self.bands) for m in b.members}
        exit_links = {(box_of[e.source], box_of[e.target]) for e in exits}
        counts: Counter[tuple[str, str]] = Counter()
        for seq in sequences:
            for pair in set(itertools.pairwise(seq)):
                counts[pair] += 1
        links = tuple(Link(a, b, n, (a, b) in exit_links) for (a, b), n in counts.items())
        return Layout(
            self.positions,
            tuple(self.boxes),
            tuple(self.bands),
            tuple(self.groups),
            self.parents,
            self.scales,
            links,
            exits,
            font,
            tuple(self.clusters),
        )


def _ends(box: _Container, containers: Mapping[str, _Container]) -> tuple[str | None, str | None]:
    if box.kind == "gap":
        left, _, right = box.key.split(":", 1)[1].partition(">")
        return (left or None, right or None)
    segment = box.segments[0] if box.segments else {}
    regions = [f"region:{segment.get(k)}" for k in ("from_region", "to_region")]
    return (
        regions[0] if regions[0] in containers else None,
        regions[1] if regions[1] in containers else None,
    )


def _exit_marks(G: nx.DiGraph) -> tuple[ExitMark, ...]:
    """Rule 5: every exit of the inference, on the nodes that hold its two addresses."""
    holder: dict[str, str] = {}
    for node, attrs in G.nodes(data=True):
        if attrs.get("addr"):
            holder.setdefault(str(attrs["addr"]), node)
        for addr in attrs.get("member_addrs") or ():
            holder.setdefault(str(addr), node)
    found: dict[tuple[str, str], list[Any]] = {}
    for trace in (G.graph.get("inference") or {}).get("traces", []):
        info = trace.get("exit")
        if not info:
            continue
        ends = [
            a if a in G else holder.get(str(a))
            for a in (info.get("from_addr"), info.get("to_addr"))
        ]
        if None in ends or ends[0] == ends[1]:
            continue
        owner = info.get("to_owner") or "owner unknown"
        if info.get("to_asn") is not None:
            owner = f"{owner}, AS{info['to_asn']}"
        entry = found.setdefault((str(ends[0]), str(ends[1])),
                                 [trace.get("provider") or "the provider", owner, 0])  # fmt: skip
        entry[2] += 1
    return tuple(
        ExitMark(a, b, n, f"exit: {prov} → {owner} ({_plural(n, 'trace')})")
        for (a, b), (prov, owner, n) in found.items()
    )


def box_rects(layout: Layout) -> dict[str, tuple[float, float, float, float]]:
    """Every box's rectangle by key (top-level boxes, bands and groups)."""
    return {b.key: (b.x0, b.y0, b.x1, b.y1) for b in layout.all_boxes()}


def trace_regions(G: nx.DiGraph) -> dict[str, tuple[str | None, str | None]]:
    """Per trace id, its (source, destination) region from the inference."""
    inference = G.graph.get("inference") or {}
    return {
        t["origin"]: (t.get("src_region"), t.get("dst_region")) for t in inference.get("traces", [])
    }
