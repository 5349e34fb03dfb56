"""Compare trace sets (region pairs) side by side: metrics, shared and unique nodes, directions.

A *set* is a folder of traces (with its optional ``topo.toml``) or a file; with
``by="region-pair"`` one set is split into one :class:`PairMetrics` per (source region,
destination region). Per pair: traces, median hop count, share of reserved hops, CGNAT /
Class E / other special counts, interconnect segments and their length, RTT gained across
them against the propagation bound and the directness ratio, end-to-end RTT, owner families,
ECMP width and the verdict. Across pairs: which nodes (public addresses and their prefixes,
special addresses within their provider) the sets share and which are unique to each, and
for pairs traced both ways (A→B and B→A) the two directions side by side with their
asymmetry.

>>> from topo.inputs import read_traces
>>> from topo.parsers import ParseResult
>>> traces = ParseResult.collect(read_traces(["samples/aws-osaka-tokyo"])).traces
>>> result = compare_sets([TraceSet("osaka-tokyo", traces, {})])
>>> pair = result.pairs[0]
>>> pair.src_region, pair.dst_region, pair.cgnat, pair.class_e, pair.verdict
('ap-northeast-3', 'ap-northeast-1', 8, 4, 'on-provider')
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from topo.inputs.manifest import Manifest, manifest_for_trace
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver
from topo.topology.graph import address_key
from topo.topology.infer import Inference, infer_interconnects
from topo.topology.views import TraceView, answers_for, view_trace

#: Columns of the terminal table and the CSV, in order.
COLUMNS = (
    "set", "pair", "traces", "median_hops", "reserved_share", "cgnat", "class_e",
    "other_special", "segments", "segment_hops", "rtt_gained_ms", "rtt_bound_ms", "directness",
    "end_to_end_rtt_ms", "families", "ecmp_width", "verdict",
)  # fmt: skip


@dataclass(frozen=True)
class TraceSet:
    """A named group of traces and the manifests of their folders."""

    name: str
    traces: Sequence[Trace]
    manifests: Mapping[str, Manifest | None] = field(default_factory=dict)


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


def _nodes(view: TraceView) -> set[str]:
    """Comparable node names: public addresses and prefixes, scoped special addresses."""
    names: set[str] = set()
    for step in view.steps:
        for answer in step.answers:
            names.add(address_key(answer, view))
            if not answer.classification.special and answer.owner and answer.owner.prefix:
                names.add(answer.owner.prefix)
    return names


def _profile(view: TraceView) -> tuple[tuple[int, float | None, str], ...]:
    return tuple((s.ttl, s.rtt_min, s.kind) for s in view.steps)


def pair_metrics(name: str, views: Sequence[TraceView], inference: Inference) -> PairMetrics:
    """Metrics of one pair from its trace views and their inference."""
    steps = [s for v in views for s in v.steps if s.answers]
    special: dict[str, str] = {}
    for step in steps:
        for answer in step.answers:
            if answer.classification.special:
                special[answer.addr] = answer.classification.category
    families = sorted(
        {
            a.owner.family
            for s in steps
            for a in s.answers
            if not a.classification.special and a.owner and a.owner.family
        }
    )
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
    main = max(inference.segments, key=lambda s: len(s.traces), default=None)
    last_rtts = [s.rtt_min for v in views for s in v.steps[-1:] if s.rtt_min is not None]
    first = inference.traces[0] if inference.traces else None
    return PairMetrics(
        set=name,
        src_region=first.src_region if first else None,
        dst_region=first.dst_region if first else None,
        traces=len(views),
        median_hops=_median(len(v.steps) for v in views if v.steps),
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
        end_to_end_rtt_ms=_median(last_rtts),
        families=tuple(families),
        ecmp_width=max((len(s.answers) for s in steps), default=0),
        verdict=inference.verdict,
        verdict_counts=inference.verdict_counts,
        nodes=frozenset(n for v in views for n in _nodes(v)),
        rtt_profiles=tuple(_profile(v) for v in views),
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


def compare_sets(
    sets: Sequence[TraceSet],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    by_region_pair: bool = False,
) -> Comparison:
    """Compare ``sets`` (each split by region pair when ``by_region_pair``)."""
    every = [t for s in sets for t in s.traces]
    answers = owners if isinstance(owners, Mapping) else answers_for(every, owners)
    pairs: list[PairMetrics] = []
    for trace_set in sets:
        inference = infer_interconnects(trace_set.traces, answers, manifests=trace_set.manifests)
        groups: dict[tuple[str | None, str | None], list[int]] = {}
        for index, verdict in enumerate(inference.traces):
            key = (verdict.src_region, verdict.dst_region) if by_region_pair else (None, None)
            groups.setdefault(key, []).append(index)
        for indexes in groups.values():
            traces = [trace_set.traces[i] for i in indexes]
            group_inference = (
                inference
                if len(groups) == 1
                else infer_interconnects(traces, answers, manifests=trace_set.manifests)
            )
            views = [
                view_trace(t, answers, manifest=manifest_for_trace(t, trace_set.manifests), index=i)
                for i, t in zip(indexes, traces, strict=True)
            ]
            pairs.append(pair_metrics(trace_set.name, views, group_inference))
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
