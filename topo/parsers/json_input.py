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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from topo.errors import ParseError

_fast_loads: Callable[[str | bytes], Any]
try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib still works
    _fast_loads = json.loads


def loads(data: str | bytes) -> Any:
    """``json.loads`` (exact: integers of any size stay integers).

    >>> loads('{"a": [1, 2.5, null]}'), loads("[9223372036854775809]")
    ({'a': [1, 2.5, None]}, [9223372036854775809])
    """
    return json.loads(data)


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
    except json.JSONDecodeError as err:
        if _looks_like_json_lines(stripped):
            yield from _json_lines(text, source=source)
        else:
            line = first_line + err.lineno - 1
            yield ParseError(f"invalid JSON: {err.msg}", path=source, line=line)
        return
    except RecursionError:
        yield ParseError("invalid JSON: nested too deeply", path=source, line=first_line)
        return
    if isinstance(whole, list):
        for item in whole:
            yield None, item
    else:
        yield first_line, whole


def _looks_like_json_lines(text: str, probe_lines: int = 5) -> bool:
    """True when one of the first lines is a complete JSON object on its own."""
    for line in text.splitlines()[:probe_lines]:
        candidate = line.strip()
        if candidate.startswith("{") and candidate.endswith("}"):
            try:
                loads(candidate)
            except (json.JSONDecodeError, RecursionError):
                continue
            return True
    return False


def _json_lines(text: str, *, source: str) -> Iterator[tuple[int | None, Any] | ParseError]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, loads(line)
        except json.JSONDecodeError as err:
            yield ParseError(f"invalid JSON: {err.msg}", path=source, line=number)
        except RecursionError:
            yield ParseError("invalid JSON: nested too deeply", path=source, line=number)


def iter_json_lines(
    lines: Iterable[bytes], *, source: str, first_line: int = 1
) -> Iterator[tuple[int | None, Any] | ParseError]:
    """``(line, object)`` for every line of a JSON Lines input read as bytes, one at a time.

    What :func:`iter_json_records` gives for JSON Lines text, in constant memory: blank
    lines are skipped and each bad line is a :class:`ParseError`. Lines are UTF-8, as JSON
    Lines requires.

    >>> [str(item) for item in iter_json_lines([b'{"a": 1}\\n', b"\\n", b"{oops"], source="x")]
    ["(1, {'a': 1})", 'x:3: invalid JSON: Expecting property name enclosed in double quotes']
    """
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip():
            continue
        try:
            yield number, _fast_loads(raw)
            continue
        except (ValueError, TypeError):
            pass
        try:
            yield number, json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield ParseError("not valid UTF-8", path=source, line=number)
        except json.JSONDecodeError as err:
            yield ParseError(f"invalid JSON: {err.msg}", path=source, line=number)
        except RecursionError:
            yield ParseError("invalid JSON: nested too deeply", path=source, line=number)
