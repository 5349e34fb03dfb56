"""Paris-style probes: every header field a load balancer hashes stays constant in a flow.

A flow is one 5-tuple (UDP, TCP) or one ICMP echo identifier and checksum; flow ``f``
uses source port (or echo identifier) ``base + f``. Each probe carries its own number,
``seq``, where the quoted header of an ICMP error returns it and no router hashes it:

========  ========================================  ========================================
proto     constant within a flow                    probe number in
========  ========================================  ========================================
``udp``   addresses, ports, length                  the UDP checksum (two payload bytes
                                                    make it come out as ``seq``)
``icmp``  addresses, type/code, identifier,         the echo sequence number (two payload
          checksum                                  bytes keep the checksum constant)
``tcp``   addresses, ports, flags                   the TCP sequence number
========  ========================================  ========================================

The IPv4 identification field repeats ``seq`` for UDP and TCP (a fallback when something
on the path rewrote the quoted checksum). Packets are built with scapy.

>>> head = ProbeHeader(4, "udp", "192.0.2.1", "198.51.100.7", port=33434, base=40000)
>>> raw = build_probe(head, ttl=3, flow=2, seq=17)
>>> key = probe_key(head, flow=2, seq=17)
>>> key, raw[8], int.from_bytes(raw[26:28])      # (key, IP TTL, UDP checksum)
(ProbeKey(proto='udp', flow_field=40002, seq=17), 3, 17)
"""

from __future__ import annotations

import ipaddress
import logging
import struct
from dataclasses import dataclass
from typing import Any, Literal

from topo.probe.checksum import compensation, ones_sum

__all__ = [
    "MAX_SEQ",
    "PROTOCOLS",
    "ProbeHeader",
    "ProbeKey",
    "build_probe",
    "icmp_checksum_of_flow",
    "probe_key",
]

Protocol = Literal["udp", "icmp", "tcp"]
PROTOCOLS: tuple[str, ...] = ("udp", "icmp", "tcp")
#: Probe numbers run 1..MAX_SEQ (a UDP checksum of 0 would mean "no checksum").
MAX_SEQ = 0xFFFE

_IPPROTO = {"udp": 17, "tcp": 6}


@dataclass(frozen=True, slots=True)
class ProbeHeader:
    """What every probe towards one destination shares.

    ``port`` is the UDP/TCP destination port; ``base`` the source port (UDP, TCP) or echo
    identifier (ICMP) of flow 0.

    >>> ProbeHeader(6, "icmp", "2001:db8::1", "2001:db8::9", base=0x4000).flow_field(3)
    16387
    """

    family: int
    proto: str
    src: str
    dst: str
    port: int = 33434
    base: int = 33000

    def __post_init__(self) -> None:
        if self.family not in (4, 6):
            raise ValueError(f"family must be 4 or 6, not {self.family}")
        if self.proto not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {self.proto!r}")
        for addr in (self.src, self.dst):
            if ipaddress.ip_address(addr).version != self.family:
                raise ValueError(f"{addr} is not an IPv{self.family} address")

    def flow_field(self, flow: int) -> int:
        """The source port or echo identifier of ``flow`` (never 0)."""
        value = (self.base + flow) & 0xFFFF
        return value or 1


@dataclass(frozen=True, slots=True)
class ProbeKey:
    """What identifies a probe in a reply: protocol, flow field, probe number."""

    proto: str
    flow_field: int
    seq: int


def probe_key(header: ProbeHeader, flow: int, seq: int) -> ProbeKey:
    """The key a reply to probe ``seq`` of ``flow`` must give back."""
    return ProbeKey(header.proto, header.flow_field(flow), seq)


def icmp_checksum_of_flow(flow_field: int) -> int:
    """The constant ICMP checksum of the echo flow with identifier ``flow_field``.

    >>> hex(icmp_checksum_of_flow(0x4000)), icmp_checksum_of_flow(0x5A5A)
    ('0xe5a5', 0)
    """
    value = (flow_field ^ 0xA5A5) & 0xFFFF
    return 0 if value == 0xFFFF else value  # 0xFFFF cannot be made (see compensation)


def _pseudo_header(header: ProbeHeader, next_header: int, length: int) -> bytes:
    src = ipaddress.ip_address(header.src).packed
    dst = ipaddress.ip_address(header.dst).packed
    if header.family == 4:
        return struct.pack("!4s4sBBH", src, dst, 0, next_header, length)
    return struct.pack("!16s16sIxxxB", src, dst, length, next_header)


def _scapy() -> Any:
    """scapy's layers, imported on first use (a slow import; quiet about its routing table)."""
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy import all as scapy_all

    return scapy_all


def build_probe(header: ProbeHeader, *, ttl: int, flow: int, seq: int) -> bytes:
    """The bytes of probe ``seq`` of ``flow`` sent with IP TTL (hop limit) ``ttl``."""
    if not 1 <= ttl <= 255:
        raise ValueError(f"TTL {ttl} not in 1..255")
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"probe number {seq} not in 1..{MAX_SEQ}")
    s = _scapy()
    field = header.flow_field(flow)
    if header.family == 4:
        ip = s.IP(src=header.src, dst=header.dst, ttl=ttl, id=seq)
    else:
        ip = s.IPv6(src=header.src, dst=header.dst, hlim=ttl)
    if header.proto == "udp":
        udp = struct.pack("!HHHH", field, header.port, 10, 0)
        fix = compensation(ones_sum(_pseudo_header(header, 17, 10) + udp + bytes(2)), seq)
        packet = ip / s.UDP(sport=field, dport=header.port, len=10, chksum=seq) / s.Raw(fix)
    elif header.proto == "icmp":
        echo_type, proto = (8, 1) if header.family == 4 else (128, 58)
        target = icmp_checksum_of_flow(field)
        icmp = struct.pack("!BBHHH", echo_type, 0, 0, field, seq) + bytes(2)
        pseudo = b"" if header.family == 4 else _pseudo_header(header, proto, len(icmp))
        fix = compensation(ones_sum(pseudo + icmp), target)
        if header.family == 4:
            packet = ip / s.ICMP(type=8, id=field, seq=seq, chksum=target) / s.Raw(fix)
        else:
            packet = ip / s.ICMPv6EchoRequest(id=field, seq=seq, cksum=target, data=fix)
    else:
        packet = ip / s.TCP(sport=field, dport=header.port, seq=seq, flags="S", window=5840)
    return bytes(packet)
