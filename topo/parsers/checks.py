"""One rule for what a parsed trace may hold, applied on every road that reads traces.

Parsers read many formats, each with its own way to go wrong; whatever they give passes
through :func:`checked` before anything else sees it (``topo parse``, a build in one process
or in workers, a stream of Atlas results), so every road accepts and refuses the same input:

- an address (a reply's, the source's, the destination's) is an IPv4 or IPv6 address that
  ``inet_pton`` accepts (no leading zeros, no hex, no short forms, ASCII digits); IPv6 is
  written in its canonical form (``2001:DB8:0::1`` becomes ``2001:db8::1``), a zone is kept;
- an RTT is a finite number of milliseconds from 0 to :data:`MAX_RTT_MS`;
- a TTL is a whole number from 0 to :data:`MAX_TTL` (a hop with another TTL is left out,
  with an error; the trace keeps its other hops).

A trace that breaks the rule becomes a :class:`~topo.errors.ParseError` at its file and line,
naming the value; the rest of the input goes on.

>>> from topo.model import Hop, Origin, Reply, Trace
>>> good = Trace("192.0.2.9", (Hop(1, (Reply("2001:DB8::1", 1.5),)),), origin=Origin("a", 3))
>>> [trace] = checked([good], "a")
>>> trace.hops[0].replies[0].addr
'2001:db8::1'
>>> bad = Trace("192.0.2.9", (Hop(1, (Reply("192.0.2.1", float("inf")),)),), origin=Origin("a", 4))
>>> [str(error) for error in checked([bad], "a")]
['a:4: hop 1: an RTT of inf ms (a finite number from 0 to 3,600,000 ms is expected)']
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from topo.errors import ParseError
from topo.model import Hop, Reply, Trace
from topo.parsers.base import ParseItem

#: The longest round trip a traceroute can report, ms (an hour: no tool waits that long).
MAX_RTT_MS = 3_600_000.0
#: The largest TTL an IP header holds.
MAX_TTL = 255

_CANONICAL: dict[str, str] = {}  # addresses seen, and how they are written


#: The most digits in a row a line of a text format may hold: no field of a traceroute needs
#: more (an address has 3, a timestamp 10 to 19), and Python refuses to convert over 4,300.
MAX_DIGITS = 40
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def without_long_numbers(text: str, source: str) -> tuple[str, list[ParseError]]:
    """``text`` with each line that holds a number of more than :data:`MAX_DIGITS` digits
    emptied (the line numbers stay), and an error for each: every text parser then reads
    numbers it can convert.

    >>> text, errors = without_long_numbers("a 1\\nb " + "9" * 50 + "\\nc 3\\n", "x")
    >>> text, [str(e) for e in errors]
    ('a 1\\n\\nc 3\\n', ['x:2: a number of 50 digits (at most 40); line skipped'])
    """
    if _LONG_NUMBER.search(text) is None:
        return text, []
    errors: list[ParseError] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        found = _LONG_NUMBER.search(line)
        if found is not None:
            digits = len(found[0])
            errors.append(
                ParseError(
                    f"a number of {digits:,} digits (at most {MAX_DIGITS}); line skipped",
                    path=source,
                    line=number,
                )
            )
            lines[number - 1] = ""
    return "\n".join(lines), errors


def ttl_or_none(value: object) -> int | None:
    """``value`` when it is a TTL an IP header can hold (0 to :data:`MAX_TTL`), else
    ``None``: what parsers use before they fill the TTLs between two replies (a hop per TTL
    up to a TTL of 10^20 would never end).

    >>> ttl_or_none(3), ttl_or_none(256), ttl_or_none(True), ttl_or_none("3")
    (3, None, None, None)
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TTL:
        return value
    return None


def utc_from_epoch(seconds: object) -> datetime | None:
    """A UTC time from seconds since 1970 (a number), or ``None`` for anything a clock
    cannot show (not finite, before 1970, after 9999).

    >>> utc_from_epoch(1795948973).isoformat(), utc_from_epoch(1e300), utc_from_epoch(-1)
    ('2026-11-29T10:42:53+00:00', None, None)
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    if not 0 < seconds < 253_402_300_800:  # 10000-01-01 (also False for NaN)
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


class _Refused(ValueError):
    """A value a trace may not hold (the message says which and why)."""


def canonical_address(text: object) -> str:
    """``text`` as an address in its canonical form, or :class:`ValueError`.

    >>> canonical_address("100.64.0.1"), canonical_address("FE80::0:1%eth0")
    ('100.64.0.1', 'fe80::1%eth0')
    >>> canonical_address("01.02.03.004")
    Traceback (most recent call last):
    topo.parsers.checks._Refused: not an IP address: '01.02.03.004'
    """
    if isinstance(text, str):
        known = _CANONICAL.get(text)
        if known is not None:
            return known
    if not isinstance(text, str) or not text.isascii() or len(text) > 64:
        raise _Refused(f"not an IP address: {text!r}"[:120])
    try:
        written = socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text))
    except (OSError, ValueError):
        address, _, zone = text.partition("%")
        try:
            packed = socket.inet_pton(socket.AF_INET6, address)
        except (OSError, ValueError):
            raise _Refused(f"not an IP address: {text!r}") from None
        written = socket.inet_ntop(socket.AF_INET6, packed) + (f"%{zone}" if zone else "")
    if len(_CANONICAL) < 1_000_000:
        _CANONICAL[text] = written
    return written


def _rtt(value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= MAX_RTT_MS
    ):
        raise _Refused(
            f"an RTT of {value!r} ms (a finite number from 0 to {MAX_RTT_MS:,.0f} ms is expected)"
        )


def _ttl(value: object, what: str = "TTL") -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TTL:
        raise _Refused(f"a {what} of {str(value)[:40]!r} (0 to {MAX_TTL} is expected)")


def _reply(reply: Reply) -> Reply:
    _rtt(reply.rtt_ms)
    _ttl(reply.reply_ttl, "reply TTL")
    _ttl(reply.quoted_ttl, "quoted TTL")
    if reply.addr is None:
        return reply
    addr = canonical_address(reply.addr)
    return reply if addr == reply.addr else replace(reply, addr=addr)


def _hop(hop: Hop) -> Hop:
    try:
        replies = tuple(_reply(r) for r in hop.replies)
    except _Refused as err:
        raise _Refused(f"hop {hop.ttl}: {err}") from None
    same = all(a is b for a, b in zip(replies, hop.replies, strict=True))
    return hop if same else replace(hop, replies=replies)


def check_trace(trace: Trace) -> Trace:
    """``trace`` with its addresses in canonical form, or :class:`ValueError` naming the
    value that breaks the module's rule."""
    changes: dict[str, object] = {}
    for name in ("dst", "src"):
        value = getattr(trace, name)
        if value is not None:
            try:
                written = canonical_address(value)
            except _Refused as err:
                raise _Refused(f"{'destination' if name == 'dst' else 'source'}: {err}") from None
            if written != value:
                changes[name] = written
    hops = tuple(_hop(h) for h in trace.hops if _valid_ttl(h.ttl))
    if len(hops) != len(trace.hops) or any(
        a is not b for a, b in zip(hops, trace.hops, strict=True)
    ):
        changes["hops"] = hops
    return replace(trace, **changes) if changes else trace  # type: ignore[arg-type]


def _valid_ttl(ttl: object) -> bool:
    return isinstance(ttl, int) and not isinstance(ttl, bool) and 0 <= ttl <= MAX_TTL


def _left_out(trace: Trace) -> str | None:
    """Words for the hops of ``trace`` whose TTL no IP header can hold, if any."""
    bad = [h.ttl for h in trace.hops if not _valid_ttl(h.ttl)]
    if not bad:
        return None
    return (
        f"{len(bad):,} hop{'' if len(bad) == 1 else 's'} with a TTL outside 0-{MAX_TTL} left out "
        f"(first: {str(bad[0])[:40]}); the trace keeps the others"
    )


def checked(items: Iterable[ParseItem], source: str) -> Iterator[ParseItem]:
    """Every item a parser read from ``source``, traces checked by :func:`check_trace`: a
    trace that breaks the rule becomes a :class:`ParseError` at its line of ``source`` (a
    trace read back from topo's JSON keeps where it was first read: the error names it)."""
    for item in items:
        if isinstance(item, ParseError):
            yield item
            continue
        try:
            trace = check_trace(item)
        except _Refused as err:
            yield _error_at(item, source, err)
            continue
        left_out = _left_out(item)
        if left_out is not None:
            yield _error_at(item, source, _Refused(left_out))
        yield trace


def _error_at(trace: Trace, source: str, err: Exception) -> ParseError:
    """``err`` as a :class:`ParseError` at the line of ``source`` that ``trace`` came from (a
    trace read back from topo's JSON keeps where it was first read: the error names it)."""
    origin = trace.origin
    if origin is not None and origin.path == source:
        where = "" if origin.item is None else f"result {origin.item}: "
        return ParseError(f"{where}{err}", path=source, line=origin.line)
    return ParseError(f"trace {origin or '?'}: {err}", path=source)
