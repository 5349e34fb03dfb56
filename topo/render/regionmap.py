"""What the static figure draws, as plain data: the region map of a laid-out graph.

The figure shows the *overview level* of the page's layout (:func:`~topo.render.layout.
compute_layout`): its region boxes and interconnect bands as they are, foreign networks as
boxes of their own, the links between them that the traces follow, and every exit (the
provider's last hop to the first foreign one). Routers are drawn one by one only when the
graph is small enough to read that way (:data:`DETAIL_MAX_NODES`).

An :class:`Area` is one rectangle with its title and a few lines of words; the rules that
make them, in order:

1. each region box and each segment band of the layout is an area (a band wins over a box
   for a node in both);
2. when the layout draws no network boxes of its own, the public hops that are in no area and
   not the provider's are grouped by owner (family, else org, else AS number) and by
   connected run; a group becomes an area when its rectangle overlaps no region box and no
   other network (else its routers stay unboxed; it may lie over a band, where the layout
   put its routers), the largest first, at most :data:`MAX_NETWORK_AREAS`;
3. a *link* joins two areas that a trace visits one after the other (unboxed hops between
   them skipped), weighted by the number of traces;
4. an *exit* is a trace's exit (:mod:`topo.topology.infer`) drawn between its two nodes
   (the aggregate holding an address when the graph was aggregated), once per node pair,
   and worded once per provider and network it leads to, the most travelled first;
5. at most :data:`MAX_AREAS` areas are kept: those an exit touches, then regions, bands,
   networks and *gap* boxes (what the layout puts between two others), the largest first;
   links touch kept areas only.

>>> from topo.topology.analyze import analyze
>>> from topo.render.layout import compute_layout
>>> G = analyze(["samples/example-leaves-provider"]).graph
>>> found = region_map(G, compute_layout(G))
>>> sorted({a.kind for a in found.areas})
['network', 'region', 'segment']
>>> [a.title for a in found.areas if a.kind == "region"]
['Tokyo ap-northeast-1', 'Osaka ap-northeast-3']
>>> found.exits[0].text
'exit: Amazon → Example Transit (constructed), AS64500 (2 traces)'
>>> found.exits[1].text   # the other exit to the same network
''
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.render.aggregate import aggregate, contract, prefix_levels, trace_runs
from topo.render.layout import Layout

#: Above this many nodes the figure draws areas and links only, not each router.
DETAIL_MAX_NODES = 120
#: At most this many foreign-network areas are derived (the largest first).
MAX_NETWORK_AREAS = 16
#: At most this many areas are drawn (rule 5).
MAX_AREAS = 60
#: At most this many exits are drawn (the most travelled first).
MAX_EXITS = 24


@dataclass(frozen=True)
class Area:
    """A rectangle of the map (canvas units, y down): ``kind`` is ``region``, ``network``
    (a foreign network), ``gap`` (between two others) or ``segment`` (an interconnect
    band)."""

    kind: str
    key: str
    title: str
    lines: tuple[str, ...]
    x0: float
    y0: float
    x1: float
    y1: float
    members: tuple[str, ...] = field(repr=False)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def overlaps(self, other: Area) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )


@dataclass(frozen=True)
class Exit:
    """Where traces left the provider: two nodes of the drawn graph and the words for it
    (``""`` when another exit to the same network carries them)."""

    src: str
    dst: str
    text: str
    traces: int


@dataclass(frozen=True)
class RegionMap:
    """Areas, links between areas (``(key, key) -> traces``), exits, whether each router
    is drawn (``detail``), and how many areas were ``left_out`` (rule 5)."""

    areas: tuple[Area, ...]
    links: dict[tuple[str, str], int]
    exits: tuple[Exit, ...]
    detail: bool
    area_of: dict[str, str] = field(repr=False, default_factory=dict)
    left_out: int = 0


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _counts(G: nx.DiGraph, members: Iterable[str]) -> str:
    """``12 routers, 1 destination`` for the members of an area."""
    kinds: Counter[str] = Counter()
    for node in members:
        attrs = G.nodes[node]
        kind = attrs.get("kind")
        size = int(attrs.get("members") or 1)
        if kind == "vantage":
            kinds["vantage point"] += 1
        elif kind == "destination":
            kinds["destination"] += size
        elif kind == "anonymous":
            kinds["silent hop"] += size
        else:
            kinds["router"] += size
    order = ("vantage point", "router", "silent hop", "destination")
    return ", ".join(_plural(kinds[k], k) for k in order if kinds[k])


def _owner(attrs: Mapping[str, Any]) -> str:
    name = attrs.get("family") or attrs.get("org") or attrs.get("asn_name")
    asn = attrs.get("asn")
    if name and asn is not None:
        return f"{name}, AS{asn}"
    if name:
        return str(name)
    return f"AS{asn}" if asn is not None else "owner unknown"


def _providers(G: nx.DiGraph) -> set[str]:
    traces = (G.graph.get("inference") or {}).get("traces", [])
    return {str(t["provider"]) for t in traces if t.get("provider")}


def _network_areas(
    G: nx.DiGraph, layout: Layout, taken: set[str], areas: list[Area], budget: int
) -> list[Area]:
    """Rule 2: foreign networks by owner and connected run, where they overlap nothing."""
    providers = _providers(G)
    groups: dict[str, list[str]] = defaultdict(list)
    for node, attrs in G.nodes(data=True):
        if node in taken or attrs.get("special") or attrs.get("kind") not in ("hop", "prefix"):
            continue
        if attrs.get("family") in providers or node not in layout.positions:
            continue
        groups[_owner(attrs)].append(node)
    candidates: list[tuple[str, list[str]]] = []
    for owner, nodes in groups.items():
        runs = nx.connected_components(G.subgraph(nodes).to_undirected(as_view=True))
        candidates.extend((owner, sorted(run)) for run in runs)
    candidates.sort(key=lambda item: (-len(item[1]), item[0], item[1][0]))
    found: list[Area] = []
    number: Counter[str] = Counter()
    for owner, nodes in candidates:
        if len(found) >= budget:
            break
        xs = [layout.positions[n][0] for n in nodes]
        ys = [layout.positions[n][1] for n in nodes]
        pad_x, pad_y = 45.0, 40.0
        number[owner] += 1
        key = f"net:{owner}" + (f"#{number[owner]}" if number[owner] > 1 else "")
        area = Area(
            "network",
            key,
            owner,
            (_counts(G, nodes),),
            min(xs) - pad_x,
            min(ys) - pad_y * 1.6,
            max(xs) + pad_x,
            max(ys) + pad_y,
            tuple(nodes),
        )
        others = (*(a for a in areas if a.kind != "segment"), *found)
        if not any(area.overlaps(other) for other in others):
            found.append(area)
    return found


def _locator(G: nx.DiGraph, where: Mapping[str, str]) -> Callable[[str | None], str | None]:
    """``find(addr)``: the drawn node holding an address: itself, its destination, where
    :func:`overview_graph` put it, or its aggregate (by the sample of member addresses, then
    by the longest covering prefix)."""
    sampled: dict[str, str] = {}
    networks: dict[Any, str] = {}
    for node, attrs in G.nodes(data=True):
        if attrs.get("kind") != "prefix":
            continue
        for addr in attrs.get("member_addrs") or ():
            sampled.setdefault(str(addr), str(node))
        try:
            networks[ipaddress.ip_network(str(attrs.get("prefix")), strict=False)] = str(node)
        except ValueError:
            continue

    lengths = sorted({network.prefixlen for network in networks}, reverse=True)

    def find(addr: str | None) -> str | None:
        if not addr:
            return None
        for key in (addr, f"dst:{addr}"):
            if key in G:
                return key
            if where.get(key) in G:
                return where[key]
        if addr in sampled:
            return sampled[addr]
        try:
            ipaddress.ip_address(addr)
        except ValueError:
            return None
        for length in lengths:
            node = networks.get(ipaddress.ip_network(f"{addr}/{length}", strict=False))
            if node is not None:
                return node
        return None

    return find


def _exits(G: nx.DiGraph, where: Mapping[str, str]) -> list[Exit]:
    """Rule 4, the most travelled first."""
    seen: dict[tuple[str, str], list[Any]] = {}
    cache: dict[str, str | None] = {}
    find = _locator(G, where)
    for trace in (G.graph.get("inference") or {}).get("traces", []):
        info = trace.get("exit")
        if not info:
            continue
        ends = []
        for addr in (info.get("from_addr"), info.get("to_addr")):
            if addr not in cache:
                cache[addr] = find(addr)
            ends.append(cache[addr])
        src, dst = ends
        if src is None or dst is None or src == dst:
            continue
        owner = info.get("to_owner") or "owner unknown"
        if info.get("to_asn") is not None:
            owner = f"{owner}, AS{info['to_asn']}"
        entry = seen.setdefault((src, dst), [trace.get("provider") or "the provider", owner, 0])
        entry[2] += 1
    total: Counter[tuple[str, str]] = Counter()
    for provider, owner, count in seen.values():
        total[(provider, owner)] += count
    ranked = sorted(
        seen.items(), key=lambda item: (-total[tuple(item[1][:2])], -item[1][2], item[0])
    )
    exits, worded = [], set()
    for (src, dst), (provider, owner, count) in ranked[:MAX_EXITS]:
        text = ""
        if (provider, owner) not in worded:  # one label for the exits to the same network
            worded.add((provider, owner))
            text = f"exit: {provider} → {owner} ({_plural(total[(provider, owner)], 'trace')})"
        exits.append(Exit(src, dst, text, count))
    return exits


def _links(G: nx.DiGraph, area_of: Mapping[str, str]) -> dict[tuple[str, str], int]:
    """Rule 3."""
    links: Counter[tuple[str, str]] = Counter()
    for info in G.graph.get("trace_paths", {}).values():
        visited: list[str] = []
        for node in info.get("path", []):
            area = area_of.get(node)
            if area is not None and (not visited or visited[-1] != area):
                visited.append(area)
        for a, b in itertools.pairwise(visited):
            if a != b:
                links[(a, b)] += 1
    return dict(links)


def _inside(layout: Layout) -> dict[str, list[str]]:
    """The nodes inside each top-level box or band, however deep (a layout that groups
    the inside of a box names each node's innermost box in ``parents``)."""
    parents: Mapping[str, str] = getattr(layout, "parents", {}) or {}
    up = {g.key: getattr(g, "parent", None) for g in getattr(layout, "groups", ())}
    inside: dict[str, list[str]] = defaultdict(list)
    for node, key in parents.items():
        seen = 0
        while key in up and up[key] is not None and seen < 64:
            key, seen = str(up[key]), seen + 1
        inside[key].append(node)
    return inside


#: What :func:`overview_graph` keeps of a large set: owner-and-region groups, segments.
OVERVIEW_GROUPS = 40
OVERVIEW_SEGMENTS = 20
OTHER = "prefix:other networks"


def _runs(G: nx.DiGraph, where: Mapping[str, str]) -> dict[str, tuple[str | None, str]]:
    """Each reserved or silent hop: the segment its run lies in, and the group before it."""
    runs: dict[str, tuple[str | None, str]] = {}
    for run, left, _, segment in trace_runs(G):
        before = where[left] if left is not None else "start"
        for node in run:
            runs.setdefault(node, (segment, before))
    return runs


def overview_graph(G: nx.DiGraph, max_nodes: int) -> tuple[nx.DiGraph, dict[str, str]]:
    """``G`` small enough to lay out quickly for the figure, and where each node went.

    A graph up to 8 times ``max_nodes`` is :func:`~topo.render.aggregate.aggregate`-d to
    it; when that is not enough, or the graph is larger, it is reduced to what the
    overview draws: every public address (and destination) in a group by owner and region
    (the :data:`OVERVIEW_GROUPS` largest; the rest in one group of other networks), every
    run of reserved or silent hops in its segment's node (the :data:`OVERVIEW_SEGMENTS`
    most travelled), else in one node after the group before it. Regions, networks and the
    bands between them survive; single routers do not.
    """
    steps: list[str] = []
    if G.number_of_nodes() <= 8 * max_nodes:
        first = aggregate(G, max_nodes)
        if first.number_of_nodes() <= max_nodes:
            return first, {}
        steps = list(first.graph.get("aggregation", {}).get("steps", ()))
    owner_region = prefix_levels()[-1]
    where = {str(n): str(n) for n in G}
    for node, attrs in G.nodes(data=True):
        kind, public = attrs.get("kind"), attrs.get("addr") and not attrs.get("special")
        if kind in ("hop", "destination") and public:
            where[node] = f"prefix:{owner_region(attrs)}"
    sizes = Counter(key for key in where.values() if key.startswith("prefix:"))
    kept = {key for key, _ in sizes.most_common(OVERVIEW_GROUPS)}
    where = {n: k if k in kept or not k.startswith("prefix:") else OTHER for n, k in where.items()}
    runs = _runs(G, where)
    busiest = Counter(segment for segment, _ in runs.values() if segment)
    segments = {segment for segment, _ in busiest.most_common(OVERVIEW_SEGMENTS)}
    for node, (segment, left) in runs.items():
        where[node] = f"run:{segment}" if segment in segments else f"run:after {left}"
    steps.append(
        f"for the figure, {len(sizes):,} owner-and-region groups of public addresses kept "
        f"to {len(kept)} (the rest as other networks), reserved runs to "
        f"{len(segments)} segments"
    )
    H = contract(G, where, max_nodes=max_nodes, steps=steps)
    for node in (OTHER, *(n for n in H if str(n).startswith("run:after"))):
        if node in H:  # a mix of owners: in no region and no network's box
            for name in ("family", "region", "provider", "segment"):
                H.nodes[node].pop(name, None)
    return H, where


def _area(G: nx.DiGraph, box: Any, kind: str, deep: Sequence[str]) -> Area:
    members = tuple(dict.fromkeys(m for m in (*box.members, *deep) if m in G))
    sentence = str(getattr(box, "sentence", "") or "")
    if kind == "segment" and sentence.startswith(f"{box.label}: "):
        lines: tuple[str, ...] = (sentence.removeprefix(f"{box.label}: "),)
    elif kind == "segment":  # the page's summary comes wrapped: one line, wrapped again
        lines = (" ".join(ln.strip() for ln in box.summary if ln.strip()),)
    else:
        lines = (_counts(G, members),)
    return Area(
        kind,
        f"{kind}:{box.key}",
        box.label,
        tuple(filter(None, lines)),
        box.x0,
        box.y0,
        box.x1,
        box.y1,
        members,
    )


def _chosen(areas: list[Area], exits: Sequence[Exit], budget: int) -> list[Area]:
    """Rule 5: the areas an exit touches, then regions, bands, networks and gap boxes, the
    largest first, up to ``budget``."""
    touched = {n for e in exits for n in (e.src, e.dst)}
    order = {"region": 1, "segment": 2, "network": 3, "gap": 4}

    def rank(area: Area) -> tuple[int, int, float, float]:
        first = 0 if touched.intersection(area.members) else order[area.kind]
        return (first, -len(area.members), area.x0, area.y0)

    return sorted(areas, key=rank)[:budget]


def region_map(
    G: nx.DiGraph,
    layout: Layout,
    max_areas: int = MAX_AREAS,
    where: Mapping[str, str] | None = None,
    detail: bool = True,
) -> RegionMap:
    """The :class:`RegionMap` of ``G`` (the graph that was laid out) and its ``layout``,
    with at most ``max_areas`` areas; ``where`` maps the original graph's nodes to those of
    ``G`` (:func:`overview_graph`), to find the exits; ``detail=False`` (``G`` stands for a
    larger graph) draws no router one by one, however few nodes ``G`` has."""
    kinds = {"region": "region", "network": "network", "gap": "gap"}
    deep = _inside(layout)
    areas = [_area(G, band, "segment", deep[band.key]) for band in layout.bands]  # a band wins
    areas += [_area(G, box, kinds.get(box.kind, "network"), deep[box.key]) for box in layout.boxes]
    area_of: dict[str, str] = {}
    for area in areas:
        for node in area.members:
            area_of.setdefault(node, area.key)
    if not any(a.kind == "network" for a in areas):
        for area in _network_areas(G, layout, set(area_of), areas, MAX_NETWORK_AREAS):
            areas.append(area)
            for node in area.members:
                area_of.setdefault(node, area.key)
    exits = _exits(G, where or {})
    shown = _chosen(areas, exits, max_areas)
    keys = {a.key for a in shown}
    area_of = {node: key for node, key in area_of.items() if key in keys}
    order = {"region": 0, "network": 1, "gap": 2, "segment": 3}
    shown.sort(key=lambda a: (order[a.kind], a.x0, a.y0))
    return RegionMap(
        areas=tuple(shown),
        links=_links(G, area_of),
        exits=tuple(exits),
        detail=detail and G.number_of_nodes() <= DETAIL_MAX_NODES,
        area_of=area_of,
        left_out=len(areas) - len(shown),
    )
