"""Keep a page within a node budget: collapse reserved runs, then group addresses.

The page draws one readable level at a time (:mod:`topo.render.layout`), so what the
budget bounds is the file: about 0.6 KB a node (31 MB at 50k nodes, first drawn in
1.4 s; ``bench/page.py``). Past the budget the graph is aggregated before drawing, in
steps, stopping as soon as it fits:

1. every run of consecutive special-purpose or silent hops in a trace becomes one
   ``segment`` node (keyed by its interconnect segment when it lies in one, else by the
   public hops around it);
2. public addresses (and destinations) are grouped into ``prefix`` nodes: first by the
   covering prefix their owner published (else /24, IPv6 /48), then /16 (/32), then /8 (/16),
   then by owner family and region.

The result says what was done in ``G.graph["aggregation"]`` (shown on the page). An
aggregate keeps every member address (``member_addrs``), so the page's search still finds
each of them and opens the aggregate.

>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.graph import build_graph
>>> hops = [Hop(1, (Reply("13.208.0.67", 1.0),))]
>>> hops += [Hop(t, (Reply(f"100.65.1.{t}", float(t)),)) for t in range(2, 8)]
>>> hops += [Hop(8, (Reply("52.95.31.166", 9.0),))]
>>> G = build_graph([Trace(dst="52.95.31.166", hops=tuple(hops))])
>>> H = aggregate(G, max_nodes=5)
>>> H.number_of_nodes(), H.graph["aggregation"]["steps"]
(4, ['6 reserved or silent hops collapsed into 1 segment node'])
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import networkx as nx

#: Default node budget of ``topo build`` and :func:`topo.render.html`.
DEFAULT_MAX_NODES = 100_000


def _collapsible(attrs: dict[str, Any]) -> bool:
    return attrs.get("kind") == "anonymous" or (
        attrs.get("kind") == "hop" and bool(attrs.get("special"))
    )


def _segment_of(G: nx.DiGraph, run: list[str], left: str | None, right: str | None) -> str | None:
    chain = [n for n in (left, *run, right) if n is not None]
    for u, v in itertools.pairwise(chain):
        if G.has_edge(u, v) and G.edges[u, v].get("segment"):
            return str(G.edges[u, v]["segment"])
    return None


def trace_runs(G: nx.DiGraph) -> Iterator[tuple[list[str], str | None, str | None, str | None]]:
    """Every run of reserved or silent hops of every trace path: ``(run, the node before
    it, the node after it, the segment its edges are marked with)``, in path order."""
    for info in G.graph.get("trace_paths", {}).values():
        path = info.get("path", [])
        index = 0
        while index < len(path):
            if not _collapsible(G.nodes[path[index]]):
                index += 1
                continue
            end = index
            while end + 1 < len(path) and _collapsible(G.nodes[path[end + 1]]):
                end += 1
            run = path[index : end + 1]
            left = path[index - 1] if index > 0 else None
            right = path[end + 1] if end + 1 < len(path) else None
            yield run, left, right, _segment_of(G, run, left, right)
            index = end + 1


def reserved_runs(G: nx.DiGraph) -> dict[str, str]:
    """Map each node of a reserved or silent run to its run key (``run:seg-1``, ...)."""
    mapping: dict[str, str] = {}
    for run, left, right, segment in trace_runs(G):
        key = f"run:{segment}" if segment else f"run:{left or 'start'}|{right or 'end'}"
        for node in run:
            mapping.setdefault(node, key)
    return mapping


def _network(addr: str, v4: int, v6: int) -> str:
    ip = ipaddress.ip_address(addr)
    return str(ipaddress.ip_network(f"{addr}/{v4 if ip.version == 4 else v6}", strict=False))


def prefix_levels() -> list[Callable[[dict[str, Any]], str]]:
    """Grouping keys from the finest to the coarsest."""

    def owner_prefix(attrs: dict[str, Any]) -> str:
        return str(attrs.get("prefix") or _network(attrs["addr"], 24, 48))

    def owner_region(attrs: dict[str, Any]) -> str:
        return f"{attrs.get('family') or 'owner unknown'} {attrs.get('region') or ''}".strip()

    return [
        owner_prefix,
        lambda a: _network(a["addr"], 16, 32),
        lambda a: _network(a["addr"], 8, 16),
        owner_region,
    ]


def _groupable(attrs: dict[str, Any]) -> bool:
    return (
        attrs.get("kind") in ("hop", "destination")
        and not attrs.get("special")
        and bool(attrs.get("addr"))
    )


def _count(mapping: dict[str, str]) -> int:
    return len(set(mapping.values()))


def aggregate(G: nx.DiGraph, max_nodes: int | None = DEFAULT_MAX_NODES) -> nx.DiGraph:
    """``G`` itself when it fits ``max_nodes`` (``None`` or 0: no budget), else a smaller copy."""
    if not max_nodes or G.number_of_nodes() <= max_nodes:
        return G
    mapping = {str(n): str(n) for n in G}
    steps: list[str] = []
    runs = reserved_runs(G)
    if runs:
        for node, key in runs.items():
            mapping[node] = key
        groups = len(set(runs.values()))
        steps.append(
            f"{len(runs)} reserved or silent hops collapsed into {groups} segment "
            f"node{'s' if groups != 1 else ''}"
        )
    level_names = ("published prefix or /24", "/16", "/8", "owner and region")
    for name, level in zip(level_names, prefix_levels(), strict=True):
        if _count(mapping) <= max_nodes:
            break
        candidates = [n for n, a in G.nodes(data=True) if _groupable(a)]
        keys = {n: f"prefix:{level(G.nodes[n])}" for n in candidates}
        sizes = Counter(keys.values())
        grouped = {n: k for n, k in keys.items() if sizes[k] > 1}
        for node in candidates:
            mapping[node] = grouped.get(node, node)
        groups = len(set(grouped.values()))
        steps.append(f"{len(grouped)} addresses grouped into {groups} prefixes ({name})")
    return contract(G, mapping, max_nodes=max_nodes, steps=steps)


def _merge_attrs(key: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    run = key.startswith("run:")
    categories = Counter(str(m.get("category", "unknown")) for m in members)
    families = Counter(str(m["family"]) for m in members if m.get("family"))
    regions = {m.get("region") for m in members}
    addrs = [str(m["addr"]) for m in members if m.get("addr")]
    rtts = [float(m["rtt_min"]) for m in members if m.get("rtt_min") is not None]
    name = key.split(":", 1)[1]
    attrs: dict[str, Any] = {
        "kind": "segment" if run else "prefix",
        "label": (f"{len(members)} reserved hops" if run else f"{name} ({len(members)} addresses)"),
        "category": categories.most_common(1)[0][0],
        "special": run,
        "members": len(members),
        "member_categories": dict(sorted(categories.items())),
        "member_addrs": addrs,
        "ttls": sorted({t for m in members for t in m.get("ttls", [])}),
        "names": [],
        "mpls": [],
        "rtt_sum": sum(float(m.get("rtt_sum", 0.0)) for m in members),
        "rtt_count": sum(int(m.get("rtt_count", 0)) for m in members),
        "traces": 0,
    }
    if rtts:
        attrs["rtt_min"] = min(rtts)
    if run and name.startswith("seg-"):
        attrs["segment"] = name
    if not run:
        attrs["prefix"] = name
    if families:
        attrs["family"] = families.most_common(1)[0][0]
    if len(regions) == 1 and None not in regions:
        attrs["region"] = regions.pop()
    providers = {m.get("provider") for m in members}
    if len(providers) == 1 and None not in providers:
        attrs["provider"] = providers.pop()
    return attrs


def _remap_paths(G: nx.DiGraph, mapping: dict[str, str]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for trace, info in G.graph.get("trace_paths", {}).items():
        path: list[str] = []
        for node in info.get("path", []):
            key = mapping[node]
            if not path or path[-1] != key:
                path.append(key)
        paths[trace] = {**info, "path": list(dict.fromkeys(path))}
    return paths


def contract(
    G: nx.DiGraph, mapping: dict[str, str], *, max_nodes: int, steps: Iterable[str]
) -> nx.DiGraph:
    """A copy of ``G`` with the nodes of each group in ``mapping`` merged into one."""
    members: dict[str, list[dict[str, Any]]] = {}
    H = nx.DiGraph()
    for node, attrs in G.nodes(data=True):
        key = mapping[node]
        if key == node:
            H.add_node(node, **attrs)
        else:
            members.setdefault(key, []).append(attrs)
    for key, group in members.items():
        H.add_node(key, **_merge_attrs(key, group))
    paths = _remap_paths(G, mapping)
    through: Counter[str] = Counter()
    for info in paths.values():
        through.update(info["path"])
    for key in members:
        H.nodes[key]["traces"] = through[key]
    for u, v, attrs in G.edges(data=True):
        a, b = mapping[u], mapping[v]
        if a == b:
            continue
        if not H.has_edge(a, b):
            H.add_edge(a, b, **{**attrs, "trace_ids": list(attrs.get("trace_ids", []))})
            continue
        edge = H.edges[a, b]
        ids = list(dict.fromkeys([*edge["trace_ids"], *attrs.get("trace_ids", [])]))
        edge["trace_ids"] = ids[:20]
        edge["traces"] = max(len(ids), edge["traces"], attrs.get("traces", 0))
        edge["gap"] = min(edge.get("gap", 0), attrs.get("gap", 0))
        if attrs.get("rtt_delta_min") is not None:
            edge["rtt_delta_min"] = min(
                edge.get("rtt_delta_min", attrs["rtt_delta_min"]), attrs["rtt_delta_min"]
            )
        edge["segment"] = edge.get("segment") or attrs.get("segment")
        if not edge["segment"]:
            del edge["segment"]
    H.graph.update(G.graph)
    H.graph["trace_paths"] = paths
    H.graph["aggregation"] = {
        "max_nodes": max_nodes,
        "nodes_before": G.number_of_nodes(),
        "edges_before": G.number_of_edges(),
        "nodes_after": H.number_of_nodes(),
        "edges_after": H.number_of_edges(),
        "steps": list(steps),
        "over_budget": H.number_of_nodes() > max_nodes,
    }
    return H
