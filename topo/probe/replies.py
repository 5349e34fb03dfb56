"""Decode what comes back: ICMP(v6) errors quoting a probe, echo replies, TCP answers.

:func:`decode_reply` reads one whole IP packet (IPv4, or IPv6 as rebuilt by the socket
layer) and returns an :class:`Answer`: who answered, with which TTL, ICMP type and code,
the TTL the probe arrived with (quoted), MPLS label stacks (RFC 4950 objects in an RFC 4884
extension) and the :class:`~topo.probe.packets.ProbeKey` that names the probe answered.
Nothing here touches the network: tests feed it packets built with scapy.

>>> from scapy.all import IP, ICMP, UDPerror, IPerror
>>> err = IP(src="10.0.0.1", dst="192.0.2.1", ttl=62) / ICMP(type=11, code=0) / IPerror(
...     src="192.0.2.1", dst="198.51.100.7", ttl=1, id=17) / UDPerror(
...     sport=40002, dport=33434, len=10, chksum=17)
>>> a = decode_reply(bytes(err))
>>> a.addr, a.kind, a.probe_dst, a.reply_ttl, a.quoted_ttl
('10.0.0.1', 'time-exceeded', '198.51.100.7', 62, 1)
>>> a.key
ProbeKey(proto='udp', flow_field=40002, seq=17)
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from topo.model import MplsLabel
from topo.probe.checksum import ones_sum
from topo.probe.packets import ProbeKey

__all__ = ["Answer", "decode_reply", "flags_for", "parse_extensions"]

#: Kinds of answer: a router's TTL error, an unreachable error (from the destination:
#: port unreachable; from a router: a ``!H``-style flag), and the destination's own answers.
KINDS = ("time-exceeded", "unreachable", "echo-reply", "tcp-rst", "tcp-syn-ack")

_TCP_SYN, _TCP_RST, _TCP_ACK = 0x02, 0x04, 0x10
_V4_FLAGS = {0: "!N", 1: "!H", 2: "!P", 4: "!F", 5: "!S", 9: "!X", 10: "!X", 13: "!X",
             14: "!V", 15: "!C"}  # fmt: skip
_V6_FLAGS = {0: "!N", 1: "!X", 3: "!H", 5: "!S", 6: "!S"}


@dataclass(frozen=True, slots=True)
class Answer:
    """One decoded reply, before it is matched to the probe it names."""

    addr: str
    kind: str
    key: ProbeKey
    probe_dst: str
    reply_ttl: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    port: int | None = None
    ip_id: int | None = None
    quoted_ttl: int | None = None
    mpls: tuple[MplsLabel, ...] = ()


def flags_for(family: int, icmp_type: int | None, icmp_code: int | None) -> tuple[str, ...]:
    """The traceroute flag of an unreachable error that is not "port unreachable".

    >>> flags_for(4, 3, 1), flags_for(6, 1, 4), flags_for(4, 3, 7)
    (('!H',), (), ('!7',))
    """
    unreachable = 3 if family == 4 else 1
    port_unreachable = 3 if family == 4 else 4
    if icmp_type != unreachable or icmp_code is None or icmp_code == port_unreachable:
        return ()
    table = _V4_FLAGS if family == 4 else _V6_FLAGS
    return (table.get(icmp_code, f"!{icmp_code}"),)


def parse_extensions(icmp: bytes, family: int) -> tuple[MplsLabel, ...]:
    """MPLS label stack entries of the RFC 4884 extension of an ICMP(v6) error message.

    ``icmp`` is the whole message (from its type byte). The extension starts after the
    original datagram, whose length the header gives (IPv4: byte 5, 32-bit words; IPv6:
    byte 4, 64-bit words); when it is 0, as non-compliant routers send, an extension is
    looked for at byte 128 of the quote (as Linux traceroute does).

    >>> ext = bytes.fromhex("20008a0d0008010103e85101")   # one entry: label 16005, S, TTL 1
    >>> msg = bytes([11, 0, 0, 0, 0, 32, 0, 0]) + bytes(128) + ext
    >>> parse_extensions(msg, 4)
    (MplsLabel(label=16005, exp=0, s=True, ttl=1),)
    """
    body = icmp[8:]
    length = icmp[5] * 4 if family == 4 else icmp[4] * 8
    if length:
        ext = body[length:] if len(body) > length else b""
    elif len(body) >= 132 and body[128] >> 4 == 2:
        ext = body[128:]
    else:
        ext = b""
    if len(ext) < 8 or ext[0] >> 4 != 2:
        return ()
    if ext[2:4] != b"\x00\x00" and ones_sum(ext) != 0xFFFF:
        return ()  # a bad checksum: not an extension after all
    labels: list[MplsLabel] = []
    offset = 4
    while offset + 4 <= len(ext):
        obj_len, class_num, c_type = struct.unpack_from("!HBB", ext, offset)
        if obj_len < 4 or offset + obj_len > len(ext):
            break
        if class_num == 1 and c_type == 1:
            for pos in range(offset + 4, offset + obj_len - 3, 4):
                (entry,) = struct.unpack_from("!I", ext, pos)
                labels.append(
                    MplsLabel(
                        label=entry >> 12,
                        exp=(entry >> 9) & 7,
                        s=bool(entry >> 8 & 1),
                        ttl=entry & 0xFF,
                    )
                )
        offset += obj_len
    return tuple(labels)


def _quoted_key(
    quote: bytes,
) -> tuple[ProbeKey, str, int | None, int | None, int | None] | None:
    """(key, probe destination, destination port, IPv4 id, TTL) from a quoted probe."""
    if not quote:
        return None
    version = quote[0] >> 4
    if version == 4 and len(quote) >= 20:
        ihl = (quote[0] & 0x0F) * 4
        proto, ttl = quote[9], quote[8]
        ip_id: int | None = struct.unpack_from("!H", quote, 4)[0]
        dst = str(ipaddress.IPv4Address(quote[16:20]))
        l4 = quote[ihl : ihl + 8]
    elif version == 6 and len(quote) >= 40:
        proto, ttl, ip_id = quote[6], quote[7], None
        dst = str(ipaddress.IPv6Address(quote[24:40]))
        l4 = quote[40:48]
    else:
        return None
    if len(l4) < 8:
        return None
    if proto == 17:
        sport, dport, _, csum = struct.unpack("!HHHH", l4)
        return ProbeKey("udp", sport, csum), dst, dport, ip_id, ttl
    if proto == 6:
        sport, dport, seq = struct.unpack("!HHI", l4)
        return ProbeKey("tcp", sport, seq), dst, dport, ip_id, ttl
    if proto in (1, 58) and l4[0] in (8, 128):
        ident, seq = struct.unpack_from("!HH", l4, 4)
        return ProbeKey("icmp", ident, seq), dst, None, ip_id, ttl
    return None


def decode_reply(packet: bytes) -> Answer | None:
    """The :class:`Answer` in one received IP packet, or ``None`` if it answers no probe."""
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20:
        family, ihl = 4, (packet[0] & 0x0F) * 4
        proto, reply_ttl = packet[9], packet[8]
        src = str(ipaddress.IPv4Address(packet[12:16]))
    elif version == 6 and len(packet) >= 40:
        family, ihl = 6, 40
        proto, reply_ttl = packet[6], packet[7]
        src = str(ipaddress.IPv6Address(packet[8:24]))
    else:
        return None
    l4 = packet[ihl:]
    if proto == 6:
        return _decode_tcp(l4, src, reply_ttl)
    if proto not in (1, 58) or len(l4) < 8:
        return None
    icmp_type, code = l4[0], l4[1]
    if icmp_type in (0, 129):  # echo reply: the destination itself
        ident, seq = struct.unpack_from("!HH", l4, 4)
        key = ProbeKey("icmp", ident, seq)
        return Answer(src, "echo-reply", key, src, reply_ttl, icmp_type, code)
    exceeded, unreachable = (11, 3) if family == 4 else (3, 1)
    if icmp_type not in (exceeded, unreachable):
        return None
    quoted = _quoted_key(l4[8:])
    if quoted is None:
        return None
    key, dst, port, ip_id, quoted_ttl = quoted
    return Answer(
        addr=src,
        kind="time-exceeded" if icmp_type == exceeded else "unreachable",
        key=key,
        probe_dst=dst,
        reply_ttl=reply_ttl,
        icmp_type=icmp_type,
        icmp_code=code,
        port=port,
        ip_id=ip_id,
        quoted_ttl=quoted_ttl,
        mpls=parse_extensions(l4, family),
    )


def _decode_tcp(segment: bytes, src: str, reply_ttl: int) -> Answer | None:
    if len(segment) < 20:
        return None
    sport, dport, _, ack = struct.unpack_from("!HHII", segment)
    flags = segment[13]
    if flags & _TCP_RST:
        kind = "tcp-rst"
    elif flags & _TCP_SYN and flags & _TCP_ACK:
        kind = "tcp-syn-ack"
    else:
        return None
    key = ProbeKey("tcp", dport, (ack - 1) & 0xFFFFFFFF)
    return Answer(src, kind, key, src, reply_ttl, port=sport)
