"""Rule 2 of the region map: where the top-level boxes go (see :mod:`topo.render.layout`).

Regions and networks (*anchors*) are ordered so that as few traces as possible run right to
left (Eades, Lin and Smyth's greedy feedback-arc ordering, weighted by traces), then layered
by the longest path on even columns; a band or gap (*connector*) goes in a column strictly
between the two anchors it joins. Boxes of a column are ordered by the rows of what leads to
them (:func:`~topo.render.packing.place_block`), columns too tall for the view are split
side by side, and unconnected parts of the map are stacked. A crowded column becomes a
cluster (:func:`clusters_of`).

>>> columns(["region:a", "segment:s", "region:b"], [["region:a", "segment:s", "region:b"]])
{'region:a': 0, 'region:b': 2, 'segment:s': 1}
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from topo.render.layout_boxes import Container
from topo.render.packing import place_block

#: The view the map's titles are sized for (px): the page's canvas at 1400 x 900.
VIEW = (1050.0, 650.0)
#: A column of the map holding more boxes of one kind than this shows them as one cluster.
CLUSTER_MIN = 12
#: The most things (boxes, bands, clusters) the map shows at the top.
TOP_ITEMS = 60


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


def columns(boxes: Sequence[str], sequences: Sequence[Sequence[str]]) -> dict[str, int]:
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
    earlier: dict[str, list[str]] = defaultdict(list)  # each anchor's predecessors before it
    for u, v in weight:
        if v in place and place[u] < place[v]:
            earlier[v].append(u)
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = max((layer[u] + 1 for u in earlier[n]), default=0)
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
) -> dict[str, tuple[float, float]]:
    """Rule 2: the centre of every top-level box (cards: its width and height); ``planned``:
    :func:`plan` of the same boxes and sequences, if made already."""
    planned = planned or plan(list(cards), sequences)
    column = planned.column
    blocks: list[tuple[float, float, dict[str, tuple[float, float]]]] = []
    for part, pairs in planned.parts:
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


def clusters_of(
    containers: Mapping[str, Container], sequences: Sequence[Sequence[str]]
) -> dict[str, list[str]]:
    """The crowded columns: boxes of one kind in one column of one part of the map, when
    there are more than :data:`CLUSTER_MIN` of them (keyed ``cluster:<kind>:<part>:<col>``);
    when the map would still show more than :data:`TOP_ITEMS` things, the boxes of one kind
    in one part, whatever their column (``cluster:<kind>:<part>:all``)."""
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
