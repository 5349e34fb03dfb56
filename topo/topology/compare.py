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
from topo.inputs.manifest import Manifest, reverse_pair
from topo.topology.infer import Inference, TraceVerdict, summarize
from topo.topology.regions import load_regions
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
    manifest: Manifest | None = field(default=None, repr=False, compare=False)

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
        data.pop("manifest")
        data["pair"] = self.pair
        data["segments"] = list(self.segments)
        data["families"] = list(self.families)
        data["rtt_profiles"] = [[list(p) for p in profile] for profile in self.rtt_profiles]
        return data


@dataclass(frozen=True)
class Direction:
    """A pair traced both ways, side by side: ``asymmetry`` is forward minus backward;
    ``differences`` says the same in words, with units."""

    forward: str
    backward: str
    asymmetry: dict[str, float | None]
    shared_nodes: tuple[str, ...]
    differences: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "forward": self.forward,
            "backward": self.backward,
            "asymmetry": self.asymmetry,
            "differences": list(self.differences),
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
    name: str,
    verdicts: Sequence[TraceVerdict],
    inference: Inference,
    G: nx.DiGraph,
    manifest: Manifest | None = None,
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
        manifest=manifest,
    )


#: What a direction compares: (key, words, unit, more-word), the value formatted by unit.
ASYMMETRY = (
    ("median_hops", "Median hop count", "hops", "more"),
    ("reserved_share", "Share of reserved hops", "%", "more"),
    ("end_to_end_rtt_ms", "End-to-end RTT", "ms", "longer"),
    ("rtt_gained_ms", "RTT gained across the interconnect", "ms", "more"),
)


def _way(pair: PairMetrics) -> str:
    regions = load_regions()
    ends = [regions.city(r) or r or "?" for r in (pair.src_region, pair.dst_region)]
    return " → ".join(ends)


def _amount(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0%}"
    if unit == "hops":
        return f"{value:g} hop{'' if value == 1 else 's'}"
    return f"{value:.1f} ms"


def differences(a: PairMetrics, b: PairMetrics, shared: int) -> tuple[str, ...]:
    """The asymmetry of ``a`` and ``b`` (the same pair both ways) in words with units:
    ``Median hop count: 24 hops Osaka → Tokyo, 16 hops Tokyo → Osaka (8 hops more Osaka →
    Tokyo)``."""
    there, back = _way(a), _way(b)
    lines = []
    for key, words, unit, more in ASYMMETRY:
        x, y = getattr(a, key), getattr(b, key)
        if x is None and y is None:
            continue
        if x is None or y is None:
            known, way = (y, back) if x is None else (x, there)
            lines.append(f"{words}: {_amount(known, unit)} {way}, not measured the other way")
            continue
        digits = {"%": ".0f", "ms": ".1f"}.get(unit, "g")  # the gap of the values as printed
        scale = 100 if unit == "%" else 1
        gap = abs(float(f"{x * scale:{digits}}") - float(f"{y * scale:{digits}}")) / scale
        if unit == "%":
            said = f"{gap * 100:.0f} percentage points {more}"
        else:
            said = f"{_amount(gap, unit)} {more}"
        tail = "the same both ways" if gap < 1e-9 else f"{said} {there if x > y else back}"
        lines.append(f"{words}: {_amount(x, unit)} {there}, {_amount(y, unit)} {back} ({tail})")
    nodes = f"{shared} node{'' if shared == 1 else 's'}"
    lines.append(f"Seen both ways: {nodes} (addresses and prefixes)")
    return tuple(lines)


def _own_pair(pair: PairMetrics) -> bool:
    """Whether the row is the pair its set's manifest names (a split set has others)."""
    m = pair.manifest
    return m is not None and (pair.src_region, pair.dst_region) in (
        (m.src_region, m.dst_region),
        (None, None),
    )


def _directions(pairs: Sequence[PairMetrics]) -> list[Direction]:
    """Pairs traced both ways: only those whose sets' manifests say they are reverses."""
    out = []
    for i, a in enumerate(pairs):
        for b in pairs[i + 1 :]:
            if not (_own_pair(a) and _own_pair(b) and reverse_pair(a.manifest, b.manifest)):
                continue
            asymmetry = {
                key: None
                if getattr(a, key) is None or getattr(b, key) is None
                else round(getattr(a, key) - getattr(b, key), 3)
                for key, *_ in ASYMMETRY
            }
            shared = tuple(sorted(a.nodes & b.nodes))
            words = differences(a, b, len(shared))
            out.append(Direction(a.label, b.label, asymmetry, shared, words))
    return out


def compare(topologies: Sequence[Topology], *, by_region_pair: bool = False) -> Comparison:
    """Compare ``topologies`` (each split by region pair when ``by_region_pair``); a set is
    named by its topology's ``name``, and paired with the way back by its ``manifest``.
    Each must have kept its traces' step profiles (the default of :func:`topo.analyze`)."""
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
            pairs.append(pair_metrics(name, verdicts, group, topology.graph, topology.manifest))
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
