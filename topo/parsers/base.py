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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from topo.errors import ParseError
from topo.model import Trace

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


def non_blank_lines(text: str, limit: int = 50) -> list[str]:
    """The first ``limit`` non-blank lines of ``text`` (for detectors)."""
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out.append(line)
            if len(out) >= limit:
                break
    return out
