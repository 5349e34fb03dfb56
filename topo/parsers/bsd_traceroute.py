"""BSD and macOS ``traceroute`` / ``traceroute6`` text output (the LBL and KAME tools).

The hop lines are those of the Linux tools (this module reuses
:mod:`topo.parsers.linux_traceroute` to read them), with what the BSDs print differently:

- a header with the BSD defaults: ``64 hops max`` and ``40`` (FreeBSD), ``52`` (macOS) or
  ``12``/``20`` (``traceroute6``) ``byte packets``; ``traceroute6 to X (Y) from Z, ...``;
- more responders for one TTL on continuation lines (indented, no TTL)::

      7  12.255.10.226 (12.255.10.226)  25.375 ms
         12.255.10.224 (12.255.10.224)  24.011 ms  25.322 ms

- ``-a`` prints the AS number *before* the host (``[AS15169] host (addr)``), where Linux
  ``-A`` prints it after; ``[AS0]`` (the look-up found none) is no AS: ``Reply.asn == ()``;
- flags ``!H !N !P !S !F-<mtu> !U !W !I !A !Z !Q !T !X !V !C !<n>`` and a bare ``!``
  (port unreachable from a router one hop away), kept as printed;
- warning lines first (``traceroute: Warning: Multiple interfaces found; using 192.0.2.5
  @ en0``), kept in ``meta["warnings"]``.

Detection (what tells BSD output from Linux output): a ``traceroute``/``traceroute6``
header with ``64 hops max`` or with a BSD packet size (12, 20, 40, 52 bytes; Linux prints 60
or 80 by default), an ``[AS...]`` before a host, or an indented continuation line holding
an address and an RTT. What cannot be told apart: output without a header and without
those hop features (``-n`` lines, names, stars look the same in both), and a header whose
maximum and packet size were both set by hand to Linux-like values; such input is read as
``linux-traceroute``, which gives the same hops.

Example
-------
>>> text = '''traceroute to 8.8.8.8 (8.8.8.8), 64 hops max, 40 byte packets
...  1  [AS0] gw (192.168.1.254)  3.263 ms  4.146 ms  4.273 ms
...  2  12.255.10.226 (12.255.10.226)  25.375 ms
...     12.255.10.224 (12.255.10.224)  24.011 ms  25.322 ms
...  3  dns.google (8.8.8.8)  23.228 ms !Z  *  *'''
>>> sniff(text)
True
>>> [trace] = parse(text, source="fbsd.txt")
>>> trace.format, trace.ip_path
('bsd-traceroute', (('192.168.1.254',), ('12.255.10.226', '12.255.10.224'), ('8.8.8.8',)))
>>> trace.hops[0].replies[0].asn, trace.hops[2].replies[0].flags, trace.reached
((), ('!Z',), True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from topo.classify import is_address
from topo.parsers import linux_traceroute
from topo.parsers.base import ParseItem, non_blank_lines

NAME = "bsd-traceroute"
DESCRIPTION = "BSD/macOS traceroute and traceroute6 text (continuation lines, -a AS before host)"
DETECTION = (
    "a traceroute header with BSD defaults (64 hops max; 12/20/40/52 byte packets), "
    "'[AS..]' before a host, or indented continuation lines with an address and RTT"
)

#: Packet sizes the BSD tools print by default (Linux prints 60 for IPv4 and 80 for IPv6).
BSD_PACKET_SIZES = frozenset({12, 20, 40, 52})

_HEADER = re.compile(
    r"^\s*traceroute6?\s+to\s+\S+(?:\s+\([^)]*\))?(?:\s+from\s+\S+)?,?\s*"
    r"(?P<hops>\d+)\s+hops\s+max,\s*(?P<bytes>\d+)\s+byte\s+packets\s*$",
    re.IGNORECASE,
)
_AS_FIRST = re.compile(r"^\s*\d{1,3}\s+\[AS\d+\]\s+\S")
_CONTINUATION = re.compile(
    r"^\s{3,}(?P<host>\S+)(?:\s+\((?P<addr>[^)]+)\))?\s+\d+(?:\.\d+)?\s+ms\b"
)


def _is_bsd_header(line: str) -> bool:
    match = _HEADER.match(line)
    if not match:
        return False
    return int(match["hops"]) == 64 or int(match["bytes"]) in BSD_PACKET_SIZES


def _is_continuation(line: str) -> bool:
    match = _CONTINUATION.match(line)
    return match is not None and is_address(match["addr"] or match["host"])


def sniff(head: str) -> bool:
    """A header with BSD defaults, an AS number before a host, or a continuation line.

    Without such a header, a head with no ``[AS`` and no line starting with three spaces
    has neither of the others (cheaper than their patterns on every line: every input
    file asks); :func:`_sniff_lines` is the reference.
    """
    lines = non_blank_lines(head)
    if (
        "[AS" not in head
        and not any(line[:3].isspace() for line in lines)
        and not any(_is_bsd_header(line) for line in lines[:5])
    ):
        return False
    return _sniff_lines(lines)


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    if any(_is_bsd_header(line) for line in lines[:5]):
        return True
    return any(_AS_FIRST.match(line) or _is_continuation(line) for line in lines)


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; unreadable lines become :class:`ParseError` items."""
    return linux_traceroute.parse_traceroute_text(text, source=source, format_name=NAME)
