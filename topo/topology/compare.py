"""Compare topologies (region pairs) side by side: metrics, shared and unique nodes, directions.

Each :class:`~topo.topology.result.Topology` is one set (a folder of traces with its
optional ``topo.toml``, or a file, as :func:`topo.analyze` read it); with
``by_region_pair`` one set is split into one :class:`PairMetrics` per (source region,
destination region). Nothing is inferred again: the metrics come from each topology's
trace verdicts (and their step profiles) and graph.

Per pair: traces, median hop count, share of reserved hops, CGNAT / Class E / other
special counts, interconnect segments and their length, RTT gained across them against the
propagation bound and the directness ratio, end-to-end RTT, owner families, ECMP width and
the verdict. Across pairs: which nodes (public addresses and their prefixes,
special addresses within their provider) the sets share and which are unique to each, and
for pairs traced both ways (A→B and B→A) the two directions side by side with their
asymmetry.

>>> from topo.topology.analyze import analyze
>>> result = compare([analyze(["samples/aws-osaka-tokyo"], name="osaka-tokyo")])
>>> pair = result.pairs[0]
>>> pair.src_region, pair.dst_region, pair.cgnat, pair.class_e, pair.verdict
('ap-northeast-3', 'ap-northeast-1', 8, 4, 'on-provider')
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx

from topo.errors import UsageError
from topo.topology.infer import Inference, TraceVerdict, summarize
from topo.topology.result import Topology

#: Columns of the terminal table and the CSV, in order.
COLUMNS = (
    "set", "pair", "traces", "median_hops", "reserved_share", "cgnat", "class_e",
    "other_special", "segments", "segment_hops", "rtt_gained_ms", "rtt_bound_ms", "directness",
    "end_to_end_rtt_ms", "families", "ecmp_width", "verdict",
)  # fmt: skip


@dataclass(frozen=True)
class PairMetrics:
    """The comparison row of one region pair (or one set when its pair is unknown)."""

    set: str
    src_region: str | None
    dst_region: str | None
    traces: int
    median_hops: float | None
    reserved_share: float | None
    cgnat: int
    class_e: int
    other_special: int
    segments: tuple[dict[str, Any], ...]
    rtt_gained_ms: float | None
    rtt_bound_ms: float | None
    directness: float | None
    end_to_end_rtt_ms: float | None
    families: tuple[str, ...]
    ecmp_width: int
    verdict: str
    verdict_counts: dict[str, int]
    nodes: frozenset[str] = field(default=frozenset(), repr=False)
    rtt_profiles: tuple[tuple[tuple[int, float | None, str], ...], ...] = field(
        default=(), repr=False
    )

    @property
    def pair(self) -> str:
        return f"{self.src_region or '?'} -> {self.dst_region or '?'}"

    @property
    def label(self) -> str:
        """``set (pair)``, the name used for shared/unique nodes and directions."""
        return f"{self.set} ({self.pair})"

    def row(self) -> dict[str, Any]:
        """The flat row of the table and the CSV (columns in :data:`COLUMNS`)."""
        return {
            "set": self.set,
            "pair": self.pair,
            "traces": self.traces,
            "median_hops": self.median_hops,
            "reserved_share": self.reserved_share,
            "cgnat": self.cgnat,
            "class_e": self.class_e,
            "other_special": self.other_special,
            "segments": "; ".join(f"{s['kind']} {s['hops']} hops" for s in self.segments) or "-",
            "segment_hops": max((s["hops"] for s in self.segments), default=None),
            "rtt_gained_ms": self.rtt_gained_ms,
            "rtt_bound_ms": self.rtt_bound_ms,
            "directness": self.directness,
            "end_to_end_rtt_ms": self.end_to_end_rtt_ms,
            "families": ", ".join(self.families) or "-",
            "ecmp_width": self.ecmp_width,
            "verdict": self.verdict,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("nodes")
        data["pair"] = self.pair
        data["segments"] = list(self.segments)
        data["families"] = list(self.families)
        data["rtt_profiles"] = [[list(p) for p in profile] for profile in self.rtt_profiles]
        return data


@dataclass(frozen=True)
class Direction:
    """A pair traced both ways, side by side."""

    forward: str
    backward: str
    asymmetry: dict[str, float | None]
    shared_nodes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "forward": self.forward,
            "backward": self.backward,
            "asymmetry": self.asymmetry,
            "shared_nodes": list(self.shared_nodes),
        }


@dataclass(frozen=True)
class Comparison:
    """Every pair's metrics, the nodes they share or hold alone, and both-way pairs."""

    pairs: tuple[PairMetrics, ...]
    shared: dict[str, list[str]]
    unique: dict[str, list[str]]
    directions: tuple[Direction, ...]

    def to_dict(self) -> dict[str, Any]:
        """The documented ``topo compare --json`` document."""
        return {
            "pairs": [p.to_dict() for p in self.pairs],
            "shared": self.shared,
            "unique": self.unique,
            "directions": [d.to_dict() for d in self.directions],
        }


def _median(values: Iterable[float]) -> float | None:
    data = list(values)
    return round(statistics.median(data), 3) if data else None


def _hop_nodes(G: nx.DiGraph, verdicts: Sequence[TraceVerdict]) -> list[dict[str, Any]]:
    """The attributes of every answering node on the traces' paths, once per visit."""
    paths = G.graph.get("trace_paths", {})
    nodes = G.nodes
    found = []
    for verdict in verdicts:
        for key in paths.get(verdict.origin, {}).get("path", ()):
            data = nodes[key]
            if data.get("kind") == "hop":
                found.append({**data, "key": key})
    return found


def pair_metrics(
    name: str, verdicts: Sequence[TraceVerdict], inference: Inference, G: nx.DiGraph
) -> PairMetrics:
    """Metrics of one pair from its trace verdicts, their inference and the graph."""
    steps = [s for v in verdicts for s in v.steps if s.width]
    hops = _hop_nodes(G, verdicts)
    special = {h["addr"]: h["category"] for h in hops if h.get("special")}
    families = sorted({h["family"] for h in hops if not h.get("special") and h.get("family")})
    nodes = {h["key"] for h in hops} | {
        h["prefix"] for h in hops if not h.get("special") and h.get("prefix")
    }
    segments = tuple(
        {
            "kind": s.kind,
            "from_region": s.from_region,
            "to_region": s.to_region,
            "hops": len(s.ttls),
            "addrs": len(s.addrs),
            "categories": s.categories,
            "confidence": s.confidence,
        }
        for s in inference.segments
    )
    # the main segment: a bracketed one before an open one, then the most traces
    main = max(inference.segments, key=lambda s: (s.kind != "open", len(s.traces)), default=None)
    last_rtts = [
        v.steps[-1].rtt_min for v in verdicts if v.steps and v.steps[-1].rtt_min is not None
    ]
    first = inference.traces[0] if inference.traces else None
    return PairMetrics(
        set=name,
        src_region=first.src_region if first else None,
        dst_region=first.dst_region if first else None,
        traces=len(verdicts),
        median_hops=_median(len(v.steps) for v in verdicts if v.steps),
        reserved_share=round(sum(1 for s in steps if s.kind == "reserved") / len(steps), 3)
        if steps
        else None,
        cgnat=sum(1 for c in special.values() if c == "cgnat"),
        class_e=sum(1 for c in special.values() if c == "class-e"),
        other_special=sum(1 for c in special.values() if c not in ("cgnat", "class-e")),
        segments=segments,
        rtt_gained_ms=main.rtt_delta_ms if main else None,
        rtt_bound_ms=main.rtt_bound_ms if main else None,
        directness=main.directness if main else None,
        end_to_end_rtt_ms=_median(rtt for rtt in last_rtts if rtt is not None),
        families=tuple(families),
        ecmp_width=max((s.width for s in steps), default=0),
        verdict=inference.verdict,
        verdict_counts=inference.verdict_counts,
        nodes=frozenset(nodes),
        rtt_profiles=tuple(tuple((s.ttl, s.rtt_min, s.kind) for s in v.steps) for v in verdicts),
    )


def _directions(pairs: Sequence[PairMetrics]) -> list[Direction]:
    out = []
    for i, a in enumerate(pairs):
        for b in pairs[i + 1 :]:
            if a.src_region and a.src_region == b.dst_region and a.dst_region == b.src_region:
                keys = ("median_hops", "reserved_share", "end_to_end_rtt_ms", "rtt_gained_ms")
                asymmetry = {
                    key: None
                    if getattr(a, key) is None or getattr(b, key) is None
                    else round(getattr(a, key) - getattr(b, key), 3)
                    for key in keys
                }
                shared = tuple(sorted(a.nodes & b.nodes))
                out.append(Direction(a.label, b.label, asymmetry, shared))
    return out


def compare(topologies: Sequence[Topology], *, by_region_pair: bool = False) -> Comparison:
    """Compare ``topologies`` (each split by region pair when ``by_region_pair``); a set is
    named by its topology's ``name``. Each must have kept its traces' step profiles (the
    default of :func:`topo.analyze`)."""
    pairs: list[PairMetrics] = []
    for number, topology in enumerate(topologies, 1):
        if not topology.profiles:
            raise UsageError(
                f"{topology.name or f'set {number}'}: analysed without step profiles; "
                "compare needs analyze(..., profiles=True)"
            )
        name = topology.name or f"set {number}"
        inference = topology.inference
        groups: dict[tuple[str | None, str | None], list[TraceVerdict]] = {}
        for verdict in inference.traces:
            key = (verdict.src_region, verdict.dst_region) if by_region_pair else (None, None)
            groups.setdefault(key, []).append(verdict)
        for verdicts in groups.values():
            group = inference if len(groups) == 1 else summarize(verdicts)
            pairs.append(pair_metrics(name, verdicts, group, topology.graph))
    shared: dict[str, list[str]] = {}
    holders: dict[str, list[str]] = {}
    for pair in pairs:
        for node in pair.nodes:
            holders.setdefault(node, []).append(pair.label)
    for node, labels in sorted(holders.items()):
        if len(labels) > 1:
            shared[node] = labels
    unique = {pair.label: sorted(n for n in pair.nodes if len(holders[n]) == 1) for pair in pairs}
    return Comparison(tuple(pairs), shared, unique, tuple(_directions(pairs)))
