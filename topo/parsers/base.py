"""The contract every parser module follows, and small helpers they share.

A parser module defines:

``NAME``
    the format's name, as ``--format`` takes it (``"linux-traceroute"``);
``DESCRIPTION``
    what it reads, one line;
``DETECTION``
    how :func:`sniff` recognises it, one line (shown by ``topo formats``);
``sniff(head: str) -> bool``
    whether the first part of a text (up to :data:`SNIFF_BYTES`) is this format;
``parse(text: str, *, source: str) -> Iterator[Trace | ParseError]``
    every trace in the text, in order, with a :class:`~topo.errors.ParseError` (carrying
    the source and line) in place of each part it could not read. Parsers never raise
    for bad input: one bad line never loses the rest.

>>> from topo.parsers import linux_traceroute
>>> isinstance(linux_traceroute, Parser)
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Reply, Trace

#: How much of an input the detectors look at.
SNIFF_BYTES = 64 * 1024

ParseItem = Trace | ParseError


@runtime_checkable
class Parser(Protocol):
    """What a parser module provides (modules satisfy this protocol structurally)."""

    NAME: str
    DESCRIPTION: str
    DETECTION: str

    def sniff(self, head: str) -> bool: ...

    def parse(self, text: str, *, source: str) -> Iterator[ParseItem]: ...


@runtime_checkable
class BinaryParser(Parser, Protocol):
    """A parser that reads raw bytes (a binary file format)."""

    def sniff_bytes(self, head: bytes) -> bool: ...

    def parse_bytes(self, data: bytes, *, source: str) -> Iterator[ParseItem]: ...


@dataclass
class ParseResult:
    """Traces and errors of one or more inputs, kept apart.

    >>> ParseResult.collect([ParseError("bad", path="x", line=1)]).ok
    False
    """

    traces: list[Trace] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    @classmethod
    def collect(cls, items: Iterable[ParseItem]) -> ParseResult:
        """Split a stream of traces and errors."""
        result = cls()
        for item in items:
            if isinstance(item, ParseError):
                result.errors.append(item)
            else:
                result.traces.append(item)
        return result


#: The most lines :func:`non_blank_lines` remembers of a text.
_REMEMBERED_LINES = 50


def non_blank_lines(text: str, limit: int = _REMEMBERED_LINES) -> tuple[str, ...]:
    """The first ``limit`` non-blank lines of ``text`` (for detectors).

    Remembered for the last few texts, whatever ``limit`` each detector asks for:
    detection asks a dozen detectors about one head.

    >>> non_blank_lines("a\\n\\n  \\nb\\nc", limit=2)
    ('a', 'b')
    """
    if limit > _REMEMBERED_LINES:
        return _non_blank_lines(text, limit)
    lines = _remembered_lines(text)
    return lines if len(lines) <= limit else lines[:limit]


@functools.lru_cache(maxsize=8)
def _remembered_lines(text: str) -> tuple[str, ...]:
    return _non_blank_lines(text, _REMEMBERED_LINES)


def _non_blank_lines(text: str, limit: int) -> tuple[str, ...]:
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out.append(line)
            if len(out) >= limit:
                break
    return tuple(out)


def reached_from(dst: str | None, hops: Iterable[Hop]) -> bool | None:
    """Whether a hop answered from ``dst``, ``None`` when the destination is unknown: how
    a trace whose tool prints no verdict of its own reached its destination.

    >>> hops = [Hop(1, (Reply("192.0.2.1", 0.5),)), Hop(2, (Reply("192.0.2.9", 1.0),))]
    >>> reached_from("192.0.2.9", hops), reached_from("192.0.2.7", hops), reached_from(None, hops)
    (True, False, None)
    """
    return None if dst is None else any(dst in hop.addresses for hop in hops)


@functools.lru_cache(maxsize=8)
def ascii_lower(text: str) -> str | None:
    """``text`` in lower case when it is ASCII, else ``None`` (for detectors: in an ASCII
    text, a case-blind pattern of ASCII words matches only where the lower case holds
    them, and a substring search is far cheaper than the pattern's scan).

    >>> ascii_lower("Type Escape"), ascii_lower("\uff34ype")
    ('type escape', None)
    """
    return text.lower() if text.isascii() else None


def may_have_attached_ms(text: str) -> bool:
    """False when no ``ms`` in ``text`` follows anything but a space, so that nothing in it
    matches ``\\d+(?:\\.\\d+)?ms`` (an RTT written ``0.5ms``): two counts, cheaper than
    any pattern over the text (detectors ask it of every input file).

    >>> may_have_attached_ms(" 1  10.0.0.1  0.5 ms"), may_have_attached_ms("1 0.5ms")
    (False, True)
    """
    return text.count("ms") > text.count(" ms")


_REPLY_SETTERS: tuple[Callable[[Reply, Any], None], ...] = tuple(
    getattr(Reply, f.name).__set__ for f in fields(Reply)
)
_new_object = object.__new__


def new_reply(
    addr: str | None,
    rtt_ms: float | None = None,
    name: str | None = None,
    flags: tuple[str, ...] = (),
    asn: tuple[int, ...] | None = None,
    mpls: tuple[MplsLabel, ...] = (),
    reply_ttl: int | None = None,
    flow_id: int | None = None,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
    quoted_ttl: int | None = None,
    late: int | None = None,
) -> Reply:
    """A :class:`~topo.model.Reply`, equal to ``Reply(...)`` with the same arguments, made
    about twice as fast (parsers make one per probe: a million for a large RIPE Atlas file).

    A frozen dataclass's ``__init__`` assigns each field through ``object.__setattr__``;
    this sets the slots through their descriptors directly, skipping no validation (the
    dataclass has none).

    >>> new_reply("192.0.2.1", 1.5, reply_ttl=250) == Reply("192.0.2.1", 1.5, reply_ttl=250)
    True
    """
    reply: Reply = _new_object(Reply)
    (s_addr, s_rtt, s_name, s_flags, s_asn, s_mpls, s_ttl, s_flow, s_type, s_code, s_quoted,
     s_late) = _REPLY_SETTERS  # fmt: skip
    s_addr(reply, addr)
    s_rtt(reply, rtt_ms)
    s_name(reply, name)
    s_flags(reply, flags)
    s_asn(reply, asn)
    s_mpls(reply, mpls)
    s_ttl(reply, reply_ttl)
    s_flow(reply, flow_id)
    s_type(reply, icmp_type)
    s_code(reply, icmp_code)
    s_quoted(reply, quoted_ttl)
    s_late(reply, late)
    return reply
