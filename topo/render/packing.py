"""Packing the inside of one box: group by prefix when crowded, then columns that wrap.

A box of the region map (:mod:`topo.render.layout`) holds routers, or, when it holds more
than :data:`CHILD_MAX` of them, *groups*: the members are split by address prefix (the
split whose largest part and number of parts are both smallest), and a group that is still
crowded is split again. So a box never shows more than :data:`CHILD_MAX` things at once,
and the page can draw a 50k-node set one readable level at a time.

The things of one box are placed in *columns* by hop position (each thing's column in the
box, from :func:`local_columns`), ordered inside a column by the rows of their
predecessors, and a column taller than the box is wide is split into side-by-side parts;
a box wider than :data:`ASPECT` times its height is wrapped into lines, like text, left to
right. Sizes are in *content units*: a router's label is :data:`FONT` units high.

>>> sizes = [(100.0, 60.0)] * 12
>>> w, h, centres = place_block(sizes, list(range(12)), [], aspect=1.6)
>>> round(w), round(h), len(centres)
(508, 252, 12)
>>> centres[0][0] < centres[1][0]   # left to right
True
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: A box shows at most this many things (routers or groups) before they are grouped.
CHILD_MAX = 48
#: A router's label height in content units (its box's scale multiplies it on the page).
FONT = 17.0
#: Height of one router's cell (symbol and label under it), content units.
CELL_H = 64.0
#: Room between columns and between rows, content units.
COL_GAP = 36.0
ROW_GAP = 12.0
#: Width over height that a box's inside aims at.
ASPECT = 1.6
#: The widest a group's card is, in its parent's units, before its inside is scaled down.
GROUP_MAX = 560.0
#: Title and count lines of a group's card (parent units).
GROUP_TITLE = FONT * 1.15
GROUP_PAD = 14.0

_V4_LEVELS = (8, 12, 16, 20, 22, 24, 26, 28, 30)
_V6_LEVELS = (16, 24, 32, 40, 48, 56, 64, 80, 96, 112)


def text_width(text: str, font: float) -> float:
    """Roughly how wide ``text`` is at ``font`` (sans-serif, mostly digits and dots)."""
    return len(text) * font * 0.58


def leaf_size(label: str) -> tuple[float, float]:
    """The cell of one router: its label's width (at least a symbol's) by :data:`CELL_H`."""
    return max(text_width(label, FONT) + 18.0, 64.0), CELL_H


@dataclass
class Group:
    """A packed group of a box: its members, the things shown inside, their places.

    ``items`` are graph nodes (``str``) or nested groups; ``centres`` their centres in this
    group's own units (0, 0 top left; ``width`` x ``height``); ``card`` the size of the group
    in its parent's units and ``scale`` = card / own units (at most 1).
    """

    key: str
    label: str
    members: list[str]
    items: list[str | Group] = field(default_factory=list)
    centres: list[tuple[float, float]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    card: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    summary: str = ""
    counts: Counter[str] = field(default_factory=Counter)


def address_of(attrs: Mapping[str, Any]) -> tuple[int, int] | None:
    """(IP version, address as an integer) of a router, or None (silent hops, aggregates)."""
    addr = attrs.get("addr")
    if not addr or attrs.get("kind") in ("segment", "prefix"):
        return None
    try:
        ip = ipaddress.ip_address(str(addr))
    except ValueError:
        return None
    return ip.version, int(ip)


def _network_name(version: int, value: int, length: int) -> str:
    bits = 32 if version == 4 else 128
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return f"{kind(value << (bits - length))}/{length}"


def split(
    members: Sequence[str],
    address: Callable[[str], tuple[int, int] | None],
    order: Mapping[str, int],
) -> list[tuple[str, list[str]]]:
    """Split crowded members into at most :data:`CHILD_MAX` parts, each named by its key.

    By address prefix first: of the levels that give 2..CHILD_MAX parts, the one whose
    number of parts and largest part are both smallest. Members without an address, or a
    set no prefix splits, are cut into runs in hop order (``"part 1 of 4"``).
    """
    found = [(m, address(m)) for m in members]
    loose = [m for m, a in found if a is None]
    with_ip = [(m, a) for m, a in found if a is not None]
    best: dict[tuple[int, int], list[str]] | None = None
    best_level = 0
    best_score = float("inf")
    for level in range(len(_V6_LEVELS)):
        parts: dict[tuple[int, int], list[str]] = defaultdict(list)
        for m, (version, value) in with_ip:
            levels = _V4_LEVELS if version == 4 else _V6_LEVELS
            length = levels[min(level, len(levels) - 1)]
            parts[(version, value >> ((32 if version == 4 else 128) - length))].append(m)
        count = len(parts) + (1 if loose else 0)
        if count > CHILD_MAX:
            break  # finer levels only split more
        if count < 2:
            continue
        largest = max([len(p) for p in parts.values()] + [len(loose)])
        score = max(count, largest)
        if score < best_score:
            best, best_level, best_score = dict(parts), level, score
    if best is not None:
        named = []
        for (version, value), part in best.items():
            levels = _V4_LEVELS if version == 4 else _V6_LEVELS
            named.append(
                (_network_name(version, value, levels[min(best_level, len(levels) - 1)]), part)
            )
        return [*named, *([("other", loose)] if loose else [])]
    ranked = sorted(members, key=lambda m: order.get(m, 0))
    chunks = min(CHILD_MAX, max(2, math.ceil(math.sqrt(len(ranked)))))
    size = math.ceil(len(ranked) / chunks)
    pieces = [ranked[i : i + size] for i in range(0, len(ranked), size)]
    return [(f"part {i + 1} of {len(pieces)}", piece) for i, piece in enumerate(pieces)]


def local_columns(
    members: Iterable[str], successors: Callable[[str], Iterable[str]]
) -> dict[str, int]:
    """Hop position inside a box: the longest path to each member from the box's entries,
    over edges between members (edges that close a cycle are dropped)."""
    inside = dict.fromkeys(members)
    state: dict[str, int] = {}
    order: list[str] = []
    back: set[tuple[str, str]] = set()
    for root in inside:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter([s for s in successors(root) if s in inside]))]
        while stack:
            node, it = stack[-1]
            step = next(it, None)
            if step is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state.get(step) == 1:
                back.add((node, step))
            elif step not in state:
                state[step] = 1
                stack.append((step, iter([s for s in successors(step) if s in inside])))
    column = dict.fromkeys(inside, 0)
    for node in reversed(order):  # reverse post-order: a topological order without back edges
        for step in successors(node):
            if step in inside and (node, step) not in back:
                column[step] = max(column[step], column[node] + 1)
    return column


def _rows_candidates(tallest: int) -> list[int]:
    found = {math.ceil(tallest / k) for k in range(1, min(tallest, 12) + 1)}
    return sorted(found, reverse=True)


def place_block(
    sizes: Sequence[tuple[float, float]],
    columns: Sequence[int],
    edges: Iterable[tuple[int, int]],
    *,
    aspect: float = ASPECT,
    wrap: bool = True,
    col_gap: float = COL_GAP,
    row_gap: float = ROW_GAP,
) -> tuple[float, float, list[tuple[float, float]]]:
    """Place things of the given ``sizes`` in columns (``columns[i]``, any integers).

    Inside a column, things are ordered by the mean row of their predecessors (two
    sweeps). A column may be split into parts side by side, and (``wrap``) the sequence of
    columns wrapped into lines; of the splits tried, the one closest to ``aspect`` wins.
    Returns width, height and the centre of each thing (0, 0 top left).
    """
    n = len(sizes)
    if n == 0:
        return 0.0, 0.0, []
    ranks = {c: i for i, c in enumerate(sorted(set(columns)))}
    cols: list[list[int]] = [[] for _ in ranks]
    for i, c in enumerate(columns):
        cols[ranks[c]].append(i)
    preds: dict[int, list[int]] = defaultdict(list)
    for u, v in edges:
        if u != v:
            preds[v].append(u)
    row = [0.0] * n
    for col in cols:
        for k, i in enumerate(col):
            row[i] = float(k)
    for _ in range(2):
        for col in cols:
            bary = {}
            for i in col:
                before = [row[p] for p in preds.get(i, ()) if ranks[columns[p]] < ranks[columns[i]]]
                bary[i] = sum(before) / len(before) if before else row[i]
            col.sort(key=lambda i: (bary[i], i))
            for k, i in enumerate(col):
                row[i] = k - (len(col) - 1) / 2
    best: tuple[float, float, float, list[tuple[float, float]]] | None = None
    tallest = max(len(c) for c in cols)
    for per_part in _rows_candidates(tallest):
        parts: list[list[int]] = []
        for col in cols:
            parts += [col[k : k + per_part] for k in range(0, len(col), per_part)]
        widths = [max(sizes[i][0] for i in part) for part in parts]
        heights = [sum(sizes[i][1] for i in part) + row_gap * (len(part) - 1) for part in parts]
        total = sum(widths) + col_gap * (len(parts) - 1)
        line_counts = [1]
        if wrap and len(parts) > 1:
            line_counts = list(range(1, min(len(parts), 8) + 1))
        last = math.inf
        for lines_wanted in line_counts:
            lines = _wrap(widths, total / lines_wanted, col_gap)
            line_w = [sum(widths[a:b]) + col_gap * (b - a - 1) for a, b in lines]
            line_h = [max(heights[a:b]) for a, b in lines]
            w = max(line_w)
            h = sum(line_h) + row_gap * 3 * (len(lines) - 1)
            score = abs(math.log(max(w, 1.0) / max(h, 1.0) / aspect)) + 0.35 * math.log(
                max(w * h, 1.0)
            )
            if best is None or score < best[0] - 1e-9:
                centres = _centres(parts, lines, widths, heights, line_h, sizes, col_gap, row_gap)
                best = (score, w, h, centres)
            if score > last:
                break  # more lines only make it worse from here
            last = score
    assert best is not None
    return best[1], best[2], best[3]


def _wrap(widths: Sequence[float], target: float, gap: float) -> list[tuple[int, int]]:
    lines: list[tuple[int, int]] = []
    start, used = 0, 0.0
    for i, width in enumerate(widths):
        if i > start and used + gap + width > target * 1.08:
            lines.append((start, i))
            start, used = i, width
        else:
            used = width if i == start else used + gap + width
    lines.append((start, len(widths)))
    return lines


def _centres(
    parts: Sequence[Sequence[int]],
    lines: Sequence[tuple[int, int]],
    widths: Sequence[float],
    heights: Sequence[float],
    line_h: Sequence[float],
    sizes: Sequence[tuple[float, float]],
    col_gap: float,
    row_gap: float,
) -> list[tuple[float, float]]:
    centres = [(0.0, 0.0)] * len(sizes)
    top = 0.0
    for (a, b), lh in zip(lines, line_h, strict=True):
        x = 0.0
        for p in range(a, b):
            y = top + (lh - heights[p]) / 2
            for i in parts[p]:
                centres[i] = (x + widths[p] / 2, y + sizes[i][1] / 2)
                y += sizes[i][1] + row_gap
            x += widths[p] + col_gap
        top += lh + row_gap * 3
    return centres


@dataclass(frozen=True)
class Packer:
    """What packing needs to know about the graph: each member's label, attributes,
    successors, hop column in its box, first-seen order, what it counts as (``tally``) and
    the words for a group's counts."""

    label_of: Callable[[str], str]
    attrs_of: Callable[[str], Mapping[str, Any]]
    successors: Callable[[str], Iterable[str]]
    column: Mapping[str, int]
    order: Mapping[str, int]
    tally: Callable[[str], Counter[str]]
    words: Callable[[Mapping[str, int]], str]
    addresses: dict[str, tuple[int, int] | None] = field(default_factory=dict)

    def address(self, node: str) -> tuple[int, int] | None:
        if node not in self.addresses:
            self.addresses[node] = address_of(self.attrs_of(node))
        return self.addresses[node]

    def pack(self, key: str, label: str, members: Sequence[str]) -> Group:
        """The group of ``members`` with its things placed (grouped when crowded)."""
        group = Group(key, label, list(members))
        if len(members) <= CHILD_MAX:
            group.items = list(members)
        else:
            for part, part_members in split(members, self.address, self.order):
                if len(part_members) == 1:
                    group.items.append(part_members[0])
                else:
                    group.items.append(self.pack(f"{key}/{part}", part, part_members))
        index: dict[str, int] = {}
        sizes: list[tuple[float, float]] = []
        columns: list[int] = []
        for i, item in enumerate(group.items):
            if isinstance(item, Group):
                for m in item.members:
                    index[m] = i
                sizes.append(item.card)
                cols = sorted(self.column.get(m, 0) for m in item.members)
                columns.append(cols[len(cols) // 2])
            else:
                index[item] = i
                sizes.append(leaf_size(self.label_of(item)))
                columns.append(self.column.get(item, 0))
        edges = {
            (index[u], index[v])
            for u in group.members
            for v in self.successors(u)
            if v in index and index[u] != index[v]
        }
        group.width, group.height, group.centres = place_block(sizes, columns, sorted(edges))
        for item in group.items:
            group.counts.update(item.counts if isinstance(item, Group) else self.tally(item))
        group.summary = self.words(group.counts)
        fit = max(group.width, group.height * ASPECT)
        group.scale = min(1.0, GROUP_MAX / fit) if fit > 0 else 1.0
        inner_w, inner_h = group.width * group.scale, group.height * group.scale
        text_w = max(text_width(label, GROUP_TITLE), text_width(group.summary, FONT))
        group.card = (
            max(inner_w, text_w) + 2 * GROUP_PAD,
            max(inner_h + GROUP_TITLE * 1.6, GROUP_TITLE * 1.6 + FONT * 1.5) + 2 * GROUP_PAD,
        )
        return group

    def content_origin(self, group: Group) -> tuple[float, float]:
        """Where a group's own (0, 0) sits inside its card (parent units, from the card's top
        left corner): under its title, centred across."""
        inner_w = group.width * group.scale
        return (group.card[0] - inner_w) / 2, GROUP_PAD + GROUP_TITLE * 1.6
