"""Send batches of probes at a steady rate and match every answer to its probe exactly.

A :class:`Prober` owns the probe numbering of one destination: each probe gets a fresh
number, the reply's quoted header gives it back (:mod:`topo.probe.packets`), and the answer
is matched by (protocol, flow field, number), its destination and destination port checked.
Nothing is matched by arrival order or TTL, so an answer can never be taken for another
probe's (the pitfall of scapy's ``traceroute(l4=ICMP())``, which reuses one ICMP id/seq for
every TTL). Probes leave at most ``rate`` per second; each waits ``timeout`` seconds for its
answer, and late answers are dropped.

Example (offline, with a stand-in for the raw sockets)::

    prober = Prober(channel, header, rate=100, timeout=1.0)
    [(reply, ends)] = prober.run([(1, 0)])     # TTL 1, flow 0
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from topo.errors import TopoError
from topo.model import Reply
from topo.probe.packets import MAX_SEQ, ProbeHeader, ProbeKey, build_probe, probe_key
from topo.probe.replies import Answer, decode_reply, flags_for

__all__ = ["Channel", "Prober", "reply_of"]

#: Answers that come from the destination itself (or say it cannot be reached).
ENDING_KINDS = frozenset({"unreachable", "echo-reply", "tcp-rst", "tcp-syn-ack"})


class Channel(Protocol):
    """What a :class:`Prober` needs from the sockets (:class:`~topo.probe.sockets.RawChannel`)."""

    def send(self, packet: bytes, dst: str) -> float: ...

    def receive(self, timeout: float) -> list[tuple[bytes, float]]: ...


def reply_of(answer: Answer, family: int, flow: int, rtt_ms: float) -> Reply:
    """The :class:`~topo.model.Reply` recorded for a matched answer.

    >>> from topo.probe.packets import ProbeKey
    >>> a = Answer("10.0.0.1", "time-exceeded", ProbeKey("udp", 1, 2), "10.9.9.9", 63, 11, 0)
    >>> reply_of(a, 4, flow=3, rtt_ms=1.23456)
    Reply(addr='10.0.0.1', rtt_ms=1.235, name=None, flags=(), asn=None, mpls=(), reply_ttl=63, \
flow_id=3, icmp_type=11, icmp_code=0, quoted_ttl=None, late=None)
    """
    return Reply(
        addr=answer.addr,
        rtt_ms=round(rtt_ms, 3),
        flags=flags_for(family, answer.icmp_type, answer.icmp_code),
        mpls=answer.mpls,
        reply_ttl=answer.reply_ttl,
        flow_id=flow,
        icmp_type=answer.icmp_type,
        icmp_code=answer.icmp_code,
        quoted_ttl=answer.quoted_ttl,
    )


class _Pending:
    __slots__ = ("deadline", "flow", "index", "key", "sent_at")

    def __init__(self, index: int, key: ProbeKey, flow: int, sent_at: float, deadline: float):
        self.index, self.key, self.flow = index, key, flow
        self.sent_at, self.deadline = sent_at, deadline


class Prober:
    """Probes towards one destination; ``sent`` counts every probe sent."""

    def __init__(
        self,
        channel: Channel,
        header: ProbeHeader,
        *,
        rate: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or timeout <= 0:
            raise ValueError("rate and timeout must be positive")
        self.channel = channel
        self.header = header
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.clock = clock
        self.sent = 0
        self._seq = 0
        self._next_send = 0.0
        build_probe(header, ttl=1, flow=0, seq=1)  # import scapy now, not while timing probes

    def _number(self) -> int:
        self._seq = self._seq % MAX_SEQ + 1
        return self._seq

    def run(self, requests: Sequence[tuple[int, int]]) -> list[tuple[Reply, bool]]:
        """Send one probe per (ttl, flow); per probe, its reply (``addr`` None when none
        came in time) and whether the answer ends the path."""
        results: list[tuple[Reply, bool] | None] = [None] * len(requests)
        queue = list(enumerate(requests))[::-1]
        pending: dict[ProbeKey, _Pending] = {}
        by_ip_id: dict[tuple[int, int], _Pending] = {}
        while queue or pending:
            now = self.clock()
            while queue and now >= self._next_send:
                index, (ttl, flow) = queue.pop()
                sent = self._send(index, ttl, flow)
                pending[sent.key] = sent
                if self.header.family == 4 and self.header.proto != "icmp":
                    by_ip_id[(sent.key.flow_field, sent.key.seq)] = sent
                self._next_send = max(self._next_send, now) + self.interval
                now = self.clock()
            wait = min(
                (self._next_send - now) if queue else self.timeout,
                (next(iter(pending.values())).deadline - now) if pending else self.timeout,
            )
            for data, received_at in self.channel.receive(max(0.0, wait)):
                answer = decode_reply(data)
                item = self._match(answer, pending, by_ip_id)
                if item is None or answer is None:
                    continue
                rtt = (received_at - item.sent_at) * 1000.0
                results[item.index] = (
                    reply_of(answer, self.header.family, item.flow, rtt),
                    answer.kind in ENDING_KINDS,
                )
                self._forget(item, pending, by_ip_id)
            now = self.clock()
            for item in [p for p in pending.values() if p.deadline <= now]:
                results[item.index] = (Reply(None, flow_id=item.flow), False)
                self._forget(item, pending, by_ip_id)
        return [r for r in results if r is not None]

    def _send(self, index: int, ttl: int, flow: int) -> _Pending:
        seq = self._number()
        packet = build_probe(self.header, ttl=ttl, flow=flow, seq=seq)
        try:
            sent_at = self.channel.send(packet, self.header.dst)
        except OSError as err:
            raise TopoError(f"cannot send to {self.header.dst}: {err.strerror or err}") from err
        self.sent += 1
        key = probe_key(self.header, flow, seq)
        return _Pending(index, key, flow, sent_at, self.clock() + self.timeout)

    def _match(
        self,
        answer: Answer | None,
        pending: dict[ProbeKey, _Pending],
        by_ip_id: dict[tuple[int, int], _Pending],
    ) -> _Pending | None:
        if answer is None or answer.probe_dst != self.header.dst:
            return None
        if answer.port is not None and answer.port != self.header.port:
            return None
        item = pending.get(answer.key)
        if item is None and answer.ip_id is not None and answer.kind != "echo-reply":
            item = by_ip_id.get((answer.key.flow_field, answer.ip_id))
            if item is not None and item.key.proto != answer.key.proto:
                item = None
        return item

    @staticmethod
    def _forget(
        item: _Pending,
        pending: dict[ProbeKey, _Pending],
        by_ip_id: dict[tuple[int, int], _Pending],
    ) -> None:
        pending.pop(item.key, None)
        by_ip_id.pop((item.key.flow_field, item.key.seq), None)
