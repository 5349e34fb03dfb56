"""Positions computed in Python: left to right by hop position, like the article's drawing.

Columns are hop positions: the longest path from a vantage point (TTLs skipped count), so
a hop shared by a short and a long trace sits after everything that leads to it. Traces of
one region pair share a horizontal *lane*, so two region pairs never interleave; inside a
lane and column, nodes are ordered by the mean row of their predecessors (a barycentre
sweep), which spreads branches (load balancing) around the main path. Region boxes
enclose the connected nodes of one region, and each interconnect segment gets a band over
its reserved hops. Odd columns are shifted down a little (:data:`STAGGER`) so long address
labels of neighbouring hops stay apart while the columns stay narrow enough to read a
whole trace at once.

>>> from topo.inputs import read_traces
>>> from topo.inputs.manifest import manifests_for
>>> from topo.parsers import ParseResult
>>> from topo.topology.graph import build_graph
>>> from topo.topology.infer import infer_interconnects
>>> paths = ["samples/aws-osaka-tokyo"]
>>> traces = ParseResult.collect(read_traces(paths)).traces
>>> G = build_graph(traces, manifests=manifests_for(paths))
>>> _ = infer_interconnects(traces, manifests=manifests_for(paths), graph=G)
>>> layout = compute_layout(G)
>>> [box.label for box in layout.boxes]
['Osaka ap-northeast-3', 'Tokyo ap-northeast-1']
>>> layout.bands[0].label
'seg-1 inter-region: Osaka ap-northeast-3 → Tokyo ap-northeast-1'
>>> layout.positions["vantage:Osaka EC2 instance"][0] < layout.positions["15.230.154.163"][0]
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from topo.topology.regions import load_regions

DX = 100.0
DY = 70.0
#: Odd columns sit this share of ``DY`` lower than even ones, so the labels of
#: neighbouring columns (wider than a column) never overlap.
STAGGER = 0.3
#: Vantage points and destinations are drawn as labelled boxes: give them room.
ENDPOINT_SHIFT = {"vantage": -0.7, "destination": 0.7}


@dataclass(frozen=True)
class Box:
    """A rectangle drawn behind nodes: a region (``kind="region"``) or a segment band."""

    kind: str
    key: str
    label: str
    summary: tuple[str, ...]
    x0: float
    y0: float
    x1: float
    y1: float
    members: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "summary": list(self.summary),
            "x0": self.x0,
            "y0": self.y0,
            "x1": self.x1,
            "y1": self.y1,
        }


@dataclass(frozen=True)
class Layout:
    """Node positions (canvas units, y down), region boxes and interconnect bands."""

    positions: dict[str, tuple[float, float]]
    boxes: tuple[Box, ...]
    bands: tuple[Box, ...]


def trace_regions(G: nx.DiGraph) -> dict[str, tuple[str | None, str | None]]:
    """Per trace id, its (source, destination) region from the inference."""
    inference = G.graph.get("inference") or {}
    return {
        t["origin"]: (t.get("src_region"), t.get("dst_region")) for t in inference.get("traces", [])
    }


def back_edges(G: nx.DiGraph) -> set[tuple[str, str]]:
    """Edges that close a cycle (found by an iterative depth-first search), to be ignored."""
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    for root in G:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(G.successors(root)))]
        while stack:
            node, successors = stack[-1]
            step = next(successors, None)
            if step is None:
                state[node] = 2
                stack.pop()
            elif state.get(step) == 1:
                back.add((node, step))
            elif step not in state:
                state[step] = 1
                stack.append((step, iter(G.successors(step))))
    return back


def columns(G: nx.DiGraph) -> dict[str, int]:
    """The column (hop position) of every node: the longest path to it, counting the TTLs
    skipped, so a hop shared by traces of different lengths sits after all its predecessors;
    a vantage point sits just before its first hop."""
    skip = back_edges(G)
    dag = nx.DiGraph()
    dag.add_nodes_from(G)
    dag.add_edges_from((u, v) for u, v in G.edges if (u, v) not in skip)
    column: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        preds = [
            column[p] + 1 + int(G.edges[p, node].get("gap", 0)) for p in dag.predecessors(node)
        ]
        column[node] = max(preds, default=0)
    for node, attrs in G.nodes(data=True):
        if attrs.get("kind") == "vantage" and not any(True for _ in dag.predecessors(node)):
            after = [column[s] for s in dag.successors(node)]
            column[node] = max(min(after, default=1) - 1, 0)
    return column


def lanes(G: nx.DiGraph) -> tuple[dict[str, int], dict[str, int]]:
    """Lane of each node (by the region pair of the first trace through it) and order seen."""
    pairs = trace_regions(G)
    lane_of_pair: dict[tuple[str | None, str | None], int] = {}
    lane: dict[str, int] = {}
    seen: dict[str, int] = {}
    for trace, info in G.graph.get("trace_paths", {}).items():
        pair = pairs.get(trace, (None, None))
        number = lane_of_pair.setdefault(pair, len(lane_of_pair))
        for node in info.get("path", []):
            if node not in lane:
                lane[node] = number
                seen[node] = len(seen)
    for node in G:
        if node not in lane:
            lane[node] = 0
            seen[node] = len(seen)
    return lane, seen


def _order(
    G: nx.DiGraph, column: Mapping[str, int], lane: Mapping[str, int], seen: Mapping[str, int]
) -> dict[tuple[int, int], list[str]]:
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for node in sorted(G, key=lambda n: seen[n]):
        cells[(lane[node], column[node])].append(node)
    row = {n: float(i) for cell in cells.values() for i, n in enumerate(cell)}
    for _ in range(2):
        for key in sorted(cells, key=lambda k: (k[1], k[0])):
            cell = cells[key]
            bary = {}
            for node in cell:
                preds = [row[p] for p in G.predecessors(node) if column[p] < key[1]]
                bary[node] = sum(preds) / len(preds) if preds else row[node]
            cell.sort(key=lambda n: (bary[n], seen[n]))
            for i, node in enumerate(cell):
                row[node] = i - (len(cell) - 1) / 2
    return cells


def positions(G: nx.DiGraph, dx: float = DX, dy: float = DY) -> dict[str, tuple[float, float]]:
    """``{node: (x, y)}`` in canvas units (vis-network's y grows downwards)."""
    column = columns(G)
    lane, seen = lanes(G)
    cells = _order(G, column, lane, seen)
    height: dict[int, int] = defaultdict(int)
    for (lane_no, _), cell in cells.items():
        height[lane_no] = max(height[lane_no], len(cell))
    base: dict[int, float] = {}
    offset = 0.0
    for lane_no in sorted(height):
        base[lane_no] = offset + (height[lane_no] - 1) * dy / 2
        offset += (height[lane_no] + 2) * dy
    pos: dict[str, tuple[float, float]] = {}
    for (lane_no, col), cell in cells.items():
        for i, node in enumerate(cell):
            shift = (col % 2 - 0.5) * STAGGER * dy
            x = col * dx + ENDPOINT_SHIFT.get(G.nodes[node].get("kind"), 0.0) * dx
            pos[node] = (x, base[lane_no] + (i - (len(cell) - 1) / 2) * dy + shift)
    return pos


def node_regions(G: nx.DiGraph) -> dict[str, str]:
    """The region each node is drawn in: its published region, or its trace end's."""
    ends = trace_regions(G)
    region: dict[str, str] = {}
    for trace, info in G.graph.get("trace_paths", {}).items():
        path = info.get("path", [])
        src, dst = ends.get(trace, (None, None))
        if path and src and G.nodes[path[0]].get("kind") == "vantage":
            region.setdefault(path[0], src)
        if path and dst and G.nodes[path[-1]].get("kind") == "destination":
            region.setdefault(path[-1], dst)
    for node, attrs in G.nodes(data=True):
        if attrs.get("region") and not attrs.get("special"):
            region[node] = str(attrs["region"])
    return region


def _bounds(
    members: Iterable[str], pos: Mapping[str, tuple[float, float]], px: float, py: float
) -> tuple[float, float, float, float]:
    xs = [pos[m][0] for m in members]
    ys = [pos[m][1] for m in members]
    return min(xs) - px, min(ys) - py, max(xs) + px, max(ys) + py


#: A region's nodes in one lane farther apart than this many columns get two boxes.
BOX_GAP_COLUMNS = 3


def region_boxes(
    G: nx.DiGraph, pos: Mapping[str, tuple[float, float]], dx: float = DX, dy: float = DY
) -> list[Box]:
    """One box per region per lane (region pair), split where its nodes are more than
    :data:`BOX_GAP_COLUMNS` columns apart: a box never reaches into another pair's lane, so
    the boxes of a multi-pair page do not overlap (a region on several pairs, Tokyo as a
    source and as a destination, is drawn once per lane)."""
    regions = load_regions()
    region = node_regions(G)
    lane, _ = lanes(G)
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    for node, name in region.items():
        groups[(name, lane.get(node, 0))].append(node)
    parts: list[tuple[str, tuple[str, ...]]] = []
    for (name, _), in_lane in groups.items():
        ordered = sorted(in_lane, key=lambda n: pos[n])
        part = [ordered[0]]
        for node in ordered[1:]:
            if pos[node][0] - pos[part[-1]][0] > BOX_GAP_COLUMNS * dx:
                parts.append((name, tuple(part)))
                part = []
            part.append(node)
        parts.append((name, tuple(part)))
    parts.sort(key=lambda item: (min(pos[n][0] for n in item[1]), min(pos[n][1] for n in item[1])))
    count: dict[str, int] = defaultdict(int)
    for name, _ in parts:
        count[name] += 1
    seen: dict[str, int] = defaultdict(int)
    boxes = []
    for name, members in parts:
        seen[name] += 1
        label = regions.label(None, name) or name
        x0, y0, x1, y1 = _bounds(members, pos, dx * 0.45, dy * 0.75)
        key = name if count[name] == 1 else f"{name}#{seen[name]}"
        boxes.append(Box("region", key, label, (), x0, y0 - dy * 0.35, x1, y1, members))
    return boxes


def _fmt_ms(value: Any) -> str:
    return "?" if value is None else f"{float(value):.2f} ms"


def segment_summary(segment: Mapping[str, Any]) -> tuple[str, str]:
    """The band's title and one-line summary of a merged segment."""
    regions = load_regions()
    left = regions.label(None, segment.get("from_region")) or "?"
    right = regions.label(None, segment.get("to_region")) or "?"
    title = f"{segment.get('segment_id')} {segment.get('kind')}: {left} → {right}"
    names = {"cgnat": "CGNAT", "class-e": "Class E"}
    cats = ", ".join(f"{n} {names.get(c, c)}" for c, n in (segment.get("categories") or {}).items())
    hops = len(segment.get("addrs") or [])
    plausible = {True: "plausible", False: "BELOW the bound", None: "not checked"}[
        segment.get("rtt_plausible")
    ]
    rtt = (
        f"RTT +{_fmt_ms(segment.get('rtt_delta_ms'))} vs bound "
        f"{_fmt_ms(segment.get('rtt_bound_ms'))} ({plausible}"
    )
    if segment.get("directness") is not None:
        rtt += f", directness {segment['directness']}"
    rtt += ")"
    confidence = segment.get("confidence")
    extra = f" · in {confidence:.0%} of traces" if confidence is not None else ""
    return title, f"{hops} reserved hops ({cats}) · {rtt}{extra}"


def segment_bands(
    G: nx.DiGraph, pos: Mapping[str, tuple[float, float]], dx: float = DX, dy: float = DY
) -> list[Box]:
    """One band per merged interconnect segment, over its reserved hops."""
    members: dict[str, set[str]] = defaultdict(set)
    for u, v, attrs in G.edges(data=True):
        segment = attrs.get("segment")
        if segment:
            for node in (u, v):
                node_attrs = G.nodes[node]
                if node_attrs.get("special") or node_attrs.get("kind") in ("anonymous", "segment"):
                    members[str(segment)].add(node)
    for node, attrs in G.nodes(data=True):
        if attrs.get("kind") == "segment" and attrs.get("segment"):
            members[str(attrs["segment"])].add(node)
    bands = []
    for segment in (G.graph.get("inference") or {}).get("segments", []):
        sid = segment.get("segment_id")
        if not sid or not members.get(sid):
            continue
        title, summary = segment_summary(segment)
        nodes = tuple(sorted(members[sid], key=lambda n: pos[n]))
        x0, y0, x1, y1 = _bounds(nodes, pos, dx * 0.4, dy * 0.55)
        bands.append(Box("segment", sid, title, (summary,), x0, y0 - dy * 0.5, x1, y1, nodes))
    return bands


def compute_layout(G: nx.DiGraph, dx: float = DX, dy: float = DY) -> Layout:
    """Positions, region boxes and segment bands of ``G``."""
    pos = positions(G, dx, dy)
    return Layout(pos, tuple(region_boxes(G, pos, dx, dy)), tuple(segment_bands(G, pos, dx, dy)))
