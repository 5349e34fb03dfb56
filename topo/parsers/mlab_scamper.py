"""M-Lab's scamper archives (``ndt/scamper1``, ``ndt/scamper2``): scamper JSON in a wrapper.

M-Lab's traceroute-caller runs scamper after each NDT test and archives its output in
one of two wrappers, both read here:

JSON Lines (``.jsonl``)
    a first line holding traceroute-caller's metadata (``{"UUID": ...,
    "TracerouteCallerVersion": ..., "CachedResult": ..., "CachedUUID": ...}``), then
    scamper's own records: ``cycle-start``, a ``tracelb`` (scamper1) or ``trace``
    (scamper2), ``cycle-stop``;
one JSON document (``.json``)
    the same four parts as keys of one object: ``Metadata``, ``CycleStart``, ``Trace``
    or ``Tracelb``, ``CycleStop``.

The scamper records are read by :mod:`topo.parsers.scamper_json`'s converters, so each
trace is what that parser makes of it, with ``format`` ``mlab-scamper`` and the
metadata in ``meta`` (``uuid``, ``traceroute_caller_version``, ``cached_result``,
``cached_uuid``).

Example
-------
>>> text = ('{"UUID": "ndt-x_1_00A", "TracerouteCallerVersion": "bc092be"}\\n'
...         '{"type": "cycle-start", "list_name": "default", "id": 0, "hostname": "ndt-x"}\\n'
...         '{"type": "trace", "method": "icmp-echo-paris", "src": "192.0.2.1",'
...         ' "dst": "192.0.2.9", "stop_reason": "COMPLETED", "hops": ['
...         '{"addr": "192.0.2.9", "probe_ttl": 1, "probe_id": 1, "rtt": 3.5}]}\\n'
...         '{"type": "cycle-stop", "list_name": "default", "id": 0, "hostname": "ndt-x"}\\n')
>>> sniff(text)
True
>>> [trace] = parse(text, source="x.jsonl")
>>> trace.ip_path, trace.meta["uuid"], trace.meta["hostname"]
((('192.0.2.9',),), 'ndt-x_1_00A', 'ndt-x')
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from topo.errors import ParseError
from topo.model import Origin
from topo.parsers import scamper_json
from topo.parsers.base import ParseItem
from topo.parsers.json_input import first_json_char, iter_json_records

NAME = "mlab-scamper"
DESCRIPTION = "M-Lab traceroute archives (ndt/scamper1, scamper2): scamper JSON in a wrapper"
DETECTION = (
    'a first JSON record with "UUID" (traceroute-caller) before scamper records, '
    'or one object with "Metadata" and "Trace"/"Tracelb"/"CycleStart"'
)

_FIRST_UUID = re.compile(r'^\s*\{\s*"UUID"\s*:')
_DOCUMENT = re.compile(r'^\s*\{\s*"Metadata"\s*:\s*\{')
_PART = re.compile(r'"(?:CycleStart|Trace|Tracelb)"\s*:\s*\{')
_SCAMPER = re.compile(r'"type"\s*:\s*"(?:cycle-start|trace|tracelb|cycle-stop)"')
#: traceroute-caller's metadata keys and their names in ``meta``.
_METADATA = {
    "UUID": "uuid",
    "TracerouteCallerVersion": "traceroute_caller_version",
    "CachedResult": "cached_result",
    "CachedUUID": "cached_uuid",
}
_MEASUREMENTS = {"trace": "Trace", "tracelb": "Tracelb"}


def sniff(head: str) -> bool:
    """traceroute-caller's ``UUID`` line before scamper records, or its one-object form.

    >>> sniff('{"UUID":"a","TracerouteCallerVersion":"b"}\\n{"type":"cycle-start","id":1}')
    True
    >>> sniff('{"Metadata":{"UUID":"a"},"CycleStart":{"type":"cycle-start"}}')
    True
    >>> sniff('{"type":"cycle-start","list_name":"x"}')
    False
    """
    if first_json_char(head) != "{":
        return False
    text = head.lstrip("\ufeff")
    if _FIRST_UUID.match(text):
        return bool(_SCAMPER.search(text)) or "\n" not in text.strip()
    return bool(_DOCUMENT.match(text) and _PART.search(text))


def metadata_meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    """traceroute-caller's metadata as ``meta`` entries (scalars only).

    >>> metadata_meta({"UUID": "u", "CachedResult": False, "Other": [1]})
    {'uuid': 'u', 'cached_result': False}
    """
    return {
        target: obj[key]
        for key, target in _METADATA.items()
        if isinstance(obj.get(key), str | bool | int | float)
    }


def _convert(
    obj: Mapping[str, Any], origin: Origin, cycle: Mapping[str, Any], meta: Mapping[str, Any]
) -> Iterator[ParseItem]:
    """One scamper ``trace``/``tracelb`` record as a trace of this format (and its problems)."""
    kind = obj.get("type")
    line = origin.line
    if kind not in _MEASUREMENTS:
        message = f"scamper {str(kind)[:40]!r} record is not a traceroute; skipped"
        yield ParseError(message, path=origin.path, line=line)
        return
    convert = scamper_json.trace_to_trace if kind == "trace" else scamper_json.tracelb_to_trace
    try:
        trace, problems = convert(obj, origin=origin, cycle=cycle)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as err:
        yield ParseError(f"unreadable scamper {kind} ({err})", path=origin.path, line=line)
        return
    if problems:
        message = f"scamper {kind} to {trace.dst}: " + "; ".join(problems)
        yield ParseError(message, path=origin.path, line=line)
    yield dataclasses.replace(trace, format=NAME, meta={**trace.meta, **meta})


def _document(obj: Mapping[str, Any], origin: Origin) -> Iterator[ParseItem]:
    """The one-object form: ``Metadata``, ``CycleStart``, ``Trace``/``Tracelb``, ``CycleStop``."""
    metadata, start = obj.get("Metadata"), obj.get("CycleStart")
    meta = metadata_meta(metadata) if isinstance(metadata, dict) else {}
    cycle = scamper_json._cycle_meta(start) if isinstance(start, dict) else {}
    found = [obj[key] for key in ("Trace", "Tracelb") if isinstance(obj.get(key), dict)]
    if not found:
        yield ParseError("no 'Trace' or 'Tracelb' object", path=origin.path, line=origin.line)
    for measurement in found:
        yield from _convert(measurement, origin, cycle, meta)


def _records(text: str, source: str) -> Iterator[tuple[Origin, Any] | ParseError]:
    """Every JSON record of ``text`` with where it starts."""
    for index, record in enumerate(iter_json_records(text, source=source)):
        if isinstance(record, ParseError):
            yield record
            continue
        line, obj = record
        origin = Origin(source, line) if line is not None else Origin(source, item=index + 1)
        yield origin, obj


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every traceroute in an M-Lab scamper1/scamper2 file; errors for what is not one
    (and one for a file without any, such as a metadata line alone)."""
    found = False
    for item in _items(text, source):
        found = found or not isinstance(item, ParseError)
        yield item
    if not found:
        yield ParseError("no scamper trace or tracelb record", path=source, line=1)


def _items(text: str, source: str) -> Iterator[ParseItem]:
    meta: dict[str, Any] = {}
    cycle: dict[str, Any] = {}
    for record in _records(text, source):
        if isinstance(record, ParseError):
            yield record
            continue
        origin, obj = record
        if not isinstance(obj, dict):
            yield ParseError("record is not a JSON object", path=source, line=origin.line)
        elif "Metadata" in obj:
            yield from _document(obj, origin)
        elif "UUID" in obj:
            meta = metadata_meta(obj)
        elif obj.get("type") in ("cycle-start", "cycle-def"):
            cycle = scamper_json._cycle_meta(obj)
        elif obj.get("type") != "cycle-stop":
            yield from _convert(obj, origin, cycle, meta)
