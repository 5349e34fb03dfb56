"""Rule 1 of the region map: the top-level box of every node (see :mod:`topo.render.layout`).

Every node belongs to exactly one box: a provider hop with a published region to its
*region* box; a vantage point or destination without a region of its own to its trace end's
region; a reserved or silent hop on an interconnect segment to the segment's *band*
(segments of one kind and region pair share a band); any other public hop to the *network*
box of its owner family, else its AS. Runs of what is left are placed by :func:`fill_runs`.

>>> from topo.topology.analyze import analyze
>>> box_of, boxes = assign_boxes(analyze(["samples/example-leaves-provider"]).graph)
>>> [(key, box.kind, box.foreign) for key, box in boxes.items()]  # doctest: +NORMALIZE_WHITESPACE
[('region:ap-northeast-1', 'region', False),
 ('network:Example Transit (constructed)', 'network', True),
 ('region:ap-northeast-3', 'region', False), ('segment:seg-1', 'segment', False)]
>>> box_of["10.201.4.1@Amazon"]  # a private run inside the carrier's path
'network:Example Transit (constructed)'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.topology.regions import load_regions


@dataclass
class Container:
    """A top-level box being built: its key, kind, members, segments, whether foreign."""

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


def assign_boxes(G: nx.DiGraph) -> tuple[dict[str, str], dict[str, Container]]:
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
    boxes: dict[str, Container] = {}

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
            boxes[key] = Container(key, kind)
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
        fill_runs(path, keys, put, unowned)
    for node in G:  # nodes on no trace path (none in graphs topo builds)
        found = _anchor(G.nodes[node], None, None)
        put(node, *(found or ("gap:-", "gap")))
    for container in boxes.values():
        if container.kind == "network":
            family = container.key.split(":", 1)[1]
            container.foreign = family not in providers
    return box_of, boxes


def fill_runs(
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
