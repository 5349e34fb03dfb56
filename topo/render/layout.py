"""The region map: one box per region, bands between them, foreign networks outside.

Rule 1 lives in :mod:`topo.render.layout_boxes`, rule 2 in :mod:`topo.render.layout_columns`,
the insides of boxes in :mod:`topo.render.packing` and the words in
:mod:`topo.render.layout_words`; this module puts them together.

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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.render.layout_boxes import Container, assign_boxes
from topo.render.layout_columns import (
    CLUSTER_MIN,
    TOP_ITEMS,
    VIEW,
    Plan,
    clusters_of,
    components,
    place_boxes,
    plan,
    sequences,
)
from topo.render.layout_words import (
    BOLD,
    CATEGORY_WORDS,
    LINE_CHARS,
    SUMMARY,
    card_lines,
    census,
    census_words,
    merge_segments,
    plural,
    segment_summary,
    segment_words,
    short_region,
    tally,
    wrap_line,
)
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

__all__ = [  # what other modules use, and the words and rules kept in the modules beside
    "BOLD",
    "CATEGORY_WORDS",
    "CLUSTER_MIN",
    "LINE_CHARS",
    "SUMMARY",
    "TOP_ITEMS",
    "VIEW",
    "Box",
    "ExitMark",
    "Layout",
    "Link",
    "assign_boxes",
    "card_lines",
    "census",
    "census_words",
    "components",
    "compute_layout",
    "merge_segments",
    "segment_summary",
    "segment_words",
    "tally",
    "wrap_line",
]

#: Title font of the top-level boxes at the fit view, px (the page's floor is 11).
TITLE_PX = 12.5
#: The widest a top-level box's inside is (content units) before it is scaled down.
TOP_MAX = 1400.0
#: The title font never exceeds this many router fonts (a map of words alone).
FONT_MAX = 400.0
#: A cluster's inside is at most this many title fonts wide before it is scaled down.
CLUSTER_EMS = 24.0


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


# ---- rule 3 and 4: insides, titles, and the whole ---------------------------------------


def _title(G: nx.DiGraph, box: Container, provider: str) -> tuple[str, tuple[str, ...]]:
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
        return short_region(name)
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
    paths = sequences(G, box_of)
    scale = {
        key: min(1.0, TOP_MAX / max(root.width, root.height * ASPECT, 1.0))
        for key, root in roots.items()
    }
    clusters = clusters_of(containers, paths)
    in_cluster = {m: c for c, members in clusters.items() for m in members}
    shown = [[in_cluster.get(k, k) for k in seq] for seq in paths]
    shown = [[k for i, k in enumerate(seq) if i == 0 or seq[i - 1] != k] for seq in shown]
    cluster_words = {
        c: _cluster_words(c, [containers[m] for m in ms], roots, words, provider)
        for c, ms in clusters.items()
    }
    font, best = 18.0, 0.0
    planned: Plan | None = None  # the same boxes and traces at every font
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
        planned = planned or plan(list(macro), shown)
        centres = place_boxes(macro, shown, font, planned)
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
    return builder.finish(font, paths, containers)


def _cluster_words(
    key: str,
    members: Sequence[Container],
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
    box: Container,
    root: Group,
    words: tuple[str, tuple[str, ...]],
    card: tuple[float, float, float],
    corner: tuple[float, float],
    font: float,
    scale: float,
    k: float,
    parent: str | None,
    containers: Mapping[str, Container],
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
        box: Container,
        label: str,
        lines: tuple[str, ...],
        sentence: str,
        rect: tuple[float, float, float, float],
        font: float,
        scale: float,
        root: Group,
        origin: tuple[float, float],
        containers: Mapping[str, Container],
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
            for pair in dict.fromkeys(itertools.pairwise(seq)):  # once a trace, in order
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


def _ends(box: Container, containers: Mapping[str, Container]) -> tuple[str | None, str | None]:
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
        ExitMark(a, b, n, f"exit: {prov} → {owner} ({plural(n, 'trace')})")
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
