"""Rule 2 of the region map: where the top-level boxes go (see :mod:`topo.render.layout`).

Regions and networks (*anchors*) are ordered so that as few traces as possible run right to
left (Eades, Lin and Smyth's greedy feedback-arc ordering, weighted by traces), then layered
by the longest path on even columns; a band or gap (*connector*) goes in a column strictly
between the two anchors it joins. Boxes of a column are ordered by the rows of what leads to
them (:func:`~topo.render.packing.place_block`), columns too tall for the view are split
side by side, and unconnected parts of the map are stacked. A crowded column becomes a
cluster (:func:`clusters_of`).

>>> columns(["region:a", "segment:s", "region:b"], [["region:a", "segment:s", "region:b"]])
{'region:a': 0, 'region:b': 120, 'segment:s': 60}
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.render.layout_boxes import Container

#: The view the map's titles are sized for (px): the page's canvas at 1400 x 900 (about
#: 1060 x 765 px beside the side panel, under the header) less the 4 % the page's fit
#: leaves around the map.
VIEW = (1010.0, 720.0)
#: A column of the map holding more boxes of one kind than this shows them as one cluster.
CLUSTER_MIN = 12
#: The most things (boxes, bands, clusters) the map shows at the top.
TOP_ITEMS = 60
#: Aggregation levels, tried in turn until the map fits the view: clusters of at least
#: this many boxes of one kind, in one column or (True) anywhere in a part of the map.
LADDER = ((CLUSTER_MIN + 1, False), (6, False), (6, True), (3, False), (3, True), (2, True))


def sequences(G: nx.DiGraph, box_of: Mapping[str, str]) -> list[list[str]]:
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


#: The placements tried for each part of the map: room between columns (title fonts), how
#: many times the slots of slanted lines are made taller, and whether boxes are nudged off
#: the lines still passing through them (see :func:`layered`).
VARIANTS = (
    (1.5, 0, False),
    (2.0, 0, False),
    (2.0, 3, False),
    (1.5, 0, True),
    (2.0, 0, True),
    (2.0, 3, True),
    (3.0, 0, True),
)
#: Parts of the map with more boxes and slots than this skip the search for swaps.
SWAP_MAX = 120
#: Of those, the ones that fit the view at least this share as well as the best may win
#: by crossing fewer boxes.
FIT_SHARE = 0.97


def crossings(
    sizes: Sequence[tuple[float, float]],
    centres: Sequence[tuple[float, float]],
    pairs: Sequence[tuple[int, int]],
) -> int:
    """How many times the straight line between two joined boxes' centres passes through a
    third box (the page draws links so)."""
    rects = [
        (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        for (w, h), (x, y) in zip(sizes, centres, strict=True)
    ]
    found = 0
    for a, b in dict.fromkeys(tuple(sorted(p)) for p in pairs if p[0] != p[1]):
        found += sum(
            1
            for k, rect in enumerate(rects)
            if k not in (a, b) and segment_meets(centres[a], centres[b], rect)
        )
    return found


def map_crossings(
    cards: Mapping[str, tuple[float, float]],
    centres: Mapping[str, tuple[float, float]],
    sequences: Sequence[Sequence[str]],
) -> int:
    """:func:`crossings` of a whole map: boxes by key, links from the traces' sequences."""
    keys = list(cards)
    index = {k: i for i, k in enumerate(keys)}
    pairs = list(dict.fromkeys(
        (index[a], index[b]) for seq in sequences for a, b in itertools.pairwise(seq)
    ))  # fmt: skip
    return crossings([cards[k] for k in keys], [centres[k] for k in keys], pairs)


def segment_meets(
    p: tuple[float, float], q: tuple[float, float], rect: tuple[float, float, float, float]
) -> bool:
    """Whether the segment from ``p`` to ``q`` passes through the inside of ``rect``
    (x0, y0, x1, y1): Liang and Barsky's clipping."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for step, room in ((-dx, p[0] - rect[0]), (dx, rect[2] - p[0]),
                       (-dy, p[1] - rect[1]), (dy, rect[3] - p[1])):  # fmt: skip
        if step == 0:
            if room <= 0:
                return False
            continue
        t = room / step
        if step < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    return t0 < t1


#: Column units between two layers of anchors (connectors of a run go in between).
LAYER = 120


def columns(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> dict[str, int]:
    """Rule 2's columns: anchors by layer (:data:`LAYER` units apart), connectors between
    their ends; the connectors of one run between two anchors each get a column of their
    own, in the order the traces meet them."""
    anchors = [b for b in boxes if not _is_connector(b)]
    weight: Counter[tuple[str, str]] = Counter()
    spots: dict[str, Counter[tuple[str | None, str | None, int, int]]] = defaultdict(Counter)
    for seq in sequences:
        last: str | None = None
        pending: list[str] = []
        for key in [*seq, None]:
            if key is not None and _is_connector(key):
                pending.append(key)
                continue
            if last is not None and key is not None and last != key:
                weight[(last, key)] += 1
            for i, c in enumerate(pending):
                spots[c][(last, key, i, len(pending))] += 1
            pending, last = [], key
    order = _greedy_order(anchors, weight)
    place = {n: i for i, n in enumerate(order)}
    earlier: dict[str, list[str]] = defaultdict(list)  # each anchor's predecessors before it
    for u, v in weight:
        if v in place and place[u] < place[v]:
            earlier[v].append(u)
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = max((layer[u] + 1 for u in earlier[n]), default=0)
    column = {n: LAYER * layer[n] for n in anchors}
    for key in boxes:
        if key in column:
            continue
        if not spots[key]:
            column[key] = 0
            continue
        p, q, i, k = max(spots[key].items(), key=lambda item: item[1])[0]  # first seen wins ties
        share = (i + 1) / (k + 1)
        cp = column.get(p) if p is not None else None
        cq = column.get(q) if q is not None else None
        if cp is not None and cq is not None and cp != cq:
            column[key] = round(cp + (cq - cp) * share)
        elif cp is not None:  # a run back to where it started, or to the end of a trace
            column[key] = round(cp + LAYER * share)
        elif cq is not None:
            column[key] = round(cq - LAYER * (1 - share))
        else:
            column[key] = round(LAYER * share)
    return column


def components(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> list[list[str]]:
    parent = {b: b for b in boxes}
    rank = {b: i for i, b in enumerate(boxes)}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for seq in sequences:
        for a, b in itertools.pairwise(seq):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb, key=rank.__getitem__)] = min(ra, rb, key=rank.__getitem__)
    groups: dict[str, list[str]] = defaultdict(list)
    for b in boxes:
        groups[find(b)].append(b)
    return list(groups.values())


@dataclass(frozen=True)
class Plan:
    """What :func:`place_boxes` needs of the boxes and the traces, whatever the cards' sizes:
    each box's column and the map's parts, each with its pairs of boxes one after the other
    (made once for the several fonts the layout tries)."""

    column: dict[str, int]
    parts: list[tuple[list[str], list[tuple[int, int]]]]
    orders: dict[Any, dict[Any, list[list[int]]]] = field(default_factory=dict, compare=False)


def plan(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> Plan:
    """The :class:`Plan` of ``boxes`` for ``sequences``."""
    edges: dict[tuple[str, str], None] = {}
    for seq in sequences:
        for pair in itertools.pairwise(seq):
            edges[pair] = None
    parts = []
    for part in components(boxes, sequences):
        index = {b: i for i, b in enumerate(part)}
        pairs = [(index[a], index[b]) for a, b in edges if a in index and b in index]
        parts.append((part, pairs))
    return Plan(columns(boxes, sequences), parts)


def place_boxes(
    cards: Mapping[str, tuple[float, float]],
    sequences: Sequence[Sequence[str]],
    font: float,
    planned: Plan | None = None,
    variant: tuple[float, int, bool] | None = None,
) -> dict[str, tuple[float, float]]:
    """Rule 2: the centre of every top-level box (cards: its width and height); ``planned``:
    :func:`plan` of the same boxes and sequences, if made already; ``variant``: one of
    :data:`VARIANTS` (else each part takes the one whose links cross fewest boxes)."""
    planned = planned or plan(list(cards), sequences)
    column = planned.column
    blocks: list[tuple[float, float, dict[str, tuple[float, float]]]] = []
    for index, (part, pairs) in enumerate(planned.parts):
        sizes = [cards[b] for b in part]
        between = [i for i, b in enumerate(part) if _is_connector(b)]
        tried = []
        for gap, widen, nudge in [variant] if variant else VARIANTS:
            cols = [column[b] for b in part]
            orders = planned.orders.setdefault((index, gap, widen), {})
            w, h, centres = layered(sizes, cols, pairs, col_gap=font * gap, row_gap=font * 0.9,
                                    widen=widen, orders=orders, between=between,
                                    nudge=nudge)  # fmt: skip
            fit = min(VIEW[0] / max(w, 1.0), VIEW[1] / max(h, 1.0))
            tried.append((crossings(sizes, centres, pairs), fit, w, h, centres))
        roomy = max(t[1] for t in tried) * FIT_SHARE
        _, _, w, h, centres = min(tried, key=lambda t: (t[1] < roomy, t[0], -t[1]))
        blocks.append((w, h, dict(zip(part, centres, strict=True))))
    if len(blocks) == 1:
        return blocks[0][2]
    return _pack_parts(blocks, cards, planned, font)


def _pack_parts(
    blocks: Sequence[tuple[float, float, dict[str, tuple[float, float]]]],
    cards: Mapping[str, tuple[float, float]],
    planned: Plan,
    font: float,
) -> dict[str, tuple[float, float]]:
    """The parts of the map together: the first where it is, each next one at the spot
    (beside or under a box already placed) that keeps the whole most readable in
    :data:`VIEW`, its frame touching no box and no link already placed."""
    gap = font * 2.0
    found: dict[str, tuple[float, float]] = dict(blocks[0][2])
    rects: list[tuple[float, float, float, float]] = []
    lines: list[tuple[tuple[float, float], tuple[float, float]]] = []

    def add(inside: Mapping[str, tuple[float, float]], pairs: Sequence[tuple[int, int]],
            part: Sequence[str]) -> None:  # fmt: skip
        for key in inside:
            (x, y), (w, h) = found[key], cards[key]
            rects.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        lines.extend((found[part[a]], found[part[b]]) for a, b in pairs)

    add(blocks[0][2], planned.parts[0][1], planned.parts[0][0])
    bounds = [0.0, 0.0, blocks[0][0], blocks[0][1]]
    for (w, h, inside), (part, pairs) in zip(blocks[1:], planned.parts[1:], strict=True):
        xs = sorted({bounds[0], *(r[2] + gap for r in rects)})
        ys = sorted({bounds[1], *(r[3] + gap for r in rects)})
        best: tuple[float, float, float, float] | None = None
        for x, y in itertools.product(xs, ys):
            frame = (x - gap / 2, y - gap / 2, x + w + gap / 2, y + h + gap / 2)
            if any(_meets(frame, r) for r in rects) or any(
                segment_meets(p, q, frame) for p, q in lines
            ):
                continue
            width = max(bounds[2], x + w) - min(bounds[0], x)
            height = max(bounds[3], y + h) - min(bounds[1], y)
            score = -min(VIEW[0] / width, VIEW[1] / height)
            if best is None or (score, y, x) < best[:3]:
                best = (score, y, x, 0.0)
        assert best is not None  # below everything is always free
        _, y, x, _ = best
        for key, (cx, cy) in inside.items():
            found[key] = (x + cx, y + cy)
        add(inside, pairs, part)
        bounds = [
            min(bounds[0], x),
            min(bounds[1], y),
            max(bounds[2], x + w),
            max(bounds[3], y + h),
        ]
    return found


def _meets(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def clusters_of(
    containers: Mapping[str, Container], sequences: Sequence[Sequence[str]], level: int = 0
) -> dict[str, list[str]]:
    """The crowded columns: boxes of one kind in one column of one part of the map, when
    there are more than :data:`CLUSTER_MIN` of them (keyed ``cluster:<kind>:<part>:<col>``);
    when the map would still show more than :data:`TOP_ITEMS` things, the boxes of one kind
    in one part, whatever their column (``cluster:<kind>:<part>:all``). A higher ``level``
    (an index of :data:`LADDER`) clusters fewer boxes: the map that does not fit the view
    otherwise."""
    least, by_part = LADDER[min(level, len(LADDER) - 1)]
    if level > 0:
        return _clusters(containers, sequences, least, by_part)
    keys = list(containers)
    column = columns(keys, sequences)
    part = {k: i for i, members in enumerate(components(keys, sequences)) for k in members}
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


# ---- one connected part: layers, dummies, order, straight rows -------------------------


def layered(
    sizes: Sequence[tuple[float, float]],
    columns: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    *,
    col_gap: float,
    row_gap: float,
    widen: int = 3,
    orders: dict[Any, list[list[int]]] | None = None,
    between: Collection[int] = (),
    nudge: bool = False,
) -> tuple[float, float, list[tuple[float, float]]]:
    """Boxes of the given ``sizes`` in their ``columns`` (any integers, left to right), the
    ``pairs`` of boxes that traces join kept straight: a pair that skips columns reserves a
    slot (a *dummy*) in each column between, the boxes of a column are ordered to cross as
    few pairs as possible (barycentre sweeps, the best order kept), then each box is moved
    towards the rows of its neighbours, never overlapping (:func:`_settle`); ``widen`` times
    the slots of slanted lines are made taller and the rows settled again. Last, swaps of
    neighbours in a column are kept while they make fewer lines pass through a box (the
    order found is kept in ``orders`` for the same boxes at other sizes), then while fewer
    of the boxes ``between`` (bands) sit outside the rows of the boxes they join; with
    ``nudge``, boxes a line still passes through are moved off it (:func:`_clear`). Returns width,
    height and the centre of every box (0, 0 top left)."""
    ranks = {c: i for i, c in enumerate(sorted(set(columns)))}
    rank = [ranks[c] for c in columns]
    heights = [h for _, h in sizes]
    links: set[tuple[int, int]] = set()
    chain: dict[int, tuple[int, int]] = {}  # a dummy's two boxes
    for u, v in dict.fromkeys(tuple(sorted(p)) for p in pairs if p[0] != p[1]):
        a, b = (u, v) if rank[u] <= rank[v] else (v, u)
        prev = a
        for k in range(rank[a] + 1, rank[b]):  # a slot in every column the pair skips
            rank.append(k)
            heights.append(row_gap * 0.8)
            chain[len(rank) - 1] = (a, b)
            links.add((prev, len(rank) - 1))
            prev = len(rank) - 1
        links.add((prev, b))
    near: dict[int, list[int]] = defaultdict(list)
    for a, b in sorted(links):
        near[a].append(b)
        near[b].append(a)
    widths = [0.0] * len(ranks)
    for i, (w, _) in enumerate(sizes):
        widths[rank[i]] = max(widths[rank[i]], w)
    xs, x = [], 0.0
    for w in widths:
        xs.append(x + w / 2)
        x += w + col_gap
    rows = _Rows(rank, near, heights, chain, xs, widths, row_gap, widen)
    key = (widen, len(rank))
    if orders is not None and key in orders:
        layers = [list(layer) for layer in orders[key]]
    else:
        layers = [[] for _ in ranks]
        for i, k in enumerate(rank):
            layers[k].append(i)
        layers = _order(layers, near, rank, links)
        layers = _swaps(layers, rows, sizes, pairs, between)
        if orders is not None:
            orders[key] = [list(layer) for layer in layers]
    ys = rows.place(layers)
    if nudge:
        ys = _clear(layers, ys, rows, sizes, pairs)
    top = min(ys[i] - heights[i] / 2 for i in range(len(sizes)))
    bottom = max(ys[i] + heights[i] / 2 for i in range(len(sizes)))
    centres = [(xs[rank[i]], ys[i] - top) for i in range(len(sizes))]
    return x - col_gap, bottom - top, centres


@dataclass
class _Rows:
    """What settling the rows of :func:`layered` needs: each box's (and dummy's) column,
    neighbours and height, the dummies' two boxes, the columns' centres and widths."""

    rank: Sequence[int]
    near: Mapping[int, Sequence[int]]
    heights: list[float]
    chain: Mapping[int, tuple[int, int]]
    xs: Sequence[float]
    widths: Sequence[float]
    gap: float
    widen: int

    def place(self, layers: Sequence[Sequence[int]], rounds: int = 40) -> list[float]:
        """The centre row of every box and dummy for the order ``layers``."""
        rank, xs = self.rank, self.xs
        lines = {
            d: (a, b, (xs[rank[d]] - xs[rank[a]]) / (xs[rank[b]] - xs[rank[a]]))
            for d, (a, b) in self.chain.items()
        }
        heights = list(self.heights)
        ys = _settle(layers, self.near, heights, self.gap, lines, rounds=rounds)
        for _ in range(self.widen):  # a slanted line needs a taller slot to pass a column
            for d, (a, b) in self.chain.items():
                slope = (ys[b] - ys[a]) / (xs[rank[b]] - xs[rank[a]])
                heights[d] = self.gap * 0.8 + min(abs(slope), 0.5) * (
                    self.widths[rank[d]] + self.gap
                )
            ys = _settle(layers, self.near, heights, self.gap, lines, ys, rounds)
        return ys


def _clear(
    layers: Sequence[Sequence[int]],
    ys: list[float],
    rows: _Rows,
    sizes: Sequence[tuple[float, float]],
    pairs: Sequence[tuple[int, int]],
    rounds: int = 40,
) -> list[float]:
    """Rows once more, while lines still pass through boxes: for the first such box, the
    move that leaves fewest (the box off the line the nearer way, or one end of the line,
    the least that clears it), its column kept in order without overlaps; until none is
    left, no move helps, or ``rounds`` are done."""
    n = len(sizes)
    links = list(dict.fromkeys(tuple(sorted(p)) for p in pairs if p[0] != p[1]))
    x = [rows.xs[rows.rank[i]] for i in range(n)]
    column_of = {i: k for k, layer in enumerate(layers) for i in layer if i < n}

    def rect(i: int, at: Sequence[float]) -> tuple[float, float, float, float]:
        w, h = sizes[i]
        return x[i] - w / 2, at[i] - h / 2, x[i] + w / 2, at[i] + h / 2

    def hits(at: Sequence[float]) -> list[tuple[int, int, int]]:
        rects = [rect(i, at) for i in range(n)]
        found = []
        for a, b in links:
            lo_x, hi_x = min(x[a], x[b]), max(x[a], x[b])
            lo_y, hi_y = min(at[a], at[b]), max(at[a], at[b])
            for c, r in enumerate(rects):
                if c in (a, b) or r[2] <= lo_x or r[0] >= hi_x or r[3] <= lo_y or r[1] >= hi_y:
                    continue
                if segment_meets((x[a], at[a]), (x[b], at[b]), r):
                    found.append((a, b, c))
        return found

    def moved(at: Sequence[float], i: int, step: float) -> list[float]:
        out = list(at)
        real = [j for j in layers[column_of[i]] if j < n]  # the slots have done their work
        want = [out[j] + (step if j == i else 0.0) for j in real]
        for j, y in zip(real, _project(want, [sizes[j][1] for j in real], rows.gap), strict=True):
            out[j] = y
        return out

    def clearing(a: int, b: int, c: int, at: Sequence[float], mover: int) -> float | None:
        """The least move of ``mover``, up or down (doubling from a row gap), that takes
        the line a-b off box c."""
        step = rows.gap
        for _ in range(6):
            for sign in (1.0, -1.0):
                trial = list(at)
                trial[mover] += sign * step
                if not segment_meets((x[a], trial[a]), (x[b], trial[b]), rect(c, trial)):
                    return sign * step
            step *= 2
        return None

    ys = list(ys)
    current = hits(ys)
    for _ in range(rounds):
        if not current:
            break
        a, b, c = current[0]
        options = []
        r = rect(c, ys)
        slope = (ys[b] - ys[a]) / (x[b] - x[a]) if x[b] != x[a] else 0.0
        at = [ys[a] + slope * (edge - x[a]) for edge in (r[0], r[2])]
        up, down = min(at) - r[3] - rows.gap / 2, max(at) - r[1] + rows.gap / 2
        options.append((c, up if abs(up) < abs(down) else down))
        for mover in (a, b):
            step = clearing(a, b, c, ys, mover)
            if step is not None:
                options.append((mover, step))
        tried = []
        for mover, step in options:
            trial = moved(ys, mover, step)
            found = hits(trial)
            tried.append((len(found), abs(step), trial, found))
        best = min(tried, key=lambda t: (t[0], t[1]))
        if best[0] >= len(current):
            break
        ys, current = best[2], best[3]
    return ys


def _swaps(
    layers: list[list[int]],
    rows: _Rows,
    sizes: Sequence[tuple[float, float]],
    pairs: Sequence[tuple[int, int]],
    between: Collection[int] = (),
) -> list[list[int]]:
    """Swaps of neighbours in a column, kept while fewer lines pass through a box, then
    while fewer boxes of ``between`` (bands, gaps) sit outside the rows of the boxes they
    join (a few passes, on maps small enough for it)."""
    if len(rows.rank) > SWAP_MAX:
        return layers
    ends = {c: [j for j in rows.near.get(c, ()) if j < len(sizes)] for c in between}

    def score(order: Sequence[Sequence[int]]) -> tuple[int, int]:
        ys = rows.place(order, rounds=12)
        centres = [(rows.xs[rows.rank[i]], ys[i]) for i in range(len(sizes))]
        outside = sum(
            1
            for c, near in ends.items()
            if near
            and not min(ys[j] - sizes[j][1] / 2 for j in near)
            <= ys[c]
            <= max(ys[j] + sizes[j][1] / 2 for j in near)
        )
        return crossings(sizes, centres, pairs), outside

    best = score(layers)
    for _ in range(3):
        better = False
        for layer in layers:
            for p in range(len(layer) - 1):
                if best == (0, 0):
                    return layers
                layer[p], layer[p + 1] = layer[p + 1], layer[p]
                found = score(layers)
                if found < best:
                    best, better = found, True
                else:
                    layer[p], layer[p + 1] = layer[p + 1], layer[p]
        if not better:
            break
    return layers


def _crossings(
    layers: Sequence[Sequence[int]], links: set[tuple[int, int]], rank: Sequence[int]
) -> int:
    """How many pairs of links between neighbouring columns cross."""
    pos = {i: k for layer in layers for k, i in enumerate(layer)}
    between: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in links:
        if rank[a] != rank[b]:
            lo, hi = (a, b) if rank[a] < rank[b] else (b, a)
            between[rank[lo]].append((pos[lo], pos[hi]))
    found = 0
    for edges in between.values():
        for (a1, b1), (a2, b2) in itertools.combinations(edges, 2):
            if (a1 - a2) * (b1 - b2) < 0:
                found += 1
    return found


def _order(
    layers: list[list[int]],
    near: Mapping[int, Sequence[int]],
    rank: Sequence[int],
    links: set[tuple[int, int]],
) -> list[list[int]]:
    """Each column's boxes ordered by the mean place of their neighbours in the column
    before (sweeping right) or after (sweeping left); the order with fewest crossings."""
    best = [list(layer) for layer in layers]
    fewest = _crossings(best, links, rank)
    current = [list(layer) for layer in layers]
    for sweep in range(8):
        right = sweep % 2 == 0
        steps = range(1, len(current)) if right else range(len(current) - 2, -1, -1)
        for k in steps:
            ref = k - 1 if right else k + 1
            pos = {i: p for p, i in enumerate(current[ref])}
            here = {i: p for p, i in enumerate(current[k])}

            def bary(i: int, pos: Mapping[int, int] = pos, here: Mapping[int, int] = here) -> float:
                seen = [pos[j] for j in near.get(i, ()) if j in pos]
                return sum(seen) / len(seen) if seen else float(here[i])

            current[k].sort(key=lambda i: (bary(i), here[i]))
        found = _crossings(current, links, rank)
        if found < fewest:
            best, fewest = [list(layer) for layer in current], found
    return best


def _settle(
    layers: Sequence[Sequence[int]],
    near: Mapping[int, Sequence[int]],
    heights: Sequence[float],
    gap: float,
    lines: Mapping[int, tuple[int, int, float]],
    start: Sequence[float] | None = None,
    rounds: int = 40,
) -> list[float]:
    """The row (centre y) of every box: stacked first, then moved towards the mean row of
    its neighbours, column by column, each column kept in order and without overlaps; a
    dummy (``lines``: its two boxes and how far along it is) towards the straight line
    between its boxes, the line the page draws."""
    ys = list(start) if start is not None else [0.0] * len(heights)
    for layer in layers if start is None else ():
        y = 0.0
        for i in layer:
            ys[i] = y + heights[i] / 2
            y += heights[i] + gap
    for r in range(rounds):
        steps = list(range(len(layers)))
        for k in steps if r % 2 == 0 else steps[::-1]:
            want = [_wanted(i, ys, near, lines) for i in layers[k]]
            for i, y in zip(layers[k], _project(want, [heights[i] for i in layers[k]], gap),
                            strict=True):  # fmt: skip
                ys[i] = y
    return ys


def _wanted(
    i: int,
    ys: Sequence[float],
    near: Mapping[int, Sequence[int]],
    lines: Mapping[int, tuple[int, int, float]],
) -> float:
    """Where box ``i`` would like its centre: on its line (a dummy), else at the mean row of
    its neighbours."""
    if i in lines:
        a, b, t = lines[i]
        return ys[a] + (ys[b] - ys[a]) * t
    if near.get(i):
        return sum(ys[j] for j in near[i]) / len(near[i])
    return ys[i]


def _project(want: Sequence[float], heights: Sequence[float], gap: float) -> list[float]:
    """Centres as close as can be (least squares) to ``want``, in the given order, each
    at least ``gap`` below the one before: blocks of touching boxes, merged while they
    overlap, each at the mean of what its boxes want."""
    blocks: list[list[float]] = []  # [first index, count, sum of wanted tops, height]
    offsets = []
    for i, (w, h) in enumerate(zip(want, heights, strict=True)):
        offsets.append(0.0)
        block = [float(i), 1.0, w - h / 2, h]
        while blocks:
            prev = blocks[-1]
            prev_top = prev[2] / prev[1]
            if prev_top + prev[3] + gap <= block[2] / block[1]:
                break
            shift = prev[3] + gap  # the block's boxes move below the previous ones
            for j in range(int(block[0]), int(block[0] + block[1])):
                offsets[j] += shift
            prev[2] += block[2] - shift * block[1]
            prev[1] += block[1]
            prev[3] += gap + block[3]
            block = blocks.pop()
        blocks.append(block)
    found = [0.0] * len(want)
    for first, count, total, _ in blocks:
        top = total / count
        for j in range(int(first), int(first + count)):
            found[j] = top + offsets[j] + heights[j] / 2
    return found


def _clusters(
    containers: Mapping[str, Container],
    sequences: Sequence[Sequence[str]],
    least: int,
    by_part: bool,
) -> dict[str, list[str]]:
    """Boxes of one kind (foreign networks apart) clustered when at least ``least`` of them
    share a column of a part of the map, or (``by_part``) a part."""
    keys = list(containers)
    column = columns(keys, sequences)
    part = {k: i for i, members in enumerate(components(keys, sequences)) for k in members}
    found: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for key, box in containers.items():
        kind = ("foreign" if box.foreign else "network") if box.kind == "network" else box.kind
        found[(part[key], "all" if by_part else str(column[key]), kind)].append(key)
    return {
        f"cluster:{kind}:{p}:{col}": members
        for (p, col, kind), members in found.items()
        if len(members) >= least
    }
