"""Infer the provider's interconnect segments and answer: did the path stay on its network?

Readable rules; every result carries the rule that made it and its evidence.

1. **Provider** of a trace: the manifest's, else the owner family of its first public hop.
2. **Runs**: each probed TTL is ``provider``, ``reserved``, ``foreign``, ``unresolved`` or
   ``unknown`` (see :mod:`topo.topology.views`).
3. **Segment**: a run of reserved hops (``*`` inside allowed) bracketed by the provider's
   public hops, or by the provider's vantage point: ``inter-region`` when the regions on the
   two sides differ, ``intra-region`` when they are the same, ``unknown-region`` when a side
   has no known region. A side's region is its bracketing hop's published region, or the
   trace end's region (manifest ``src_region``/``dst_region``, else the evidence of the
   trace's first hop: its hostname or published range, else the first provider hop). AWS's
   ``GLOBAL`` never counts as a region. A reserved run with the provider on one side only
   (after its last answer, or before its first) is an ``open`` segment: its RTT gain says
   how far it can reach. A run of private (RFC 1918) addresses at the vantage point is
   the vantage's own network (a VPC), never a segment.
4. **RTT check**: the RTT gained across a segment (least RTT after it − least RTT before it)
   against the propagation bound of its region pair (great-circle km / 100 ms);
   ``directness`` = bound / measured (at most 1 for a possible path; none within one
   region); below the bound, ``rtt_plausible`` is false with the reason. ``fibre_km`` is
   the length of fibre light crosses in the gain (100 km per ms of RTT): the farthest the
   segment can reach. Queueing and slow ICMP replies add time, never distance, so the
   segment is shorter; a gain that the hops after it keep is mostly distance (+190 ms
   after the provider's last answer is an ocean crossed, not a slow router).
5. **Merge** segments across traces by kind and region pair; ``confidence`` is the share of
   that pair's traces that show one.
6. **Verdict** per trace, worst first: ``left-provider`` (a public hop owned by someone
   else; names the exit), ``undetermined`` (public hops nobody could resolve),
   ``incomplete`` (the destination did not answer, and it is not the provider's, or the
   last answer is not the provider's in the destination's region), ``on-provider``. A set's
   verdict is its worst trace's.

>>> from topo.inputs import read_traces
>>> from topo.inputs.manifest import manifests_for
>>> from topo.parsers import ParseResult
>>> traces = ParseResult.collect(read_traces(["samples/aws-osaka-tokyo"])).traces
>>> result = infer_interconnects(traces, manifests=manifests_for(["samples/aws-osaka-tokyo"]))
>>> result.verdict, [(s.kind, s.from_region, s.to_region, len(s.addrs)) for s in result.segments]
('on-provider', [('inter-region', 'ap-northeast-3', 'ap-northeast-1', 12)])
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import Any, NamedTuple

import networkx as nx

from topo.classify import classify_address
from topo.inputs.manifest import Manifest, manifest_for_trace
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver
from topo.topology.digest import trace_id
from topo.topology.reasons import Reason
from topo.topology.regions import KM_PER_RTT_MS, Regions, load_regions
from topo.topology.views import Step, TraceView, answers_for, first_owned_hop, view_trace

#: Verdicts from the worst to the best.
VERDICTS = ("left-provider", "undetermined", "incomplete", "on-provider")


@dataclass(frozen=True, slots=True)
class Segment:
    """One reserved run between two of the provider's points, in one trace or merged."""

    kind: str
    from_region: str | None
    to_region: str | None
    ttls: tuple[int, ...]
    addrs: tuple[str, ...]
    categories: dict[str, int]
    rtt_before_ms: float | None
    rtt_after_ms: float | None
    rtt_delta_ms: float | None
    rtt_bound_ms: float | None
    directness: float | None
    rtt_plausible: bool | None
    traces: tuple[str, ...]
    confidence: float | None = None
    evidence: tuple[str, ...] = ()
    rule: str = "reserved run bracketed by the provider's points"
    segment_id: str = ""
    #: The fibre light crosses in the RTT gain (km; ``None`` without a gain): the farthest
    #: the segment can reach.
    fibre_km: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field, tuples as lists (what ``dataclasses.asdict`` gives, without its cost)."""
        data = {name: getattr(self, name) for name in _SEGMENT_FIELDS}
        data["categories"] = dict(self.categories)
        for key in ("ttls", "addrs", "traces", "evidence"):
            data[key] = list(data[key])
        return data


_SEGMENT_FIELDS = tuple(f.name for f in fields(Segment))


class StepProfile(NamedTuple):
    """One probed TTL of a trace as a comparison reads it: its least RTT, its run kind
    (:data:`topo.topology.views.RUN_KINDS`) and how many addresses answered it."""

    ttl: int
    rtt_min: float | None
    kind: str
    width: int


@dataclass(frozen=True, slots=True)
class TraceVerdict:
    """The verdict of one trace, with its reasons and segments.

    ``format`` and ``steps`` (the trace's step profile, what :mod:`topo.topology.compare`
    and the report read; empty when the analysis left profiles out) are not part of the
    verdict's JSON.
    """

    origin: str
    provider: str | None
    src_region: str | None
    dst_region: str | None
    verdict: str
    reasons: tuple[Reason, ...]
    segments: tuple[Segment, ...]
    exit: dict[str, Any] | None = None
    strip: str = ""
    format: str | None = None
    steps: tuple[StepProfile, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "origin": self.origin,
            "provider": self.provider,
            "src_region": self.src_region,
            "dst_region": self.dst_region,
            "verdict": self.verdict,
            "strip": self.strip,
            "reasons": [str(reason) for reason in self.reasons],
            "segments": [s.to_dict() for s in self.segments],
        }
        if self.exit is not None:
            data["exit"] = self.exit
        return data


@dataclass(frozen=True)
class Inference:
    """The whole set's answer: verdict, counts, per-trace results and merged segments."""

    verdict: str
    verdict_counts: dict[str, int]
    #: In input order.
    traces: tuple[TraceVerdict, ...]
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON of ``topo infer --json``."""
        return {
            "verdict": self.verdict,
            "verdict_counts": self.verdict_counts,
            "traces": [trace.to_dict() for trace in self.traces],
            "segments": [s.to_dict() for s in self.segments],
            "notes": list(self.notes),
        }


class Ends(NamedTuple):
    """The regions of a trace's two ends, and what the vantage region's evidence said."""

    src: str | None
    dst: str | None
    #: ``(source, region)`` for every piece of evidence about the vantage's region, in
    #: the order they are believed (the first one known is ``src``).
    src_evidence: tuple[tuple[str, str], ...] = ()


def _end_regions(view: TraceView) -> Ends:
    """The manifest's regions, else the evidence of the trace: the vantage's address, its
    first hop (hostname or published range), the first provider hop; the destination's
    published range."""
    manifest = view.manifest
    evidence: list[tuple[str, str]] = []
    if manifest is not None and manifest.src_region:
        evidence.append(("manifest", manifest.src_region))
    if view.src_answer is not None and view.src_answer.owner and view.src_answer.owner.region:
        evidence.append(("source address", view.src_answer.owner.region))
    steps = view.steps
    if steps and steps[0].ttl == 1 and steps[0].region is not None:
        evidence.append(("first hop", steps[0].region))
    first_provider = next((s for s in steps if s.kind == "provider"), None)
    if first_provider is not None and first_provider.region is not None:
        evidence.append((f"first {view.provider} hop", first_provider.region))
    src = evidence[0][1] if evidence else None
    dst = manifest.dst_region if manifest and manifest.dst_region else None
    if dst is None and view.dst_answer and view.dst_answer.owner:
        dst = view.dst_answer.owner.region
    return Ends(src, dst, tuple(evidence))


def _vantage_is_provider(view: TraceView) -> bool:
    if view.manifest is not None and view.manifest.src_region:
        return True
    if view.src_answer is not None and view.src_answer.owner is not None:
        return view.src_answer.owner.family == view.provider
    first_public = next((s for s in view.steps if s.kind not in ("reserved", "unknown")), None)
    return first_public is not None and first_public.kind == "provider"


def _categories(steps: Sequence[Step]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for step in steps:
        for answer in step.answers:
            counts[answer.classification.category] += 1
    return dict(sorted(counts.items()))


def _segment_kind(left: str | None, right: str | None) -> str:
    if left is None or right is None:
        return "unknown-region"
    return "inter-region" if left != right else "intra-region"


def _fibre_km(delta: float | None) -> float | None:
    """The fibre length light crosses in an RTT gain (100 km per ms of RTT).

    >>> _fibre_km(190.74), _fibre_km(-1.9)
    (19074, None)
    """
    return None if delta is None or delta <= 0 else round(delta * KM_PER_RTT_MS)


def _rtt_check(
    before: float | None, after: float | None, bound: float | None
) -> tuple[float | None, float | None, bool | None, str]:
    if before is None or after is None:
        return None, None, None, "no RTT on one side of the segment"
    delta = round(after - before, 3)
    if bound is None:
        return delta, None, None, f"RTT gained {delta} ms; no location known for the bound"
    if bound > 0 and delta < bound:
        reason = (
            f"RTT gained {delta} ms is below the {bound:.2f} ms propagation bound: the hops "
            "cannot be where their regions say, or the RTTs are not comparable"
        )
        return delta, (None if delta <= 0 else round(min(bound / delta, 99.0), 3)), False, reason
    directness = round(bound / delta, 3) if delta > 0 else None
    return delta, directness, True, f"RTT gained {delta} ms >= bound {bound:.2f} ms"


def _is_reserved(step: Step) -> bool:
    return step.kind in ("reserved", "unknown")


def _vantage_network(view: TraceView) -> tuple[Step, ...]:
    """The private (RFC 1918) steps at the start of a trace, with the silent steps among
    them: the vantage's own network (a VPC, a home LAN), never an interconnect.

    >>> from topo.model import Hop, Reply, Trace
    >>> trace = Trace(dst="52.95.31.166", hops=(Hop(1, (Reply("10.0.0.1", 0.3),)),
    ...     Hop(2, (Reply("100.65.1.9", 2.0),)), Hop(3, (Reply("52.95.31.166", 8.0),))))
    >>> [s.ttl for s in _vantage_network(view_trace(trace, answers_for([trace])))]
    [1]
    """
    steps = view.steps
    end = 0
    while end < len(steps) and (
        steps[end].kind == "unknown"
        or (
            steps[end].kind == "reserved"
            and all(a.classification.category == "private" for a in steps[end].answers)
        )
    ):
        end += 1
    while end > 0 and steps[end - 1].kind == "unknown":
        end -= 1
    return tuple(steps[:end])


def _open_segment(
    view: TraceView, run: Sequence[Step], side: Step, src_region: str | None, *, after: bool
) -> Segment | None:
    """A reserved run with the provider's ``side`` on one side only: after its last answer
    (``after``) or before its first; ``None`` when no RTT on the far side says anything."""
    answered = [s for s in run if s.rtt_min is not None]
    if not answered:
        return None
    far = answered[-1] if after else answered[0]
    if after:
        before_rtt, after_rtt = side.rtt_min, far.rtt_min
    else:
        before_rtt, after_rtt = far.rtt_min, side.rtt_min
    delta = None if before_rtt is None or after_rtt is None else round(after_rtt - before_rtt, 3)
    km = _fibre_km(delta)
    region = side.region or (src_region if not after else None)
    gain = (
        "no RTT gain"
        if km is None
        else f"RTT gained {delta} ms: light in fibre crosses {km:,.0f} km in that time"
    )
    if after:
        where = (
            f"TTL {side.ttl} {side.addrs[0]} ({region or 'region unknown'}) -> "
            f"TTL {run[0].ttl}-{run[-1].ttl}: {len(run)} hops, not followed by "
            f"{view.provider}'s hop"
        )
    else:
        where = (
            f"TTL {run[0].ttl}-{run[-1].ttl}: {len(run)} hops, not preceded by "
            f"{view.provider}'s hop -> TTL {side.ttl} {side.addrs[0]} "
            f"({region or 'region unknown'})"
        )
    return Segment(
        kind="open",
        from_region=region if after else None,
        to_region=None if after else region,
        ttls=tuple(s.ttl for s in run),
        addrs=tuple(dict.fromkeys(a for s in run for a in s.addrs)),
        categories=_categories(run),
        rtt_before_ms=before_rtt,
        rtt_after_ms=after_rtt,
        rtt_delta_ms=delta,
        rtt_bound_ms=None,
        directness=None,
        rtt_plausible=None,
        traces=(view.trace_id,),
        evidence=(where, gain),
        rule="reserved run after the provider's last answer"
        if after
        else "reserved run before the provider's first answer",
        fibre_km=km,
    )


def trace_segments(view: TraceView, regions: Regions, ends: Ends | None = None) -> list[Segment]:
    """The interconnect segments of one trace (``ends``: its :func:`_end_regions`)."""
    steps = view.steps
    src_region, dst_region = (ends or _end_regions(view))[:2]
    segments = []
    index = len(_vantage_network(view))
    providers = [s for s in steps if s.kind == "provider"]
    first_provider = providers[0] if providers else None
    last_provider = providers[-1] if providers else None
    while index < len(steps):
        if not _is_reserved(steps[index]):
            index += 1
            continue
        end = index
        while end + 1 < len(steps) and _is_reserved(steps[end + 1]):
            end += 1
        run = steps[index : end + 1]
        left = steps[index - 1] if index > 0 else None
        right = steps[end + 1] if end + 1 < len(steps) else None
        index = end + 1
        if not any(s.kind == "reserved" for s in run):
            continue
        left_ok = (left is not None and left.kind == "provider") or (
            left is None and _vantage_is_provider(view)
        )
        right_ok = right is not None and right.kind == "provider"
        if left_ok and not right_ok and left is not None and left is last_provider:
            # the destination answering from special space (a VPC address) ends the path;
            # it is not a hop of an interconnect
            dst = view.digest.dst
            inner = [s for s in run if dst is None or dst not in s.addrs]
            if any(s.kind == "reserved" for s in inner):
                found = _open_segment(view, inner, left, src_region, after=True)
                if found is not None:
                    segments.append(found)
            continue
        if right_ok and not left_ok and right is not None and right is first_provider:
            found = _open_segment(view, run, right, src_region, after=False)
            if found is not None:
                segments.append(found)
            continue
        if not left_ok or right is None or not right_ok:
            continue
        left_region = left.region if left is not None else src_region
        right_region = right.region or (dst_region if right is steps[-1] else None)
        before = left.rtt_min if left is not None else 0.0
        bound = regions.rtt_bound_ms(left_region, right_region)
        delta, directness, plausible, why = _rtt_check(before, right.rtt_min, bound)
        if left_region is not None and left_region == right_region:  # nothing to check
            bound, directness, plausible = None, None, None
            why = f"RTT gained {delta} ms within one region: no distance to check it against"
        left_name = "the vantage point" if left is None else f"TTL {left.ttl} {left.addrs[0]}"
        evidence = (
            f"{left_name} ({left_region or 'region unknown'}) -> "
            f"TTL {run[0].ttl}-{run[-1].ttl}: {len(run)} hops "
            f"({sum(1 for s in run if s.kind == 'unknown')} silent) -> "
            f"TTL {right.ttl} {right.addrs[0]} ({right_region or 'region unknown'})",
            why,
        )
        segments.append(
            Segment(
                kind=_segment_kind(left_region, right_region),
                from_region=left_region,
                to_region=right_region,
                ttls=tuple(s.ttl for s in run),
                addrs=tuple(dict.fromkeys(a for s in run for a in s.addrs)),
                categories=_categories(run),
                rtt_before_ms=before,
                rtt_after_ms=right.rtt_min,
                rtt_delta_ms=delta,
                rtt_bound_ms=None if bound is None else round(bound, 3),
                directness=directness,
                rtt_plausible=plausible,
                traces=(view.trace_id,),
                evidence=evidence,
                fibre_km=_fibre_km(delta),
            )
        )
    return segments


def _owner_text(answer: OwnerAnswer) -> str:
    owner = answer.owner
    if owner is None:
        return "unknown owner"
    return owner.org or owner.family or (f"AS{owner.asn}" if owner.asn else "unknown owner")


def _public(steps: Iterable[Step]) -> tuple[str, ...]:
    """The public addresses of ``steps`` (a step may also hold reserved ones), each once."""
    return tuple(
        dict.fromkeys(a.addr for s in steps for a in s.answers if not a.classification.special)
    )


def _unreached(view: TraceView, dst_region: str | None) -> tuple[str, list[Reason]]:
    """The verdict of a trace whose destination did not answer (no foreign or unresolved
    hop seen): ``on-provider`` only when the destination is the provider's and the last
    answer is the provider's in the destination's region."""
    steps = view.steps
    last = steps[-1] if steps else None
    dst_answer = view.dst_answer
    dst_owner = dst_answer.owner if dst_answer is not None else None
    dst_family = dst_owner.family if dst_owner is not None else None
    if dst_family != view.provider:
        owner = None if dst_answer is None or dst_family is None else _owner_text(dst_answer)
        return "incomplete", [
            Reason.of(
                "unreached-destination", provider=view.provider, dst=view.digest.dst, owner=owner
            )
        ]
    ends_home = (
        last is not None
        and last.kind == "provider"
        and (dst_region is None or last.region in (None, dst_region))
    )
    if not ends_home or last is None:
        return "incomplete", [Reason.of("incomplete", provider=view.provider, region=dst_region)]
    return "on-provider", [
        Reason.of("on-provider", provider=view.provider),
        Reason.of(
            "silent-destination",
            provider=view.provider,
            ttl=last.ttl,
            addr=last.addrs[0],
            region=last.region or dst_region,
        ),
    ]


def _vantage_reasons(view: TraceView, ends: Ends, vantage: Sequence[Step]) -> list[Reason]:
    reasons = []
    if vantage:
        reasons.append(
            Reason.of(
                "vantage-network",
                first_ttl=vantage[0].ttl,
                last_ttl=vantage[-1].ttl,
                addrs=tuple(dict.fromkeys(a for s in vantage for a in s.addrs)),
            )
        )
    if ends.src_evidence:
        source, region = ends.src_evidence[0]
        other = next(((s, r) for s, r in ends.src_evidence[1:] if r != region), None)
        if other is not None:
            reasons.append(
                Reason.of(
                    "vantage-region",
                    region=region,
                    source=source,
                    other=other[1],
                    other_source=other[0],
                )
            )
    return reasons


def trace_verdict(view: TraceView, regions: Regions, *, profile: bool = True) -> TraceVerdict:
    """Segments, verdict, reasons and (when it left) the exit of one trace; and, unless
    ``profile`` is false, its step profile (what a comparison reads)."""
    ends = _end_regions(view)
    src_region, dst_region = ends.src, ends.dst
    segments = trace_segments(view, regions, ends)
    steps = view.steps
    reasons: list[Reason] = []
    exit_info: dict[str, Any] | None = None
    foreign = next((s for s in steps if s.kind == "foreign"), None)
    unresolved = [s for s in steps if s.kind == "unresolved"]
    if view.provider is None:
        verdict = "undetermined"
        first = first_owned_hop(view.digest, {a.addr: a for s in steps for a in s.answers})
        if first is None or first[1].owner is None:
            reasons.append(Reason.of("no-provider"))
        else:
            ttl, answer = first
            reasons.append(
                Reason.of("no-cloud-provider", owner=_owner_text(answer), ttl=ttl, addr=answer.addr)
            )
    elif foreign is not None:
        verdict = "left-provider"
        last = next(
            (s for s in reversed(steps) if s.ttl < foreign.ttl and s.kind == "provider"), None
        )
        answer = next(
            a
            for a in foreign.answers
            if not a.classification.special and a.owner and a.owner.family != view.provider
        )
        exit_info = {
            "from_ttl": last.ttl if last else None,
            "from_addr": _public([last])[0] if last else None,
            "to_ttl": foreign.ttl,
            "to_addr": answer.addr,
            "to_owner": _owner_text(answer),
            "to_asn": answer.owner.asn if answer.owner else None,
        }
        after = last.ttl if last else 0
        between = _public(s for s in steps if after < s.ttl < foreign.ttl)
        exit_info["unowned_before"] = list(between)
        reasons.append(
            Reason.of(
                "left-provider",
                provider=view.provider,
                from_ttl=last.ttl if last else None,
                from_addr=_public([last])[0] if last else None,
                ttl=foreign.ttl,
                addr=answer.addr,
                owner=_owner_text(answer),
                unowned=between,
            )
        )
    elif unresolved:
        verdict = "undetermined"
        unowned = tuple(
            a.addr
            for s in unresolved
            for a in s.answers
            if not a.classification.special and (a.owner is None or a.owner.family is None)
        )
        reasons.append(Reason.of("unresolved-hops", addrs=tuple(dict.fromkeys(unowned))))
    elif not view.reached:
        verdict, found = _unreached(view, dst_region)
        reasons.extend(found)
    else:
        verdict = "on-provider"
        reasons.append(Reason.of("on-provider", provider=view.provider))
    vantage = _vantage_network(view)
    reasons.extend(_vantage_reasons(view, ends, vantage))
    in_segments = {t for seg in segments for t in seg.ttls} | {s.ttl for s in vantage}
    dst = view.digest.dst
    loose = sum(
        1
        for s in steps
        if s.kind == "reserved" and s.ttl not in in_segments and (dst is None or dst not in s.addrs)
    )
    if loose and verdict != "left-provider":
        reasons.append(Reason.of("unbracketed-reserved", count=loose, provider=view.provider))
    return TraceVerdict(
        origin=view.trace_id,
        provider=view.provider,
        src_region=src_region,
        dst_region=dst_region,
        verdict=verdict,
        reasons=tuple(reasons),
        segments=tuple(segments),
        exit=exit_info,
        strip=trace_strip(view, segments, regions),
        format=view.digest.format,
        steps=tuple(StepProfile(s.ttl, s.rtt_min, s.kind, len(s.answers)) for s in steps)
        if profile
        else (),
    )


_STRIP_NAMES = {"cgnat": "CGNAT", "class-e": "Class E", "private": "RFC 1918"}
_count = itemgetter(1)


def trace_strip(view: TraceView, segments: Sequence[Segment], regions: Regions) -> str:
    """``Osaka [13.208.0.67 … 15.230.26.193] ── 12 reserved hops (12 addresses: 8 CGNAT,
    4 Class E) ── Tokyo [..]``: hops and the addresses that answered them, counted apart,
    and silent hops apart from both (``── 3 silent hops ──``, ``── 1 reserved hop, 5
    silent (1 address: 1 CGNAT) ──``)."""
    parts: list[str] = []
    steps = view.steps
    count = len(steps)
    start = 0
    while start < count:
        first = steps[start]
        reserved = first.kind in ("reserved", "unknown")
        key = _strip_key(first)
        end = start + 1
        while end < count and _strip_key(steps[end]) == key:
            end += 1
        group = steps[start:end]
        start = end
        if reserved:
            cats: dict[str, int] = {}
            silent = 0
            for s in group:
                if not s.answers:
                    silent += 1
                for a in s.answers:
                    category = a.classification.category
                    name = _STRIP_NAMES.get(category, category)
                    cats[name] = cats.get(name, 0) + 1
            # Counter.most_common's order: by count, ties in first-seen order
            details = [f"{n} {c}" for c, n in sorted(cats.items(), key=_count, reverse=True)]
            addresses = sum(cats.values())
            answered = len(group) - silent
            if not answered:
                parts.append(f"── {_hops(silent, 'silent')} ──")
            else:
                plural = "es" if addresses != 1 else ""
                held = f"{addresses} address{plural}: {', '.join(details)}"
                hops = _hops(answered, "reserved") + (f", {silent} silent" if silent else "")
                parts.append(f"── {hops} ({held}) ──")
        else:
            kind, detail = key
            label = detail or kind
            if kind == "provider":
                label = regions.city(detail) or detail or view.provider or kind
            head, last = _strip_addr(first), _strip_addr(group[-1])
            inner = head if head == last else f"{head} … {last}"
            parts.append(f"{label} [{inner}]")
    return " ".join(parts)


def _hops(count: int, word: str) -> str:
    return f"{count} {word} hop" if count == 1 else f"{count} {word} hops"


def _strip_key(step: Step) -> tuple[str, str | None]:
    """What a strip groups steps by: reserved and silent steps together, the provider's
    by region, foreign ones by owner family, unresolved ones together."""
    if step.kind in ("reserved", "unknown"):
        return ("reserved", None)
    if step.kind == "provider":
        return ("provider", step.region)
    if step.kind == "foreign":
        families = [a.owner.family for a in step.answers if a.owner and a.owner.family]
        return ("foreign", families[-1] if families else None)
    return (step.kind, None)


def _strip_addr(step: Step) -> str:
    """The address a strip shows for a step: its first public one."""
    return next(
        (a.addr for a in step.answers if not a.classification.special), step.answers[0].addr
    )


_MergeKey = tuple[str, str | None, str | None, str | None, int]


def _key_text(item: tuple[_MergeKey, list[Segment]]) -> str:
    """What the merged segments are numbered by: their key's text (the order ``str`` of
    the whole item gives, as a key's text never starts another's, without writing out
    every member segment)."""
    return str(item[0])


def _root(parent: list[int], index: int) -> int:
    """The representative of ``index`` in a union-find forest (paths halved on the way)."""
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def _groups(segments: Sequence[tuple[Segment, str | None]]) -> dict[_MergeKey, list[Segment]]:
    """Segments that are one interconnect: the same kind, region pair and provider. Where a
    side's region is unknown, the pair says nothing about place: only segments that share
    an address (a router seen by both) are one.

    >>> one = Segment("open", "r1", None, (2,), ("100.64.0.1",), {}, *[None] * 7, ("t1",))
    >>> two = Segment("open", "r1", None, (2,), ("100.64.0.9",), {}, *[None] * 7, ("t2",))
    >>> [len(g) for g in _groups([(one, "Amazon"), (two, "Amazon"), (one, "Amazon")]).values()]
    [2, 1]
    """
    keyed: dict[tuple[str, str | None, str | None, str | None], list[Segment]] = {}
    for segment, provider in segments:
        key = (segment.kind, segment.from_region, segment.to_region, provider)
        keyed.setdefault(key, []).append(segment)
    groups: dict[_MergeKey, list[Segment]] = {}
    for (kind, left, right, provider), members in keyed.items():
        if left is not None and right is not None:
            groups[kind, left, right, provider, 0] = members
            continue
        # union-find over the members, joined through the addresses they share
        parent = list(range(len(members)))
        seen: dict[str, int] = {}
        for index, segment in enumerate(members):
            for addr in segment.addrs:
                other = seen.setdefault(addr, index)
                if other != index:
                    a, b = _root(parent, other), _root(parent, index)
                    parent[max(a, b)] = min(a, b)
        parts: dict[int, list[Segment]] = {}
        for index, segment in enumerate(members):  # in the members' order, by first member
            parts.setdefault(_root(parent, index), []).append(segment)
        for number, part in enumerate(parts.values()):
            groups[kind, left, right, provider, number] = part
    return groups


def _merge(
    segments: Sequence[tuple[Segment, str | None]], pair_traces: Mapping[tuple[Any, Any], int]
) -> list[Segment]:
    """Merge ``(segment, provider)`` pairs across traces (:func:`_groups`); the gain kept is
    the least positive one (the least queueing), else the least."""
    merged = []
    for number, ((kind, left, right, _, _), members) in enumerate(
        sorted(_groups(segments).items(), key=_key_text), 1
    ):
        traces = tuple(dict.fromkeys(t for m in members for t in m.traces))
        addrs = tuple(dict.fromkeys(a for m in members for a in m.addrs))
        categories = Counter(classify_address(a).category for a in addrs)
        deltas = [m.rtt_delta_ms for m in members if m.rtt_delta_ms is not None]
        gains = [d for d in deltas if d > 0] or deltas
        delta = min(gains) if gains else None
        bound = members[0].rtt_bound_ms
        _, directness, plausible, why = _rtt_check(0.0, delta, bound) if delta is not None else (
            None, None, None, "no RTT")  # fmt: skip
        km = _fibre_km(delta)
        if kind == "open":
            directness, plausible = None, None
            why = f"RTT gained {delta} ms: up to {km:,.0f} km of fibre" if km else "no RTT gain"
        elif kind == "intra-region":
            directness, plausible = None, None
            why = f"RTT gained {delta} ms within one region: no distance to check it against"
        total = pair_traces.get((left, right)) or len(traces)
        merged.append(
            Segment(
                kind=kind,
                from_region=left,
                to_region=right,
                ttls=tuple(sorted({t for m in members for t in m.ttls})),
                addrs=addrs,
                categories=dict(sorted(categories.items())),
                rtt_before_ms=None,
                rtt_after_ms=None,
                rtt_delta_ms=delta,
                rtt_bound_ms=bound,
                directness=directness,
                rtt_plausible=plausible,
                traces=traces,
                confidence=round(len(traces) / total, 3),
                evidence=(f"seen in {len(traces)} of {total} traces of this region pair", why),
                rule=_merged_rule(members),
                segment_id=f"seg-{number}",
                fibre_km=km,
            )
        )
    return merged


def _merged_rule(members: Sequence[Segment]) -> str:
    """The rule of merged segments; open ones keep their side (after the provider's last
    answer, or before its first), which their regions alone may not tell.

    >>> _merged_rule([Segment("open", None, None, (), (), {}, *[None] * 7, (),
    ...     rule="reserved run after the provider's last answer")])
    "reserved run after the provider's last answer, merged across traces"
    """
    rules = {m.rule for m in members}
    if members and members[0].kind == "open" and len(rules) == 1:
        return f"{members[0].rule}, merged across traces"
    return "segments of one kind and region pair merged across traces"


def infer_interconnects(
    traces: Iterable[Trace],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
    graph: nx.DiGraph | None = None,
) -> Inference:
    """Segments and verdicts for a set of traces; stored in ``graph.graph`` when given."""
    trace_list = list(traces)
    answers = owners if isinstance(owners, Mapping) else answers_for(trace_list, owners)
    regions = load_regions()
    verdicts = []
    for index, trace in enumerate(trace_list):
        manifest = manifest_for_trace(trace, manifests or {})
        verdicts.append(
            trace_verdict(view_trace(trace, answers, manifest=manifest, index=index), regions)
        )
    inference = summarize(verdicts)
    if graph is not None:
        annotate_graph(graph, inference)
    return inference


def summarize(verdicts: Sequence[TraceVerdict]) -> Inference:
    """The set's :class:`Inference` from its traces' verdicts (segments merged by region
    pair), reading them once.

    >>> summarize([]).verdict, summarize([]).notes
    ('undetermined', ('no traces',))
    """
    pair_traces: Counter[tuple[str | None, str | None]] = Counter()
    segments: list[tuple[Segment, str | None]] = []
    counts = dict.fromkeys(VERDICTS, 0)
    for verdict in verdicts:
        pair_traces[verdict.src_region, verdict.dst_region] += 1
        segments.extend((segment, verdict.provider) for segment in verdict.segments)
        counts[verdict.verdict] += 1
    merged = _merge(segments, pair_traces)
    worst = next((name for name in VERDICTS if counts[name]), "undetermined")
    notes = () if verdicts else ("no traces",)
    return Inference(worst, counts, tuple(verdicts), tuple(merged), notes)


def annotate_graph(G: nx.DiGraph, inference: Inference) -> None:
    """Put the inference into ``G.graph`` (:meth:`Inference.to_dict`) and mark each
    segment's edges with its id."""
    G.graph["inference"] = inference.to_dict()
    if not inference.segments:
        return
    # The trace paths are read once, in their order; an edge that several segments mark
    # keeps the last segment's id, as marking them one segment after another would.
    wanted: dict[str, list[tuple[int, set[str]]]] = {}
    for number, segment in enumerate(inference.segments):
        members = set(segment.addrs)
        for trace in segment.traces:
            wanted.setdefault(trace, []).append((number, members))
    addr_of = dict(G.nodes(data="addr"))
    marks: dict[tuple[str, str], int] = {}
    for trace, info in G.graph.get("trace_paths", {}).items():
        todo = wanted.get(trace)
        if todo is None:
            continue
        path = info.get("path", [])
        for number, members in todo:
            inside = [i for i, node in enumerate(path) if addr_of[node] in members]
            if not inside:
                continue
            span = path[max(inside[0] - 1, 0) : inside[-1] + 2]
            for u, v in itertools.product(span, span):
                if marks.get((u, v), -1) < number and G.has_edge(u, v):
                    marks[u, v] = number
    for (u, v), number in marks.items():
        G.edges[u, v]["segment"] = inference.segments[number].segment_id


def trace_ids(traces: Sequence[Trace]) -> list[str]:
    """The ids :func:`infer_interconnects` gives ``traces``."""
    return [trace_id(t, i) for i, t in enumerate(traces)]
