"""The Multipath Detection Algorithm (MDA): probe each hop until every branch is found.

Augustin, Friedman and Teixeira ("Multipath tracing with Paris traceroute", 2007; Veitch
et al., "Failure control in multipath route tracing", 2009; scamper's ``tracelb`` is the
reference implementation). With per-flow load balancing, a router with ``K`` next hops
sends each flow to one of them. Having seen ``k`` next hops, MDA keeps sending new flows
through the router until ``n_k`` probes went through it, the number that rules out a
``k + 1``-th next hop with the chosen confidence (:func:`probes_needed`).

Flows are sent *through* a router by first finding which flows reach it: a flow's answer
at the previous TTL names the router it went through. Where the previous TTL has a single
router (or none answered), every flow goes through it and no such classification is needed.

>>> [probes_needed(k) for k in range(1, 9)]
[6, 11, 16, 21, 27, 33, 38, 44]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

__all__ = ["MdaResult", "ProbeBatch", "discover", "miss_probability", "probes_needed"]

#: Send these (ttl, flow) probes; get back, per probe, who answered (None: nobody) and
#: whether the answer ends the path (the destination, or an unreachable error).
ProbeBatch = Callable[[Sequence[tuple[int, int]]], Sequence[tuple[str | None, bool]]]

_SOURCE = "<source>"


def miss_probability(hops: int, probes: int) -> Fraction:
    """Chance that ``probes`` flows, spread evenly over ``hops`` next hops, miss one of them.

    Inclusion–exclusion over the next hops that get no flow, computed exactly.

    >>> miss_probability(2, 6)
    Fraction(1, 32)
    """
    numerator = sum(
        (-1) ** (i + 1) * math.comb(hops, i) * (hops - i) ** probes for i in range(1, hops)
    )
    return Fraction(numerator, hops**probes)


@lru_cache(maxsize=4096)
def probes_needed(k: int, confidence: float = 0.95) -> int:
    """``n_k``: probes through a router with ``k`` next hops seen that rule out ``k + 1``.

    The least ``n`` with ``miss_probability(k + 1, n) <= 1 - confidence`` (the MDA paper's
    table: n1=6, n2=11, n3=16, n4=21, n5=27, n6=33 at 95%).

    >>> probes_needed(1, 0.99), probes_needed(16)
    (8, 96)
    """
    if k < 1:
        raise ValueError("k counts next hops seen: at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    alpha = 1 - Fraction(confidence).limit_denominator(10**9)
    n = probes_needed(k - 1, confidence) if k > 1 else k + 1
    while miss_probability(k + 1, n) > alpha:
        n += 1
    return n


@dataclass
class MdaResult:
    """What MDA saw: per TTL, per flow, the answering address (None for ``*``)."""

    answers: dict[int, dict[int, str | None]] = field(default_factory=dict)
    terminal: set[tuple[int, int]] = field(default_factory=set)
    flows: int = 0
    probes: int = 0

    def addresses(self, ttl: int) -> set[str]:
        """Distinct addresses that answered at ``ttl``."""
        return {a for a in self.answers.get(ttl, {}).values() if a is not None}


def _groups(result: MdaResult, ttl: int) -> dict[str, list[int]]:
    """Flows of ``ttl`` that go on, by the router they went through (``*`` as one router
    only when nobody at that TTL answered: a lost probe does not make a router)."""
    live = {f: a for f, a in result.answers.get(ttl, {}).items() if (ttl, f) not in result.terminal}
    answered = any(a is not None for a in live.values())
    groups: dict[str, list[int]] = {}
    for flow, addr in live.items():
        if addr is None and answered:
            continue
        groups.setdefault(addr or "*", []).append(flow)
    return groups


def discover(
    probe: ProbeBatch,
    *,
    first_ttl: int = 1,
    max_ttl: int = 30,
    confidence: float = 0.95,
    max_flows: int = 512,
    gap_limit: int = 5,
    on_hop: Callable[[int, MdaResult], None] | None = None,
) -> MdaResult:
    """Run MDA hop by hop from ``first_ttl``; ``probe`` sends batches of (ttl, flow).

    Stops when every flow has ended (destination or unreachable), after ``gap_limit``
    silent TTLs in a row, or at ``max_ttl``. At most ``max_flows`` flow ids are used.

    >>> def network(batch):      # TTL 1: one router; TTL 2: two, by flow parity; TTL 3: dst
    ...     out = {1: lambda f: ("10.0.0.1", False), 2: lambda f: (f"10.0.2.{f % 2}", False)}
    ...     return [out.get(t, lambda f: ("10.9.9.9", True))(f) for t, f in batch]
    >>> result = discover(network)
    >>> sorted(result.addresses(2)), result.addresses(3), result.probes
    (['10.0.2.0', '10.0.2.1'], {'10.9.9.9'}, 32)
    """
    result = MdaResult()
    gap = 0

    def send(batch: list[tuple[int, int]]) -> None:
        for (ttl, flow), (addr, ends) in zip(batch, probe(batch), strict=True):
            result.answers.setdefault(ttl, {})[flow] = addr
            if ends:
                result.terminal.add((ttl, flow))
        result.probes += len(batch)

    def new_flows(count: int) -> list[int]:
        count = max(0, min(count, max_flows - result.flows))
        flows = list(range(result.flows, result.flows + count))
        result.flows += count
        return flows

    for ttl in range(first_ttl, max_ttl + 1):
        groups = {_SOURCE: []} if ttl == first_ttl else _groups(result, ttl - 1)
        if not groups:
            break
        _probe_hop(ttl, groups, result, send, new_flows, confidence)
        if on_hop is not None:
            on_hop(ttl, result)
        here = result.answers.get(ttl, {})
        if here and all((ttl, f) in result.terminal for f in here):
            break
        gap = gap + 1 if not any(a is not None for a in here.values()) else 0
        if gap >= gap_limit:
            break
    return result


def _probe_hop(
    ttl: int,
    groups: dict[str, list[int]],
    result: MdaResult,
    send: Callable[[list[tuple[int, int]]], None],
    new_flows: Callable[[int], list[int]],
    confidence: float,
) -> None:
    """Probe ``ttl`` until each router of ``ttl - 1`` had its ``n_k`` flows through it."""
    single = len(groups) == 1
    done: set[str] = set()
    for _ in range(64):  # a bound, should a router get almost no flows (per-packet balancing)
        here = result.answers.setdefault(ttl, {})
        batch: list[tuple[int, int]] = []
        classify: list[tuple[int, int]] = []
        total = sum(len(flows) for flows in groups.values())
        for router, flows in groups.items():
            if router in done:
                continue
            probed = [f for f in flows if f in here]
            successors = {here[f] for f in probed if here[f] is not None}
            need = probes_needed(max(1, len(successors)), confidence) - len(probed)
            if need <= 0:
                done.add(router)
                continue
            spare = [f for f in flows if f not in here][:need]
            batch += [(ttl, f) for f in spare]
            short = need - len(spare)
            if short <= 0:
                continue
            if single:  # every flow goes through the only router: no need to classify
                extra = new_flows(short)
                flows.extend(extra)
                batch += [(ttl, f) for f in extra]
            else:  # find flows through this router at ttl - 1 first
                share = max(len(flows) / max(total, 1), 1 / 16)
                extra = new_flows(min(math.ceil(short / share), 64))
                classify += [(ttl - 1, f) for f in extra]
            if not spare and not extra:
                done.add(router)  # out of flow ids: give up on this router
        if not batch and not classify:
            return
        send(batch + classify)
        for _, flow in classify:
            addr = result.answers[ttl - 1][flow]
            if (ttl - 1, flow) in result.terminal or (addr is None and len(groups) > 1):
                continue
            groups.setdefault(addr or "*", []).append(flow)
