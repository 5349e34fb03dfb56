"""topo's own JSON Lines, schema ``topo.trace/1``: what ``topo parse --json`` writes.

Each line is one trace; see :mod:`topo.inputs.schema` for the keys. Reading a file written by
``topo parse --json`` gives back the same traces, ``origin`` and ``format`` included, so
``topo parse x.txt --json | topo parse - --json`` prints the same lines again. A record
without ``format`` (the schema allows it) is a ``topo-jsonl`` trace.

>>> line = ('{"schema":"topo.trace/1","format":"linux-traceroute",'
...         '"origin":"a.txt:1","dst":"192.0.2.9","hops":[]}')
>>> [trace] = parse(line, source="b.jsonl")
>>> str(trace.origin), trace.format
('a.txt:1', 'linux-traceroute')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from topo.errors import ParseError
from topo.inputs.schema import SCHEMA, trace_from_dict
from topo.model import Origin
from topo.parsers.base import ParseItem
from topo.parsers.json_input import first_json_char, iter_json_records

NAME = "topo-jsonl"
DESCRIPTION = "topo's own JSON Lines (schema topo.trace/1), as written by topo parse --json"
DETECTION = 'JSON whose first record has "schema": "topo.trace/1"'

_SCHEMA_KEY = re.compile(r'"schema"\s*:\s*"topo\.trace/(\d+)"')


def sniff(head: str) -> bool:
    """JSON text whose first record names the ``topo.trace`` schema."""
    if first_json_char(head) not in ("{", "["):
        return False
    first_record = head.lstrip("\ufeff \t\r\n[").split("\n", 1)[0]
    return bool(_SCHEMA_KEY.search(first_record))


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace line of ``text``; a line that is not a valid trace is a :class:`ParseError`."""
    for record in iter_json_records(text, source=source):
        if isinstance(record, ParseError):
            yield record
            continue
        line, obj = record
        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            found = obj.get("schema") if isinstance(obj, dict) else type(obj).__name__
            yield ParseError(f"not a {SCHEMA} record (schema: {found!r})", path=source, line=line)
            continue
        try:
            trace = trace_from_dict(obj, origin=Origin(source, line))
        except (KeyError, TypeError, ValueError) as err:
            yield ParseError(f"invalid {SCHEMA} record: {err}", path=source, line=line)
            continue
        # a record that does not say what it was first parsed from was read from this
        yield trace if trace.format else replace(trace, format=NAME)
