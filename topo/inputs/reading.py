"""Reading inputs into traces: ``read_traces``, the one entry point every command uses.

It walks files and folders (:mod:`topo.inputs.paths`; ``-`` is standard input), opens each
input (decompressing gzip, bzip2, xz and zstd), decodes it (:mod:`topo.inputs.decoding`)
and parses it, yielding traces and, in place of whatever failed, a
:class:`~topo.errors.ParseError` with the path and line. Large JSON Lines files and JSON
arrays are read record by record, never whole; a text line or JSON document over its limit
is one error and the rest of the file is read.

>>> from topo.parsers import ParseResult
>>> result = ParseResult.collect(read_traces(["samples/aws-osaka-tokyo"]))
>>> len(result.traces), result.errors
(1, [])
"""

from __future__ import annotations

import codecs
import contextlib
import importlib.util
import io
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from topo.errors import ParseError, TopoError, UsageError, summarize_line_errors
from topo.inputs.compressed import (
    CORRUPT,
    LIMIT_VARIABLE,
    MAX_DECOMPRESSED_BYTES,
    MAX_RATIO,
    Bounded,
    compression,
    corrupt_message,
    decompressing,
)
from topo.inputs.decoding import (
    BOMS,
    DecodedText,
    byte_order,
    decode_text,
    looks_binary,
    utf16_without_bom,
)
from topo.inputs.paths import STDIN, display_name, iter_input_paths
from topo.parsers import (
    ParseItem,
    Parser,
    detect_format,
    find_binary_parser,
    get_parser,
    iter_parse_text,
)
from topo.parsers.base import SNIFF_BYTES
from topo.parsers.checks import checked
from topo.parsers.json_input import (
    first_json_char,
    iter_json_array,
    iter_json_lines,
    loads,
    looks_like_json_lines,
)


class ReadProgress(Protocol):
    """What reading reports as it goes (the command line's progress line is one)."""

    def file(self, name: str) -> None:
        """An input file is opened."""

    def read(self, count: int) -> None:
        """``count`` more bytes of it were read."""


#: Errors reported per input file; the rest are counted in one closing line.
MAX_ERRORS_PER_FILE = 100


#: The longest line a text input may have (bytes, end of line excluded); a longer line is
#: reported and skipped, never held in memory. JSON has its own limit,
#: :data:`MAX_JSON_BYTES`.
MAX_LINE_BYTES = 1024 * 1024
#: Bytes read at a time from a text input (at most :data:`MAX_LINE_BYTES`, so that only the
#: line crossing a chunk boundary can be too long).
_CHUNK_BYTES = MAX_LINE_BYTES
#: The largest JSON document read (bytes): one line of a JSON Lines file, or an input that
#: is one document (pretty-printed or on one line) rather than JSON Lines. A larger one is
#: reported and skipped, read in chunks and never held whole. A JSON array of RIPE Atlas
#: results is streamed item by item and has no limit. :data:`JSON_LIMIT_VARIABLE` in the
#: environment overrides it (a parsed document takes several times its size in memory).
MAX_JSON_BYTES = 64 * 1024 * 1024
#: The environment variable that sets the JSON limit: bytes, or with a unit (``256M``).
JSON_LIMIT_VARIABLE = "TOPO_MAX_JSON_BYTES"
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _size(count: int) -> str:
    """A limit for a message: ``1 MiB``, ``2048 bytes``."""
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    return f"{count:,} bytes"


def parse_size(text: str) -> int:
    """A size in bytes written as ``67108864``, ``64M``, ``64MiB``, ``512k`` or ``1G``.

    >>> parse_size("64M"), parse_size("512 KiB"), parse_size("1000")
    (67108864, 524288, 1000)
    >>> parse_size("lots")
    Traceback (most recent call last):
        ...
    ValueError: not a size: 'lots'
    """
    cleaned = text.strip().lower().replace(" ", "").removesuffix("b").removesuffix("i")
    number = cleaned.rstrip("kmg")
    unit = cleaned[len(number) :]
    if not number.isdigit() or len(unit) > 1 or int(number) < 1:
        raise ValueError(f"not a size: {text!r}")
    return int(number) * _UNITS[unit]


def max_decompressed() -> tuple[int, int | None]:
    """The limit on what one compressed input decompresses to, and on how many times its
    size it may grow: :data:`~topo.inputs.compressed.LIMIT_VARIABLE` if set (``--max-bytes``
    sets it; then no ratio), else the defaults of :mod:`topo.inputs.compressed`.

    Raises :class:`~topo.errors.UsageError` (exit 2) when the variable is not a size.
    """
    value = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not value:
        return MAX_DECOMPRESSED_BYTES, MAX_RATIO
    try:
        return parse_size(value), None
    except ValueError:
        raise UsageError(
            f"{LIMIT_VARIABLE}={value!r} (--max-bytes) is not a size in bytes (e.g. 16G)"
        ) from None


def max_json_bytes() -> int:
    """The JSON limit in force: :data:`JSON_LIMIT_VARIABLE` if set, else :data:`MAX_JSON_BYTES`.

    Raises :class:`~topo.errors.UsageError` (exit 2) when the variable is not a size.
    """
    value = os.environ.get(JSON_LIMIT_VARIABLE, "").strip()
    if not value:
        return MAX_JSON_BYTES
    try:
        return parse_size(value)
    except ValueError:
        raise UsageError(
            f"{JSON_LIMIT_VARIABLE}={value!r} is not a size in bytes (e.g. 67108864 or 64M)"
        ) from None


def _json_too_long(limit: int, length: int) -> str:
    return (
        f"JSON line longer than {_size(limit)} ({length:,} bytes); skipped"
        f" ({JSON_LIMIT_VARIABLE} sets the limit)"
    )


def _first_json_byte(head: bytes) -> bytes:
    return head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")[:1]


def _ijson_available() -> bool:
    """Whether ``ijson`` (streaming a JSON array) is installed."""
    return importlib.util.find_spec("ijson") is not None


def _streaming_parser(head: bytes, format: str | None) -> Parser | None:
    """The parser that can read this (large) input record by record, or ``None``.

    Streaming applies to JSON read by a parser with ``parse_records`` (RIPE Atlas): the
    input is plain UTF-8 (no BOM, no NUL) and either its first non-blank line is one
    complete JSON object (JSON Lines) or it is a JSON array (read item by item with
    ``ijson``, when installed). Anything else is read whole, as before.
    """
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" in head[:8192]:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # only a character cut at the end is acceptable
            return None
        text = head[: err.start].decode("utf-8")
    stripped = text.lstrip("\ufeff \t\r\n")
    first = stripped.split("\n", 1)
    array = stripped.startswith("[")
    if not array and (len(first) < 2 or not first[0].rstrip().startswith("{")):
        return None
    try:
        parser = get_parser(format) if format else detect_format(text)
    except TopoError:
        return None
    if not hasattr(parser, "parse_records"):
        return None
    if array:
        return parser if _ijson_available() else None
    try:
        loads(first[0])
    except ValueError:
        return None
    return parser


class _Counted(io.RawIOBase):
    """``head`` (already read), then the rest of ``handle``; reports bytes to ``progress``."""

    def __init__(self, head: bytes, handle: BinaryIO, progress: ReadProgress | None) -> None:
        self._head = head
        self._handle = handle
        self._progress = progress
        self.count = 0  # bytes given out

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
        else:
            data = self._handle.read(len(view))
            count = len(data)
            view[:count] = data
        if self._progress is not None:
            self._progress.read(count)
        self.count += count
        return count


def splittable_parser(
    name: str, *, format: str | None = None, encoding: str | None = None
) -> Parser | None:
    """The streaming parser of a JSON Lines file that can be read in line ranges (by
    several processes), or ``None`` (text, a JSON array, an encoding given, stdin, a
    compressed file)."""
    if name == STDIN or encoding is not None:
        return None
    try:
        with Path(name).open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    if len(head) < SNIFF_BYTES or find_binary_parser(head, format=format) is not None:
        return None
    if compression(head) is not None or _first_json_byte(head) == b"[":
        return None
    return _streaming_parser(head, format)


def _open(name: str) -> BinaryIO:
    try:
        return open(name, "rb")  # noqa: PTH123 (no Path object per input file)
    except IsADirectoryError:
        raise ParseError("is a directory", path=name) from None
    except OSError as err:
        raise ParseError(f"cannot read: {err.strerror or err}", path=name) from None


def _peek(raw: BinaryIO) -> bytes:
    """The first bytes ``raw`` will read (which stay to be read)."""
    peek = getattr(raw, "peek", None)
    return peek(8)[:8] if peek is not None else b""


def _open_input(name: str) -> contextlib.AbstractContextManager[BinaryIO]:
    if name == STDIN:
        return contextlib.nullcontext(sys.stdin.buffer)
    return _open(name)


def _transcoded(head: bytes, encoding: str | None) -> str | None:
    """The codec to decode an input with as it is read, when its line ends are not the byte
    ``\\n`` (UTF-16, UTF-32): such an input is handed on re-encoded as UTF-8. ``None`` for
    the encodings whose lines can be cut in bytes (UTF-8, CP932, Latin-1 ...)."""
    if encoding:
        try:
            same = "a\n".encode(encoding) == b"a\n"
            codecs.getincrementaldecoder(encoding)
        except (LookupError, UnicodeError):
            return None  # read whole: decode_bytes reports it
        return None if same else byte_order(encoding, head)
    for bom, name in BOMS:
        if head.startswith(bom):
            return None if bom == codecs.BOM_UTF8 else name
    return utf16_without_bom(head)


def _utf8_chunks(chunks: Iterable[bytes], codec: str, problems: list[str]) -> Iterator[bytes]:
    """``chunks`` of an input in ``codec``, decoded as they come (a character may span two
    chunks) and re-encoded as UTF-8. Bytes ``codec`` refuses are replaced, the first reason
    added to ``problems``, as :func:`decode_bytes` does for a whole input."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")

    def decode(data: bytes, final: bool) -> bytes:
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as err:  # the decoder kept its state: decode again
            problems.append(f"not valid {codec}: {err.reason}")
            decoder.errors = "replace"
            text = decoder.decode(data, final)
        return text.encode("utf-8", "replace")

    for chunk in chunks:
        yield decode(chunk, False)
    yield decode(b"", True)


class _LineLimiter:
    """The lines of an input fed in chunks, each line longer than ``limit`` bytes (end of
    line excluded) left out and reported: counted as it is read, never held whole. A line
    left out leaves an empty line in its place, so the lines after it keep their numbers.
    ``kept`` holds the rest (whole lines, then the start of the last one).
    """

    def __init__(self, *, source: str, limit: int, message: Callable[[int, int], str]) -> None:
        self.source = source
        self.limit = limit
        self.message = message
        self.kept: list[bytes] = []
        self.errors: list[ParseError] = []
        self.fed = 0  # bytes fed so far
        self._tail: list[bytes] = []  # the line being read, while it is short enough to keep
        self._pending = 0  # its length so far
        self._line = 1  # its number

    @property
    def lines(self) -> int:
        """Lines ended so far."""
        return self._line - 1

    def _too_long(self, length: int) -> None:
        text = self.message(self.limit, length)
        self.errors.append(ParseError(text, path=self.source, line=self._line))

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the input."""
        self.fed += len(data)
        step = min(_CHUNK_BYTES, self.limit)  # only the line crossing a boundary can be long
        for start in range(0, len(data), step):
            self._chunk(data[start : start + step])

    def _chunk(self, chunk: bytes) -> None:
        first = chunk.find(b"\n")
        if first < 0:
            self._pending += len(chunk)
            if self._pending <= self.limit:
                self._tail.append(chunk)
            else:
                self._tail.clear()
            return
        length = self._pending + first
        if length > self.limit:
            self._too_long(length)
            self.kept.append(b"\n")
        else:
            self.kept.extend(self._tail)
            self.kept.append(chunk[: first + 1])
        last = chunk.rfind(b"\n")
        if last > first:
            self.kept.append(chunk[first + 1 : last + 1])
        self._line += 1 + chunk.count(b"\n", first + 1)
        rest = chunk[last + 1 :]
        self._pending = len(rest)
        self._tail = [rest] if rest else []

    def close(self) -> bytes:
        """Everything kept, once the input has ended."""
        if self._pending > self.limit:
            self._too_long(self._pending)
        else:
            self.kept.extend(self._tail)
        self._tail = []
        return b"".join(self.kept)


_BLANK = b" \t\r\n\xef\xbb\xbf"  # and a UTF-8 byte order mark


def _text_too_long(limit: int, length: int) -> str:
    return f"line longer than {_size(limit)} ({length:,} bytes); skipped"


def _chunks(
    head: bytes, handle: BinaryIO, stopped: list[BaseException] | None = None
) -> Iterator[bytes]:
    """``head``, then the rest of ``handle``, :data:`_CHUNK_BYTES` at a time. A read that
    fails (damaged or cut compressed data) ends the chunks and is put in ``stopped``: what
    was read before it is still read as traces."""
    yield head
    read = getattr(handle, "read1", handle.read)  # one read at a time: a buffered read()
    try:  # that fails drops what it had gathered
        yield from iter(lambda: read(_CHUNK_BYTES), b"")
    except (OSError, *CORRUPT) as err:  # (a limit, a ParseError, fails the whole input)
        if stopped is None:
            raise
        stopped.append(err)


def _limit_lines(chunks: Iterable[bytes], *, source: str) -> tuple[bytes, list[ParseError]]:
    """A text input without its lines longer than :data:`MAX_LINE_BYTES` (see
    :class:`_LineLimiter`), and an error for each."""
    limiter = _LineLimiter(source=source, limit=MAX_LINE_BYTES, message=_text_too_long)
    for chunk in chunks:
        limiter.feed(chunk)
    return limiter.close(), limiter.errors


def _lines_of(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The lines (without their ends) of an input given in pieces."""
    partial: list[bytes] = []
    for piece in pieces:
        start = 0
        while (end := piece.find(b"\n", start)) >= 0:
            partial.append(piece[start:end])
            yield b"".join(partial)
            partial = []
            start = end + 1
        partial.append(piece[start:])
    if any(partial):
        yield b"".join(partial)


def _first_text_line(pieces: Iterable[bytes]) -> int:
    """The number of the first line that is not blank."""
    for number, line in enumerate(_lines_of(pieces), start=1):
        if line.strip(_BLANK):
            return number
    return 1


def _json_lines_verdict(pieces: Iterable[bytes]) -> bool | None:
    """Whether the JSON parsers will read this input as JSON Lines rather than as one
    document: one of its first five lines (from the first that is not blank) is a whole
    JSON object, as :func:`~topo.parsers.json_input.iter_json_records` decides. ``None``
    while fewer than five lines are there and none is."""
    lines = _lines_of(pieces)
    first = next((line for line in lines if line.strip(_BLANK)), None)
    if first is None:
        return None
    window = [first.lstrip(_BLANK), *itertools.islice(lines, 4)]
    if looks_like_json_lines(b"\n".join(window).decode("utf-8", "replace")):
        return True
    return False if len(window) == 5 else None


def _limit_json(
    chunks: Iterable[bytes], *, source: str, limit: int
) -> tuple[bytes, list[ParseError]]:
    """A JSON input that is not streamed, without what is larger than ``limit`` bytes.

    JSON Lines lose each line longer than ``limit`` (an error each, the other lines kept);
    an input that is one document (pretty-printed, or on one line) larger than ``limit``
    is one error and is read no further. Read in chunks: memory stays near ``limit``.
    """
    chunks = iter(chunks)
    limiter = _LineLimiter(source=source, limit=limit, message=_json_too_long)
    checked_at = 0  # the line count when the verdict was last taken
    for chunk in chunks:
        limiter.feed(chunk)
        if limiter.fed <= limit or limiter.lines == checked_at:
            continue
        checked_at = limiter.lines
        verdict = _json_lines_verdict(limiter.kept)
        if verdict:
            break  # JSON Lines: each line is a document of its own
        if verdict is False or sum(map(len, limiter.kept)) > limit:
            message = (
                f"JSON document larger than {_size(limit)}; skipped"
                f" ({JSON_LIMIT_VARIABLE} sets the limit)"
            )
            line = _first_text_line(limiter.kept)
            return b"", [ParseError(message, path=source, line=line)]
    for chunk in chunks:
        limiter.feed(chunk)
    return limiter.close(), limiter.errors


def limited_json_lines(
    reader: BinaryIO, *, source: str, limit: int, first_line: int = 1
) -> Iterator[bytes | ParseError]:
    """The lines of a streamed JSON Lines input, a :class:`ParseError` in place of each
    line longer than ``limit`` bytes (read in chunks and dropped, never held whole);
    ``first_line`` numbers the first line (a line range of a file)."""
    number = first_line - 1
    while line := reader.readline(limit + 1):
        number += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        length = len(line)
        while not line.endswith(b"\n") and (line := reader.readline(_CHUNK_BYTES)):
            length += len(line)
        length -= line.endswith(b"\n")
        yield ParseError(_json_too_long(limit, length), path=source, line=number)


def _read_file(
    name: str,
    *,
    format: str | None,
    encoding: str | None,
    progress: ReadProgress | None,
) -> Iterator[ParseItem]:
    """Traces of one input, streaming large JSON (Lines or array) record by record."""
    source = display_name(name)
    problems: list[ParseError] = []
    decoding: list[str] = []  # what decoding a UTF-16 input as it is read found wrong
    stopped: list[BaseException] = []  # a read that failed after some of the input
    codec: str | None = None
    whole: DecodedText | None = None  # a short text input, decoded once
    kind: str | None = None  # the compression, if any
    counted = progress  # what counts the bytes read here (None: the decompression does)
    try:
        with _open_input(name) as raw:
            kind = compression(_peek(raw))
            handle = raw
            if kind is not None:  # the compressed bytes are counted, as they are read
                packed = _Counted(b"", raw, progress)
                limit, ratio = max_decompressed()
                handle = cast(
                    BinaryIO,
                    io.BufferedReader(
                        Bounded(decompressing(cast(BinaryIO, packed), kind), kind,
                                lambda: packed.count, limit=limit, ratio=ratio),
                        256 * 1024,
                    ),
                )  # fmt: skip
                counted = None
            head = handle.read(SNIFF_BYTES)
            binary = find_binary_parser(head, format=format)
            parser = None
            if len(head) == SNIFF_BYTES and encoding is None and binary is None:
                parser = _streaming_parser(head, format)
            if parser is not None:
                reader = io.BufferedReader(_Counted(head, handle, counted), 256 * 1024)
                if _first_json_byte(head) == b"[":
                    records = iter_json_array(reader, source=source)
                else:
                    lines = limited_json_lines(reader, source=source, limit=max_json_bytes())
                    records = iter_json_lines(lines, source=source)
                yield from checked(parser.parse_records(records, source=source), source)  # type: ignore[attr-defined]
                return
            if binary is not None:
                data = head + handle.read()
            else:
                sniffed = decode_text(head, name=source, encoding=encoding)  # binary: stop here
                codec = _transcoded(head, encoding)
                is_json = first_json_char(sniffed.text) in ("[", "{")
                if len(head) < SNIFF_BYTES and codec is None and not is_json:
                    # the whole input is read and decoded (its lines are shorter than
                    # MAX_LINE_BYTES): what follows would give the same bytes and text
                    data, whole = head, sniffed
                else:
                    chunks = _chunks(head, handle, stopped)
                    if codec is not None:  # UTF-16 and the like, decoded as they are read
                        chunks = _utf8_chunks(chunks, codec, decoding)
                    if is_json:
                        data, problems = _limit_json(chunks, source=source, limit=max_json_bytes())
                    else:
                        data, problems = _limit_lines(chunks, source=source)
        if counted is not None:
            counted.read(len(data))
        if binary is not None:
            yield from checked(binary.parse_bytes(data, source=source), source)
            return
        if problems and not data.strip():  # nothing left but what was too long
            yield from problems
            yield from (ParseError(problem, path=source) for problem in decoding)
            return
        if whole is not None:
            decoded = whole
        elif codec is not None:
            decoded = DecodedText(data.decode("utf-8", "replace"), codec, tuple(decoding))
            if looks_binary(decoded.text):
                raise ParseError("binary data, not a traceroute text or JSON", line=1)
        else:
            decoded = decode_text(data, name=source, encoding=encoding)
    except ParseError as err:
        err.path = source
        yield err
        return
    except (OSError, *CORRUPT) as err:
        yield _read_error(err, kind, source)
        return
    del data
    yield from problems
    for problem in decoded.problems:
        yield ParseError(problem, path=source)
    if not problems and not stopped and not decoded.text.strip("\ufeff \t\r\n\f\v"):
        yield ParseError("empty file" if decoded.text == "" else "empty file (only blanks)",
                         path=source)  # fmt: skip
        return
    items = iter_parse_text(decoded.text, source=source, format=format)
    yield from (items if format is None else forced(items, decoded.text, source, format))
    for failure in stopped:  # after the traces read before it
        yield _read_error(failure, kind, source, kept=True)


def forced(items: Iterable[ParseItem], text: str, source: str, format: str) -> Iterator[ParseItem]:
    """The traces and errors of ``text`` read as the ``format`` the user named; when its
    errors are on most lines (the file is in another format), one error saying so and
    which format detection finds, instead of one error per line.

    >>> lines = ["traceroute to 192.0.2.9 (192.0.2.9), 30 hops max"] + [
    ...     f"{n}  192.0.2.{n}  1.0 ms  1.1 ms  1.2 ms" for n in range(1, 5)]
    >>> text = chr(10).join(lines)
    >>> items = iter_parse_text(text, source="t", format="cisco-ios")
    >>> [e.message for e in forced(items, text, "t", "cisco-ios") if isinstance(e, ParseError)]
    ["4 lines are not cisco-ios lines; first: line 2 '1  192.0.2.1  1.0 ms  1.1 ms  1.2 ms'; \
the file looks like inetutils-traceroute (detected: leave --format out to read it so)"]
    """
    every = list(items)
    errors = [item for item in every if isinstance(item, ParseError)]
    shown = summarize_line_errors(
        errors, text.splitlines(), source=source, what=f"{format} lines",
        hint=_detected_instead(text, format),
    )  # fmt: skip
    if shown is errors:  # a few bad lines: each in its place
        yield from every
        return
    yield from shown
    yield from (item for item in every if not isinstance(item, ParseError))


def _detected_instead(text: str, format: str) -> str:
    """What detection says the text is, for the message about a forced format that fails."""
    try:
        found = detect_format(text).NAME
    except TopoError:
        return "no format recognises it (topo formats lists them)"
    if found == format:
        return f"detection picks {format} too: the file may be damaged"
    return f"the file looks like {found} (detected: leave --format out to read it so)"


def _read_error(
    err: BaseException, kind: str | None, source: str, *, kept: bool = False
) -> ParseError:
    """What a read that failed says: its own words, damaged compressed data, or the OS's
    (``kept``: the traces read before it are kept, and the message says so)."""
    after = "; the traces before it are kept" if kept else ""
    if isinstance(err, ParseError):
        err.path, err.message = source, err.message + after
        return err
    if kind is not None and not (isinstance(err, OSError) and err.errno):
        return ParseError(corrupt_message(kind, err) + after, path=source)
    why = getattr(err, "strerror", None) or err
    return ParseError(f"cannot read: {why}{after}", path=source)


def read_traces(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    encoding: str | None = None,
    progress: ReadProgress | None = None,
) -> Iterator[ParseItem]:
    """Traces from every input, with a :class:`ParseError` for each thing that failed.

    Inputs are read one at a time; a large JSON Lines file is read line by line and a large
    JSON array item by item, so memory stays flat however many traces it holds. A text
    line longer than :data:`MAX_LINE_BYTES` is one error, and the rest of its file is read;
    so is a JSON Lines line, or a JSON document that is not a streamed array, larger than
    :func:`max_json_bytes`. UTF-16 and UTF-32 texts are decoded as they are read.
    ``progress`` counts files and bytes.

    >>> from topo.parsers import ParseResult
    >>> result = ParseResult.collect(read_traces(["/nonexistent/trace.txt"]))
    >>> [str(e) for e in result.errors]
    ['/nonexistent/trace.txt: no such file or directory']
    """
    for entry in iter_input_paths(paths):
        if isinstance(entry, ParseError):
            yield entry
            continue
        if progress is not None:
            progress.file(entry)
        items = _read_file(entry, format=format, encoding=encoding, progress=progress)
        yield from cap_errors(items, source=display_name(entry))


def cap_errors(
    items: Iterable[ParseItem], *, source: str, limit: int = MAX_ERRORS_PER_FILE
) -> Iterator[ParseItem]:
    """Every trace, but at most ``limit`` errors of one file, then one line saying how many
    more there were (a file of a million bad lines must not bury the other messages).

    >>> errors = [ParseError("bad", path="x", line=n) for n in range(1, 6)]
    >>> [str(e) for e in cap_errors(errors, source="x", limit=2)]
    ['x:1: bad', 'x:2: bad', 'x: 3 more errors in this file not shown']
    """
    hidden = 0
    shown = 0
    for item in items:
        if isinstance(item, ParseError):
            if shown >= limit:
                hidden += 1
                continue
            shown += 1
        yield item
    if hidden:
        yield ParseError(f"{hidden} more errors in this file not shown", path=source)
