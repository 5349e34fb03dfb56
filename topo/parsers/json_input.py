"""Reading JSON inputs the way measurement tools write them: one document, an array, or JSON Lines.

Large JSON Lines files are read line by line (:func:`iter_json_lines`), in constant memory,
and decoded with orjson when it is installed (several times faster), falling back to the
standard library for what orjson refuses (``NaN``, ...) and for the error messages. orjson
reads an integer beyond 64 bits as a float: the streamed formats (RIPE Atlas) have none.

>>> [obj for _, obj in iter_json_records('[{"a": 1}, {"a": 2}]', source="x")]
[{'a': 1}, {'a': 2}]
>>> [(line, obj) for line, obj in iter_json_records('{"a": 1}\\n{"a": 2}\\n', source="x")]
[(1, {'a': 1}), (2, {'a': 2})]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Any, BinaryIO

from topo.errors import ParseError

_fast_loads: Callable[[str | bytes], Any]
try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib still works
    _fast_loads = json.loads


#: The most digits an integer in a JSON input may have (no traceroute field needs more:
#: a 64-bit counter has 20). Python refuses to convert more than 4,300 anyway, with an
#: error that is not a JSON error; longer numbers are a :class:`JSONNumberError`.
MAX_INT_DIGITS = 40


class JSONNumberError(ValueError):
    """A number in a JSON input that no traceroute field can hold."""


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise JSONNumberError(f"a number of {digits:,} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def loads(data: str | bytes) -> Any:
    """``json.loads`` (exact: integers stay integers, up to :data:`MAX_INT_DIGITS` digits).

    >>> loads('{"a": [1, 2.5, null]}'), loads("[9223372036854775809]")
    ({'a': [1, 2.5, None]}, [9223372036854775809])
    >>> loads("[" + "9" * 5000 + "]")
    Traceback (most recent call last):
    topo.parsers.json_input.JSONNumberError: a number of 5,000 digits (at most 40)
    """
    return json.loads(data, parse_int=_bounded_int)


#: A decoder that reads documents one after another (``raw_decode``), numbers bounded as in
#: :func:`loads`.
DECODER = json.JSONDecoder(parse_int=_bounded_int)


def json_error(err: ValueError | RecursionError) -> str:
    """The words of a JSON error, for a :class:`ParseError`.

    >>> json_error(json.JSONDecodeError("Expecting value", "x", 0))
    'invalid JSON: Expecting value'
    """
    if isinstance(err, RecursionError):
        return "invalid JSON: nested too deeply"
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err.msg}"
    return f"invalid JSON: {err}"


def first_json_char(head: str) -> str:
    """The first non-blank character (``{`` or ``[`` for JSON), or ``""``."""
    stripped = head.lstrip("\ufeff \t\r\n")
    return stripped[:1]


def iter_json_records(text: str, *, source: str) -> Iterator[tuple[int | None, Any] | ParseError]:
    """``(line, object)`` for every record; a :class:`ParseError` for what is not JSON.

    A top-level array yields its items (line ``None`` unless the array spans one item per
    line); a text of several JSON documents is read as JSON Lines, each bad line reported
    and skipped.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        yield ParseError("empty input", path=source, line=1)
        return
    offset = len(text) - len(stripped)
    first_line = text.count("\n", 0, offset) + 1
    try:
        whole = loads(stripped)
    except (ValueError, RecursionError) as err:
        if looks_like_json_lines(stripped):
            yield from _json_lines(text, source=source)
        else:
            line = first_line + (err.lineno - 1 if isinstance(err, json.JSONDecodeError) else 0)
            yield ParseError(json_error(err), path=source, line=line)
        return
    if isinstance(whole, list):
        for item in whole:
            yield None, item
    else:
        yield first_line, whole


def looks_like_json_lines(text: str, probe_lines: int = 5) -> bool:
    """True when one of the first lines is a complete JSON object on its own: a text that is
    not one JSON document is then read as JSON Lines.

    >>> looks_like_json_lines('{"a": 1}\\n{"a": 2'), looks_like_json_lines('{\\n"a": 1\\n}')
    (True, False)
    """
    for line in text.splitlines()[:probe_lines]:
        candidate = line.strip()
        if candidate.startswith("{") and candidate.endswith("}"):
            try:
                loads(candidate)
            except JSONNumberError:
                return True  # a JSON object, with a number too long for a trace
            except (ValueError, RecursionError):
                continue
            return True
    return False


def _json_lines(text: str, *, source: str) -> Iterator[tuple[int | None, Any] | ParseError]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, loads(line)
        except (ValueError, RecursionError) as err:
            yield ParseError(json_error(err), path=source, line=number)


def iter_json_lines(
    lines: Iterable[bytes | ParseError], *, source: str, first_line: int = 1
) -> Iterator[tuple[int | None, Any] | ParseError]:
    """``(line, object)`` for every line of a JSON Lines input read as bytes, one at a time.

    What :func:`iter_json_records` gives for JSON Lines text, in constant memory: blank
    lines are skipped and each bad line is a :class:`ParseError`. Lines are UTF-8, as JSON
    Lines requires. A :class:`ParseError` in place of a line (one too long to read) is
    passed on.

    >>> [str(item) for item in iter_json_lines([b'{"a": 1}\\n', b"\\n", b"{oops"], source="x")]
    ["(1, {'a': 1})", 'x:3: invalid JSON: Expecting property name enclosed in double quotes']
    """
    for number, raw in enumerate(lines, start=first_line):
        if isinstance(raw, ParseError):
            yield raw
            continue
        if not raw.strip():
            continue
        try:
            yield number, _fast_loads(raw)
            continue
        except (ValueError, TypeError):
            pass
        try:
            yield number, loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield ParseError("not valid UTF-8", path=source, line=number)
        except (ValueError, RecursionError) as err:
            yield ParseError(json_error(err), path=source, line=number)


#: How deeply a streamed JSON array may nest (orjson's own limit is 1024). ijson keeps the
#: path of every open level, so memory grows with the square of the depth: 10^4 levels
#: would take gigabytes. The guard below refuses a deeper input before ijson reads it.
MAX_JSON_DEPTH = 1024
#: Bytes handed to the JSON stream parser at a time.
_JSON_CHUNK = 64 * 1024
# Possessive quantifiers: a long string left open at the end of a chunk must not backtrack.
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_UNTIL_OPEN_STRING = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = [0] * 256
for _byte in b"[{":
    _DEPTH_STEP[_byte] = 1
for _byte in b"]}":
    _DEPTH_STEP[_byte] = -1


class _TooDeepError(ValueError):
    pass


class _DepthGuard:
    """A binary reader that raises :class:`_TooDeepError` once the JSON it passes on nests
    more than ``limit`` levels (brackets inside strings do not count)."""

    def __init__(self, handle: BinaryIO, limit: int = MAX_JSON_DEPTH) -> None:
        self._handle = handle
        self._limit = limit
        self._depth = 0
        self._carry = b""  # the start of a string still open at the end of the last chunk

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(_JSON_CHUNK if size is None or size < 0 else size)
        buf = self._carry + data
        match = _UNTIL_OPEN_STRING.match(buf)
        end = match.end() if match else 0
        if end < len(buf):  # inside a string: keep only whether a backslash escape is open
            tail = buf[end + 1 :]
            slashes = len(tail) - len(tail.rstrip(b"\\"))
            self._carry = b'"' + b"\\" * (slashes % 2)
        else:
            self._carry = b""
        brackets = _STRINGS.sub(b"", buf[:end]).translate(None, _NOT_BRACKETS)
        if brackets:
            steps = accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=self._depth)
            deepest = max(steps)
            self._depth += sum(map(_DEPTH_STEP.__getitem__, brackets))
            if deepest > self._limit:
                raise _TooDeepError(f"nested too deeply (more than {self._limit} levels)")
        return data


def iter_json_array(
    handle: BinaryIO, *, source: str
) -> Iterator[tuple[int | None, Any] | ParseError]:
    """``(None, item)`` for every item of the JSON array read from ``handle``, one at a time.

    What :func:`iter_json_records` gives for a top-level array, in memory bounded by the
    largest item rather than the file, with the items read before an error kept. Needs
    ``ijson`` (raises ImportError without it). Nesting deeper than :data:`MAX_JSON_DEPTH`
    is one error.

    >>> import io
    >>> for item in iter_json_array(io.BytesIO(b'[{"a": 1.5}, 2, {'), source="x"):
    ...     print(item)
    (None, {'a': 1.5})
    (None, 2)
    x: invalid JSON after result 2: parse error: premature EOF
    """
    import ijson  # type: ignore[import-untyped, unused-ignore]

    guard = _DepthGuard(handle)
    count = 0
    try:
        for item in ijson.items(guard, "item", use_float=True):
            count += 1
            yield None, item
    except _TooDeepError as err:
        yield ParseError(f"invalid JSON: {err}", path=source, line=None if count else 1)
    except ijson.JSONError as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else "not JSON"
        where = f" after result {count}" if count else ""
        yield ParseError(f"invalid JSON{where}: {message}", path=source)
    except ValueError as err:  # a number Python will not convert (over 4,300 digits)
        where = f" after result {count}" if count else ""
        yield ParseError(f"invalid JSON{where}: {err}", path=source)
