"""Parsers for traceroute formats: an explicit registry and content detection.

Each module in :data:`PARSERS` follows the contract in :mod:`topo.parsers.base`. Detection
tries them in registry order (most specific first) and reports which one it chose.

>>> detect_format("traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets").NAME
'linux-traceroute'
>>> result = parse_text(" 1  192.0.2.1  0.4 ms\\n 2  192.0.2.9  0.9 ms\\n", source="x.txt")
>>> [t.ip_path for t in result.traces]
[(('192.0.2.1',), ('192.0.2.9',))]
"""

from __future__ import annotations

from collections.abc import Iterator

from topo.errors import FormatDetectionError, UsageError
from topo.parsers import (
    atlas,
    besttrace,
    bsd_traceroute,
    cisco_ios,
    dublin_traceroute,
    inetutils_traceroute,
    linux_traceroute,
    mtr_csv,
    mtr_json,
    mtr_raw,
    mtr_report,
    mtr_xml,
    nexttrace,
    paris_traceroute,
    scamper_json,
    scamper_warts,
    topo_jsonl,
    tracepath,
    windows_tracert,
)
from topo.parsers.base import SNIFF_BYTES, BinaryParser, ParseItem, Parser, ParseResult
from topo.parsers.checks import checked, without_long_numbers
from topo.parsers.json_input import first_json_char

#: Every parser, in the order detection tries them: binary and structured formats first,
#: then text formats from the most to the least distinctive (Linux traceroute is last: its
#: hop lines are the most generic). BestTrace comes before BSD traceroute: its probes after
#: the first are indented lines of their own, which BSD's continuation lines also are, but
#: only BestTrace writes an AS column and words after the RTT. NextTrace comes before both
#: and before Linux traceroute, which read its header (``traceroute to ADDR, ...``) as theirs.
PARSERS: tuple[Parser, ...] = (
    topo_jsonl,
    atlas,
    scamper_json,
    scamper_warts,
    dublin_traceroute,
    mtr_json,
    mtr_xml,
    mtr_csv,
    mtr_raw,
    windows_tracert,
    tracepath,
    mtr_report,
    cisco_ios,
    paris_traceroute,
    nexttrace,
    besttrace,
    bsd_traceroute,
    inetutils_traceroute,
    linux_traceroute,
)

__all__ = [
    "PARSERS",
    "BinaryParser",
    "ParseItem",
    "ParseResult",
    "Parser",
    "detect_format",
    "find_binary_parser",
    "get_parser",
    "iter_parse_text",
    "parse_text",
]


#: The parsers that read bytes (checked once: an ``isinstance`` on a runtime protocol costs
#: about 0.1 ms, and every input file asks).
BINARY_PARSERS: tuple[BinaryParser, ...] = tuple(p for p in PARSERS if isinstance(p, BinaryParser))


def get_parser(name: str) -> Parser:
    """The parser called ``name``; :class:`UsageError` listing the names otherwise."""
    for parser in PARSERS:
        if name == parser.NAME:
            return parser
    raise UsageError(f"unknown format {name!r}; known: {', '.join(p.NAME for p in PARSERS)}")


def find_binary_parser(data: bytes, *, format: str | None = None) -> BinaryParser | None:
    """The binary-format parser for ``data`` (or the one ``format`` names), else ``None``."""
    if format:
        parser = get_parser(format)
        return parser if isinstance(parser, BinaryParser) else None
    head = data[:SNIFF_BYTES]
    for parser in BINARY_PARSERS:
        if parser.sniff_bytes(head):
            return parser
    return None


def detect_format(head: str, *, source: str | None = None) -> Parser:
    """The first parser whose ``sniff`` accepts ``head``.

    Raises :class:`FormatDetectionError` ("could not detect the format; tried: ...").
    """
    sample = head[:SNIFF_BYTES]
    for parser in PARSERS:
        if parser.sniff(sample):
            return parser
    tried = ", ".join(p.NAME for p in PARSERS)
    raise FormatDetectionError(f"could not detect the format; tried: {tried}", path=source, line=1)


def _chosen(text: str, source: str, format: str | None) -> Parser | FormatDetectionError:
    """The parser ``format`` names, else the one detection finds (or why none was)."""
    try:
        return get_parser(format) if format else detect_format(text, source=source)
    except FormatDetectionError as err:
        return err


def iter_parse_text(
    text: str, *, source: str = "<text>", format: str | None = None
) -> Iterator[ParseItem]:
    """Traces and errors of one text, detecting the format unless ``format`` names it."""
    if first_json_char(text) not in ("{", "["):  # JSON bounds its numbers as it decodes
        text, problems = without_long_numbers(text, source)
        yield from problems
    parser = _chosen(text, source, format)
    if isinstance(parser, FormatDetectionError):
        yield parser
        return
    yield from checked(parser.parse(text, source=source), source)


def parse_text(text: str, *, source: str = "<text>", format: str | None = None) -> ParseResult:
    """Parse one text into a :class:`ParseResult` (traces and errors apart)."""
    return ParseResult.collect(iter_parse_text(text, source=source, format=format))
