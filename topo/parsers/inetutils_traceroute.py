"""GNU inetutils ``traceroute`` text (Debian's ``inetutils-traceroute``).

Looks like Linux traceroute with three differences, which also tell it apart: the header
has no ``byte packets`` part (``traceroute to 10.0.0.9 (10.0.0.9), 64 hops max``), RTTs are
written without a space (``0.512ms``), and with ``--resolve-hostnames`` a hop reads
``addr (name)``, not ``name (addr)``. ``-I`` (ICMP) output has the same shape.

Example
-------
>>> text = '''traceroute to 13.209.0.10 (13.209.0.10), 12 hops max
...   1   192.168.1.1 (gw.home.lan)  0.006ms  0.003ms  0.002ms
...   2   *  *  *
...   3   13.209.0.10 (dst.example.net)  0.005ms  0.003ms  0.003ms'''
>>> [trace] = parse(text, source="x.txt")
>>> trace.ip_path, trace.hops[0].replies[0].name, trace.reached
((('192.168.1.1',), (), ('13.209.0.10',)), 'gw.home.lan', True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from topo.parsers.base import ParseItem, may_have_attached_ms, non_blank_lines
from topo.parsers.linux_traceroute import parse_traceroute_text

NAME = "inetutils-traceroute"
DESCRIPTION = "GNU inetutils traceroute text: 'addr (name)' hops, RTTs as '0.512ms'"
DETECTION = "a 'traceroute to' header without 'byte packets', or hop RTTs written '0.5ms'"

_HEADER = re.compile(r"^\s*traceroute to \S+ \([^)]*\), \d+ hops max\s*$")
_HOP = re.compile(r"^\s*\d{1,3}\s{2,}(?:\S+(?: \([^)]*\))?|\*)\s")
_ATTACHED_MS = re.compile(r"\s\d+(?:\.\d+)?ms(?:\s|$)")
_SPACED_MS = re.compile(r"\s\d+(?:\.\d+)?\s+ms(?:\s|$)")


def sniff(head: str) -> bool:
    """The inetutils header, or hop lines whose RTTs are all written ``0.5ms``."""
    lines = non_blank_lines(head)
    if not any(_HEADER.match(line) for line in lines[:3]):
        joined = "\n".join(lines)
        if not may_have_attached_ms(joined):
            return False  # no attached 'ms' at all
        if len(_ATTACHED_MS.findall(joined)) < 2:
            return False  # (one scan first: fewer than two lines can have an attached 'ms')
    return _sniff_lines(lines)


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    if any(_HEADER.match(line) for line in lines[:3]):
        return True
    hops = [line for line in lines if _HOP.match(line)]
    return (
        len(hops) >= 2
        and sum(bool(_ATTACHED_MS.search(line)) for line in hops) >= 2
        and not any(_SPACED_MS.search(line) for line in hops)
    )


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text`` (the Linux traceroute engine, recorded as this format)."""
    return parse_traceroute_text(text, source=source, format_name=NAME)
