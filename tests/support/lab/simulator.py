"""Packet-level path simulator on a TUN device (in the spirit of *fakeroute*).

A simulator process owns a TUN device inside an isolated network namespace,
routes the configured destinations to it and answers every probe as the
described path would: ICMP time exceeded from the hop at the probe's TTL
(optionally with an RFC 4950 MPLS label stack), and the destination's answer
(ICMP port unreachable, echo reply, TCP RST or SYN-ACK). Replies are delayed
by the per-hop RTT through a timer heap, so many probes can be in flight at
once. Real ``traceroute``, ``mtr``, ``tracepath``, ``scamper`` or scapy run in
the same namespace see the simulated path.

Safety: the process refuses to run in the host network namespace (that of
PID 1) and refuses to start when the namespace holds any link other than
``lo`` and TUN devices, or a route through anything else.

Example (root and iproute2 needed; run by tests/lab/test_simulator.py)::

    from tests.support.lab.pathspec import Destination, Hop, PathSpec
    path = PathSpec(Destination("203.0.113.9", rtt_ms=20),
                    (Hop.of("13.208.0.1", rtt_ms=5), Hop()))
    with SimulatedPath(path) as sim:
        print(sim.run(["traceroute.db", "-n", "203.0.113.9"]).stdout)

Command line (inside a namespace you created)::

    ip netns exec topo-sim-1 python -m tests.support.lab.simulator --spec spec.json \\
        --ready-file /tmp/ready
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import heapq
import ipaddress
import itertools
import json
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from tests.support.lab.pathspec import (
    Destination,
    Hop,
    MplsLabel,
    PathSpec,
    Router,
    SimulationSpec,
)

__all__ = [
    "Destination",
    "Engine",
    "Hop",
    "IsolationError",
    "MplsLabel",
    "PathSpec",
    "Probe",
    "Router",
    "SimulatedPath",
    "SimulationSpec",
    "assert_isolated",
    "isolation_problems",
    "main",
    "parse_probe",
]

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

V4_ERROR_LIMIT = 576  # RFC 1812: ICMP errors fit in 576 bytes
V6_ERROR_LIMIT = 1280  # RFC 4443: ICMPv6 errors fit in the minimum MTU
RFC4884_QUOTE = 128  # original datagram length when extensions follow

TCP_SYN = 0x02
TCP_RST = 0x04
TCP_ACK = 0x10

NS_PREFIX = "topo-sim-"


# --------------------------------------------------------------------------
# Checksums and headers
# --------------------------------------------------------------------------


def inet_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum.

    >>> hex(inet_checksum(bytes.fromhex("450000730000400040110000c0a80001c0a800c7")))
    '0xb861'
    """
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(
    src: bytes, dst: bytes, proto: int, payload_len: int, ttl: int, ident: int
) -> bytes:
    """A 20-byte IPv4 header with a valid checksum (DF clear)."""
    hdr = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0, ttl, proto, 0, src, dst
    )
    return hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]


def ipv6_header(
    src: bytes, dst: bytes, next_header: int, payload_len: int, hop_limit: int
) -> bytes:
    """A 40-byte IPv6 header."""
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, next_header, hop_limit, src, dst)


def _transport_checksum(family: int, src: bytes, dst: bytes, proto: int, segment: bytes) -> int:
    if family == 4:
        if proto == PROTO_ICMP:
            return inet_checksum(segment)
        pseudo = struct.pack("!4s4sBBH", src, dst, 0, proto, len(segment))
    else:
        pseudo = struct.pack("!16s16sIxxxB", src, dst, len(segment), proto)
    return inet_checksum(pseudo + segment)


def ip_packet(
    family: int, src: bytes, dst: bytes, proto: int, segment: bytes, ttl: int, ident: int
) -> bytes:
    """Wrap ``segment`` (ICMP, ICMPv6, UDP or TCP) in an IP header.

    The transport checksum is computed here; the segment's checksum field must be zero.
    """
    offset = {PROTO_TCP: 16, PROTO_UDP: 6}.get(proto, 2)
    csum = _transport_checksum(family, src, dst, proto, segment)
    segment = segment[:offset] + struct.pack("!H", csum) + segment[offset + 2 :]
    if family == 4:
        return ipv4_header(src, dst, proto, len(segment), ttl, ident) + segment
    return ipv6_header(src, dst, proto, len(segment), ttl) + segment


# --------------------------------------------------------------------------
# Probe parsing
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """The fields of an incoming probe the simulator cares about.

    ``kind`` is ``"udp"``, ``"tcp-syn"``, ``"echo"`` or ``"other"``. For ICMP
    echo, ``sport`` is the echo identifier and ``dport`` 0 (the flow key).
    """

    family: int
    raw: bytes
    header_len: int
    src: bytes
    dst: bytes
    ttl: int
    proto: int
    kind: str
    sport: int
    dport: int

    @property
    def payload(self) -> bytes:
        """Bytes after the IP header."""
        return self.raw[self.header_len :]

    def flow_hash(self) -> int:
        """Stable hash of the 5-tuple (used to pick ECMP branches)."""
        key = self.src + self.dst + struct.pack("!BHH", self.proto, self.sport, self.dport)
        return zlib.crc32(key)


def _classify(proto: int, l4: bytes) -> tuple[str, int, int]:
    if proto == PROTO_UDP and len(l4) >= 8:
        sport, dport = struct.unpack_from("!HH", l4)
        return "udp", sport, dport
    if proto == PROTO_TCP and len(l4) >= 20:
        sport, dport = struct.unpack_from("!HH", l4)
        flags = l4[13]
        kind = "tcp-syn" if flags & TCP_SYN and not flags & TCP_ACK else "other"
        return kind, sport, dport
    if proto in (PROTO_ICMP, PROTO_ICMPV6) and len(l4) >= 8:
        echo_type = 8 if proto == PROTO_ICMP else 128
        if l4[0] == echo_type:
            return "echo", struct.unpack_from("!H", l4, 4)[0], 0
    return "other", 0, 0


def parse_probe(packet: bytes) -> Probe | None:
    """Parse an IPv4/IPv6 packet read from the TUN device (``None`` if malformed).

    >>> pkt = ip_packet(4, bytes(4), bytes([203, 0, 113, 9]), PROTO_UDP,
    ...                 struct.pack("!HHHH", 40000, 33434, 8, 0), 3, 1)
    >>> p = parse_probe(pkt)
    >>> (p.kind, p.ttl, p.dport)
    ('udp', 3, 33434)
    """
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20:
        ihl = (packet[0] & 0x0F) * 4
        frag = struct.unpack_from("!H", packet, 6)[0]
        if ihl < 20 or len(packet) < ihl or frag & 0x1FFF:
            return None
        ttl, proto = packet[8], packet[9]
        src, dst = packet[12:16], packet[16:20]
    elif version == 6 and len(packet) >= 40:
        ihl = 40
        proto, ttl = packet[6], packet[7]
        src, dst = packet[8:24], packet[24:40]
    else:
        return None
    kind, sport, dport = _classify(proto, packet[ihl:])
    return Probe(version, bytes(packet), ihl, src, dst, ttl, proto, kind, sport, dport)


# --------------------------------------------------------------------------
# Reply construction
# --------------------------------------------------------------------------


def mpls_extension(labels: Sequence[MplsLabel]) -> bytes:
    """RFC 4884 extension structure holding one RFC 4950 MPLS stack object.

    >>> mpls_extension([MplsLabel(16005)]).hex()
    '20008a0d0008010103e85101'
    """
    entries = b"".join(
        struct.pack(
            "!I",
            (m.label << 12)
            | (m.exp << 9)
            | (int(m.bottom if m.bottom is not None else i == len(labels) - 1) << 8)
            | m.ttl,
        )
        for i, m in enumerate(labels)
    )
    obj = struct.pack("!HBB", 4 + len(entries), 1, 1) + entries
    header = struct.pack("!BBH", 0x20, 0, 0)
    csum = inet_checksum(header + obj)
    return struct.pack("!BBH", 0x20, 0, csum) + obj


def quoted_datagram(probe: Probe, ttl_seen: int, limit: int) -> bytes:
    """The probe as the replying node saw it (TTL ``ttl_seen``), cut to ``limit`` bytes."""
    raw = bytearray(probe.raw[:limit])
    if probe.family == 4:
        raw[8] = ttl_seen
        raw[10:12] = b"\x00\x00"
        raw[10:12] = struct.pack("!H", inet_checksum(bytes(raw[: probe.header_len])))
    else:
        raw[7] = ttl_seen
    return bytes(raw)


def icmp_error(
    probe: Probe,
    src: bytes,
    icmp_type: int,
    code: int,
    *,
    ttl_seen: int,
    reply_ttl: int,
    ident: int,
    labels: Sequence[MplsLabel] = (),
) -> bytes:
    """Build a complete ICMP/ICMPv6 error packet quoting ``probe``.

    Without extensions the quote is as long as fits in 576 (IPv4) / 1280
    (IPv6) bytes. With MPLS ``labels`` the quote is zero-padded (or cut) to 128
    bytes, the RFC 4884 length field is set and the extension follows.
    """
    v4 = probe.family == 4
    ip_len = 20 if v4 else 40
    limit = (V4_ERROR_LIMIT if v4 else V6_ERROR_LIMIT) - ip_len - 8
    if labels:
        quote = quoted_datagram(probe, ttl_seen, RFC4884_QUOTE).ljust(RFC4884_QUOTE, b"\x00")
        words = RFC4884_QUOTE // (4 if v4 else 8)
        rest = struct.pack("!xBxx", words) if v4 else struct.pack("!Bxxx", words)
        body = quote + mpls_extension(labels)
    else:
        rest = bytes(4)
        body = quoted_datagram(probe, ttl_seen, limit)
    segment = struct.pack("!BBH", icmp_type, code, 0) + rest + body
    proto = PROTO_ICMP if v4 else PROTO_ICMPV6
    return ip_packet(probe.family, src, probe.src, proto, segment, reply_ttl, ident)


def echo_reply(probe: Probe, *, reply_ttl: int, ident: int) -> bytes:
    """ICMP(v6) echo reply mirroring the request's id, sequence and data."""
    req = probe.payload
    reply_type = 0 if probe.family == 4 else 129
    segment = struct.pack("!BBH", reply_type, 0, 0) + req[4:]
    return ip_packet(probe.family, probe.dst, probe.src, probe.proto, segment, reply_ttl, ident)


def tcp_reply(probe: Probe, mode: str, *, reply_ttl: int, ident: int, isn: int) -> bytes:
    """RST/ACK (``mode="rst"``) or SYN/ACK with an MSS option (``"syn-ack"``) to a SYN."""
    seg = probe.payload
    seq = struct.unpack_from("!I", seg, 4)[0]
    data_len = len(seg) - (seg[12] >> 4) * 4
    ack = (seq + 1 + max(data_len, 0)) & 0xFFFFFFFF
    if mode == "syn-ack":
        header = struct.pack(
            "!HHIIBBHHH", probe.dport, probe.sport, isn, ack, 6 << 4, TCP_SYN | TCP_ACK, 65535, 0, 0
        )
        header += struct.pack("!BBH", 2, 4, 1460)
    else:
        header = struct.pack(
            "!HHIIBBHHH", probe.dport, probe.sport, 0, ack, 5 << 4, TCP_RST | TCP_ACK, 0, 0, 0
        )
    return ip_packet(probe.family, probe.dst, probe.src, PROTO_TCP, header, reply_ttl, ident)


# --------------------------------------------------------------------------
# Engine: probe -> (due time, reply)
# --------------------------------------------------------------------------


class _TokenBucket:
    """At most ``rate`` events per second, bursts up to ``max(1, rate)``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.last: float | None = None

    def allow(self, now: float) -> bool:
        if self.last is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.rate > 0 and self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Engine:
    """Pure decision logic: given a probe and the time, what to send and when.

    >>> spec = SimulationSpec.from_dict({"destination": "203.0.113.9",
    ...                                  "hops": [{"address": "10.0.0.1", "rtt_ms": 5}]})
    >>> eng = Engine(spec, rng=random.Random(1))
    >>> probe = ip_packet(4, bytes([192, 0, 2, 1]), bytes([203, 0, 113, 9]), PROTO_UDP,
    ...                   struct.pack("!HHHH", 40000, 33434, 8, 0), 1, 1)
    >>> due, reply = eng.respond(probe, now=100.0)
    >>> round(due, 3), reply[20]     # 5 ms later, ICMP type 11
    (100.005, 11)
    """

    def __init__(self, spec: SimulationSpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.rng = rng or random.Random()
        self.paths = {ipaddress.ip_address(p.destination.address).packed: p for p in spec.paths}
        self.stats: Counter[str] = Counter()
        self._buckets: dict[str, _TokenBucket] = {}
        self._ip_ids: dict[str, int] = {}

    def respond(self, packet: bytes, now: float) -> tuple[float, bytes] | None:
        """Return ``(due_time, reply_packet)`` for ``packet``, or ``None`` to stay silent."""
        self.stats["received"] += 1
        probe = parse_probe(packet)
        path = self.paths.get(probe.dst) if probe else None
        if probe is None or path is None:
            self.stats["ignored"] += 1
            return None
        if probe.ttl <= len(path.hops):
            result = self._hop_reply(probe, path.hops[probe.ttl - 1], now)
        else:
            result = self._destination_reply(probe, path, now)
        self.stats["answered" if result else "silent"] += 1
        return result

    def _next_ip_id(self, address: str) -> int:
        """Per-address monotonically increasing IP ID (as shared-counter routers do)."""
        current = self._ip_ids.get(address)
        if current is None:
            current = zlib.crc32(address.encode()) & 0xFFFF
        self._ip_ids[address] = (current + 1) & 0xFFFF
        return current

    def _rate_ok(self, address: str, rate: float | None, now: float) -> bool:
        if rate is None:
            return True
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = _TokenBucket(rate)
        if bucket.allow(now):
            return True
        self.stats["rate_limited"] += 1
        return False

    def _delay(self, rtt_ms: float, jitter_ms: float) -> float:
        extra = self.rng.uniform(0.0, jitter_ms) if jitter_ms else 0.0
        return (rtt_ms + extra) / 1000.0

    def _hop_reply(self, probe: Probe, hop: Hop, now: float) -> tuple[float, bytes] | None:
        if hop.silent:
            return None
        router = hop.routers[probe.flow_hash() % len(hop.routers)]
        if not self._rate_ok(router.address, router.rate_limit_pps, now):
            return None
        v4 = probe.family == 4
        reply = icmp_error(
            probe,
            ipaddress.ip_address(router.address).packed,
            11 if v4 else 3,
            0,
            ttl_seen=1,
            reply_ttl=max(1, router.initial_ttl - (probe.ttl - 1)),
            ident=self._next_ip_id(router.address),
            labels=router.mpls,
        )
        return now + self._delay(router.rtt_ms, router.jitter_ms), reply

    def _destination_reply(
        self, probe: Probe, path: PathSpec, now: float
    ) -> tuple[float, bytes] | None:
        dest = path.destination
        builders = {"udp": self._dest_udp, "echo": self._dest_echo, "tcp-syn": self._dest_tcp}
        build = builders.get(probe.kind)
        if build is None:
            return None
        if not self._rate_ok(dest.address, dest.rate_limit_pps, now):
            return None
        reply = build(probe, path)
        if reply is None:
            return None
        return now + self._delay(dest.rtt_ms, dest.jitter_ms), reply

    def _dest_ttls(self, probe: Probe, path: PathSpec) -> tuple[int, int]:
        hops = len(path.hops)
        return max(1, probe.ttl - hops), max(1, path.destination.initial_ttl - hops)

    def _dest_udp(self, probe: Probe, path: PathSpec) -> bytes | None:
        dest = path.destination
        if dest.answer("udp") != "port-unreachable":
            return None
        ttl_seen, reply_ttl = self._dest_ttls(probe, path)
        icmp_type, code = (3, 3) if probe.family == 4 else (1, 4)
        ident = self._next_ip_id(dest.address)
        return icmp_error(
            probe, probe.dst, icmp_type, code, ttl_seen=ttl_seen, reply_ttl=reply_ttl, ident=ident
        )

    def _dest_echo(self, probe: Probe, path: PathSpec) -> bytes | None:
        dest = path.destination
        if dest.answer("icmp") != "echo-reply":
            return None
        _, reply_ttl = self._dest_ttls(probe, path)
        return echo_reply(probe, reply_ttl=reply_ttl, ident=self._next_ip_id(dest.address))

    def _dest_tcp(self, probe: Probe, path: PathSpec) -> bytes | None:
        dest = path.destination
        mode = dest.answer("tcp")
        if mode == "silent":
            return None
        _, reply_ttl = self._dest_ttls(probe, path)
        ident = self._next_ip_id(dest.address)
        isn = self.rng.getrandbits(32)
        return tcp_reply(probe, mode, reply_ttl=reply_ttl, ident=ident, isn=isn)


# --------------------------------------------------------------------------
# Namespace safety checks
# --------------------------------------------------------------------------


class IsolationError(RuntimeError):
    """The network namespace is not safe for the simulator (host or linked)."""


def _ip(args: Sequence[str], ns: str | None = None) -> str:
    """Run ``ip ARGS`` (inside ``ns`` if given) and return stdout."""
    prefix = ["ip", "netns", "exec", ns] if ns else []
    cmd = [*prefix, "ip", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=10).stdout


def netns_inode(path: str = "/proc/self/ns/net") -> int:
    """Inode identifying a network namespace (default: this process')."""
    return Path(path).stat().st_ino


def _named_netns_inodes() -> set[int]:
    """Inodes of the namespaces created with ``ip netns add`` (``/run/netns/*``)."""
    inodes = set()
    for entry in Path("/run/netns").glob("*"):
        with contextlib.suppress(OSError):
            inodes.add(netns_inode(str(entry)))
    return inodes


def in_host_netns(forbidden: Sequence[int] = ()) -> bool:
    """True if this process may be in the host network namespace.

    It is if it shares PID 1's namespace, or one of the ``forbidden`` inodes
    (the launcher's own namespace). When PID 1's namespace is unreadable (as in
    some containers), only a named ``ip netns`` namespace counts as safe.
    """
    me = netns_inode()
    if me in forbidden:
        return True
    try:
        return me == netns_inode("/proc/1/ns/net")
    except OSError:
        return me not in _named_netns_inodes()


def _links(ns: str | None) -> dict[str, str]:
    """Map link name -> its ``ip -d -o link`` line."""
    links = {}
    for line in _ip(["-d", "-o", "link", "show"], ns).splitlines():
        match = re.match(r"\d+:\s+([^:@\s]+)", line)
        if match:
            links[match.group(1)] = line
    return links


def isolation_problems(ns: str | None = None) -> list[str]:
    """Reasons why the namespace is not isolated (empty list = isolated).

    Isolated means: the only links are ``lo`` and TUN devices, and every route
    (IPv4 and IPv6, all tables) goes through one of them or is a reject route.
    ``ns=None`` checks the namespace this process runs in.
    """
    problems = []
    allowed = set()
    for name, line in _links(ns).items():
        if name == "lo" or "tun type tun" in line:
            allowed.add(name)
        else:
            problems.append(f"link {name!r} is neither lo nor a TUN device")
    for family in ("-4", "-6"):
        for route in _ip([family, "-o", "route", "show", "table", "all"], ns).splitlines():
            devs = re.findall(r"\bdev\s+(\S+)", route)
            reject = route.split()[0] in {"unreachable", "blackhole", "prohibit", "throw"}
            if (not devs and not reject) or any(d not in allowed for d in devs):
                problems.append(f"route {route.strip()!r} leaves lo/TUN")
    return problems


def assert_isolated(ns: str | None = None, forbidden: Sequence[int] = ()) -> None:
    """Raise :class:`IsolationError` unless the namespace is isolated (see above).

    With ``ns=None`` the current namespace is checked and must not be the host's
    (nor one whose inode is in ``forbidden``).
    """
    if ns is None and in_host_netns(forbidden):
        raise IsolationError("refusing to run in the host network namespace")
    problems = isolation_problems(ns)
    if problems:
        raise IsolationError("namespace not isolated: " + "; ".join(problems))


# --------------------------------------------------------------------------
# TUN device and event loop (run inside the namespace)
# --------------------------------------------------------------------------


def open_tun(name: str) -> int:
    """Create TUN device ``name`` (IFF_TUN | IFF_NO_PI); return a non-blocking fd."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def _write_sysctl(path: str, value: str) -> None:
    with contextlib.suppress(OSError):
        Path(path).write_text(value, encoding="ascii")


def configure_tun(spec: SimulationSpec) -> None:
    """Bring lo and the TUN device up, address it and route every destination to it."""
    dev = spec.device
    _ip(["link", "set", "lo", "up"])
    _ip(["link", "set", dev, "up", "mtu", "1500"])
    _ip(["-4", "addr", "add", f"{spec.local_v4}/32", "dev", dev])
    _ip(["-6", "addr", "add", f"{spec.local_v6}/128", "dev", dev, "nodad"])
    for conf in ("all", "default", dev):
        _write_sysctl(f"/proc/sys/net/ipv4/conf/{conf}/rp_filter", "0")
    for path in spec.paths:
        v4 = path.family == 4
        route = f"{path.destination.address}/{32 if v4 else 128}"
        src = spec.local_v4 if v4 else spec.local_v6
        _ip(["-4" if v4 else "-6", "route", "replace", route, "dev", dev, "src", src])


def die_with_parent(parent_pid: int) -> None:
    """Get SIGTERM when the launcher dies (PR_SET_PDEATHSIG); exit if it already has."""
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:
        raise SystemExit("simulator: launcher already gone")


class _Stop(Exception):
    """Raised from the signal handler to leave the event loop."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def _drain(
    fd: int, engine: Engine, heap: list[tuple[float, int, bytes]], seq: Iterator[int]
) -> None:
    """Read every pending packet and schedule the replies."""
    for _ in range(1024):
        try:
            packet = os.read(fd, 65535)
        except BlockingIOError:
            return
        result = engine.respond(packet, time.monotonic())
        if result is not None:
            heapq.heappush(heap, (result[0], next(seq), result[1]))


def _flush(fd: int, engine: Engine, heap: list[tuple[float, int, bytes]]) -> None:
    """Write every reply whose due time has come."""
    now = time.monotonic()
    while heap and heap[0][0] <= now:
        _, _, reply = heapq.heappop(heap)
        try:
            os.write(fd, reply)
            engine.stats["sent"] += 1
        except OSError:
            engine.stats["write_errors"] += 1


def serve(fd: int, engine: Engine, until: float | None = None) -> None:
    """Event loop: read probes, keep replies in a heap, emit them when due.

    Runs until a :class:`_Stop` (SIGTERM/SIGINT) or ``until`` (monotonic time).
    """
    heap: list[tuple[float, int, bytes]] = []
    seq = itertools.count()
    while until is None or time.monotonic() < until:
        timeout = 0.5
        if heap:
            timeout = min(timeout, max(0.0, heap[0][0] - time.monotonic()))
        readable, _, _ = select.select([fd], [], [], timeout)
        if readable:
            _drain(fd, engine, heap, seq)
        _flush(fd, engine, heap)


def load_spec(path: str | Path) -> SimulationSpec:
    """Load a simulation spec from a ``.json`` or ``.toml`` file."""
    path = Path(path)
    if path.suffix == ".toml":
        import tomllib

        data = tomllib.loads(path.read_text())
    else:
        data = json.loads(path.read_text())
    return SimulationSpec.from_dict(data)


def run(
    spec: SimulationSpec,
    ready_file: str | None = None,
    stats_file: str | None = None,
    forbidden: Sequence[int] = (),
) -> Counter[str]:
    """Set up the TUN device in the current (isolated) namespace and serve until signalled.

    ``forbidden`` lists namespace inodes that must not be the current one.
    """
    assert_isolated(forbidden=forbidden)
    fd = open_tun(spec.device)
    engine = Engine(spec)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        configure_tun(spec)
        assert_isolated(forbidden=forbidden)
        if ready_file:
            Path(ready_file).write_text(json.dumps({"pid": os.getpid(), "device": spec.device}))
        serve(fd, engine)
    except _Stop:
        pass
    finally:
        os.close(fd)
        if stats_file:
            Path(stats_file).write_text(json.dumps(dict(engine.stats)))
    return engine.stats


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m tests.support.lab.simulator --spec spec.json [--ready-file F]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="path spec (.json or .toml)")
    parser.add_argument("--ready-file", help="written once the TUN device and routes are up")
    parser.add_argument("--stats-file", help="JSON packet counters written on exit")
    parser.add_argument(
        "--forbid-netns-inode",
        type=int,
        action="append",
        default=[],
        help="refuse to run in the namespace with this inode (the launcher's)",
    )
    parser.add_argument("--parent-pid", type=int, help="stop when this process (our parent) dies")
    args = parser.parse_args(argv)
    if args.parent_pid:
        die_with_parent(args.parent_pid)
    try:
        run(load_spec(args.spec), args.ready_file, args.stats_file, args.forbid_netns_inode)
    except IsolationError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    return 0


# --------------------------------------------------------------------------
# Host-side API
# --------------------------------------------------------------------------


_ns_counter = itertools.count()


class SimulatedPath:
    """Run the simulator as a subprocess inside a network namespace.

    With ``ns=None`` a private namespace ``topo-sim-<pid>-<n>`` is created and
    deleted on exit. A given ``ns`` must already exist and be isolated (links
    only ``lo``/TUN); it is left in place.

    Example (root needed)::

        spec = {"destination": "203.0.113.9", "hops": ["13.208.0.1", None]}
        with SimulatedPath(spec) as sim:
            out = sim.run(["traceroute.db", "-n", "-q", "1", "203.0.113.9"])
            stats = sim.stats()
    """

    def __init__(
        self,
        spec: SimulationSpec | PathSpec | Mapping[str, Any],
        ns: str | None = None,
        *,
        ready_timeout: float = 15.0,
        python: str = sys.executable,
    ) -> None:
        self.spec = SimulationSpec.coerce(spec)
        self.ns = ns
        self.ready_timeout = ready_timeout
        self.python = python
        self._own_ns = ns is None
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: str | None = None
        self._final_stats: dict[str, int] = {}
        self._final_log = ""

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> SimulatedPath:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Create the namespace if needed, launch the simulator and wait until ready."""
        if shutil.which("ip") is None:
            raise RuntimeError("the `ip` command (iproute2) is required")
        try:
            self._prepare_namespace()
            self._tmp = tempfile.mkdtemp(prefix="topo-sim-")
            spec_file = Path(self._tmp, "spec.json")
            spec_file.write_text(json.dumps(self.spec.to_dict()))
            self._launch(spec_file)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _prepare_namespace(self) -> None:
        if self.ns is None:
            self.ns = f"{NS_PREFIX}{os.getpid()}-{next(_ns_counter)}"
            subprocess.run(["ip", "netns", "add", self.ns], check=True, timeout=10)
        assert_isolated(self.ns)

    def _launch(self, spec_file: Path) -> None:
        assert self._tmp is not None and self.ns is not None
        root = str(Path(__file__).resolve().parents[3])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        cmd = [
            "ip", "netns", "exec", self.ns, self.python, "-m", "tests.support.lab.simulator",
            "--spec", str(spec_file),
            "--ready-file", str(Path(self._tmp, "ready")),
            "--stats-file", str(Path(self._tmp, "stats.json")),
            "--forbid-netns-inode", str(netns_inode()),
            "--parent-pid", str(os.getpid()),
        ]  # fmt: skip
        with Path(self._tmp, "log").open("wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)

    def _wait_ready(self) -> None:
        assert self._proc is not None and self._tmp is not None
        ready = Path(self._tmp, "ready")
        deadline = time.monotonic() + self.ready_timeout
        while not ready.exists():
            if self._proc.poll() is not None:
                raise RuntimeError(f"simulator exited with {self._proc.returncode}: {self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulator not ready after {self.ready_timeout}s: {self.log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the simulator (SIGTERM, then SIGKILL) and remove what we created."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        if self._own_ns and self.ns is not None:
            subprocess.run(
                ["ip", "netns", "delete", self.ns], check=False, timeout=10, capture_output=True
            )
        if self._tmp is not None:
            self._final_stats = self.stats()
            self._final_log = self.log()
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # -- helpers ---------------------------------------------------------------

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` prefixed to run inside the simulator's namespace."""
        if self.ns is None:
            raise RuntimeError("simulator not started")
        return ["ip", "netns", "exec", self.ns, *argv]

    def run(self, argv: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run a command (e.g. a tracer) inside the namespace; capture text output."""
        return subprocess.run(
            self.exec_argv(argv), capture_output=True, text=True, timeout=timeout, check=False
        )

    def log(self) -> str:
        """The simulator process' stdout/stderr so far."""
        if self._tmp is None:
            return self._final_log
        path = Path(self._tmp, "log")
        return path.read_text(errors="replace") if path.exists() else ""

    def stats(self) -> dict[str, int]:
        """Packet counters, available once the simulator has stopped."""
        if self._tmp is None:
            return dict(self._final_stats)
        path = Path(self._tmp, "stats.json")
        return dict(json.loads(path.read_text())) if path.exists() else {}


if __name__ == "__main__":
    sys.exit(main())
