"""mtr ``--json`` output: ``{"report": {"mtr": {...}, "hubs": [...]}}``, one summary per hop.

Reads every layout mtr has written:

- mtr 0.87-0.93 (hand-written JSON): ``"count": "1"``, ``"tests": "10"`` and
  ``"tos": "0x0"`` as strings, numbers with two decimals;
- mtr 0.94/0.95 (jansson): ``"count": 1``, ``"tests": 3``, ``"tos": 0`` as numbers;
- ``-z``: an ``"ASN": "AS15169"`` key per hub (``AS???`` -> ``asn=()``);
- ``-o``: whichever columns were chosen, by name (``Loss%``, ``Snt``, ``Drop``, ``Rcv``,
  ``Last``, ``Avg``, ``Best``, ``Wrst``, ``StDev``, ``Gmean``, ``Jttr``, ``Javg``, ``Jmax``,
  ``Jint``);
- ``-b`` hosts ``"name (addr)"``, names only (no ``-n``), ``???``;
- one report, a JSON array of reports, or several reports one after the other (mtr run
  again and again into the same file; pretty-printed or one per line).

``count`` is the TTL (mtr prints ``at + 1``). mtr keeps *one* host per hop in JSON (no
ECMP alternates). Each hop is a ``Reply`` with ``rtt_ms=None`` plus ``Hop.stats``; a host
known only by its name keeps ``addr=None`` and is listed in ``meta["unresolved_names"]``.
``dst`` is the target when it is an address (``dst_name`` otherwise, and ``dst`` then comes
from the last row when it answered: ``meta["dst_inferred"]``). ``src`` is mtr's local host
*name* (``meta["src_host"]``) unless it is an address. JSON carries no protocol.

Example
-------
>>> text = '''{"report": {"mtr": {"src": "vm", "dst": "13.209.0.10", "tests": 3},
...   "hubs": [{"count": 1, "host": "192.168.1.1", "Loss%": 0.0, "Snt": 3, "Avg": 0.083},
...            {"count": 2, "host": "???", "Loss%": 100.0, "Snt": 3, "Avg": 0.0},
...            {"count": 3, "host": "13.209.0.10", "Loss%": 0.0, "Snt": 3, "Avg": 0.136}]}}'''
>>> [trace] = parse(text, source="m.json")
>>> trace.ip_path, trace.reached, trace.meta["src_host"]
((('192.168.1.1',), (), ('13.209.0.10',)), True, 'vm')
>>> trace.hops[0].stats.avg, trace.hops[1].stats.loss
(0.083, 100.0)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from topo.errors import ParseError
from topo.model import Hop, Origin
from topo.parsers.base import ParseItem
from topo.parsers.json_input import DECODER, first_json_char, json_error
from topo.parsers.mtr_common import (
    extra_columns,
    host_reply,
    parse_asn,
    stats_from_columns,
    summary_hop,
    summary_trace,
    to_number,
)

NAME = "mtr-json"
DESCRIPTION = "mtr --json (0.87-0.95 layouts, -z ASN, -o columns, -b); one or many reports"
DETECTION = 'JSON with a "report" holding "hubs" (mtr --json)'

#: Scalars of ``report.mtr`` copied into ``meta``.
_MTR_META = ("tos", "psize", "bitpattern", "tests")


def sniff(head: str) -> bool:
    """JSON whose start names mtr's ``"report"`` and ``"hubs"`` (or ``"mtr"``) keys."""
    if first_json_char(head) not in ("{", "["):
        return False
    if not re.search(r'"report"\s*:', head):
        return False
    return bool(re.search(r'"hubs"\s*:', head) or re.search(r'"mtr"\s*:\s*\{', head))


def _documents(text: str, source: str) -> Iterator[tuple[int, Any] | ParseError]:
    """``(line, value)`` for each JSON document in ``text`` (one after the other)."""
    pos, length = 0, len(text)
    while True:
        while pos < length and text[pos] in "\ufeff \t\r\n":
            pos += 1
        if pos >= length:
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            yield ParseError(f"invalid JSON: {err.msg}", path=source, line=err.lineno)
            resume = text.find("\n{", err.pos)
            if resume < 0:
                return
            pos = resume + 1
            continue
        except (ValueError, RecursionError) as err:  # a number too long, nesting too deep
            yield ParseError(json_error(err), path=source, line=line)
            resume = text.find("\n{", pos + 1)
            if resume < 0:
                return
            pos = resume + 1
            continue
        yield line, value


def _hop(index: int, hub: Any, first_ttl: int) -> Hop | str:
    """The hop of one hub, or a problem."""
    if not isinstance(hub, dict):
        return f"hub {index + 1} is not an object"
    count = to_number(hub.get("count"))
    ttl = int(count) if count is not None and count >= 1 else first_ttl + index
    host = hub.get("host")
    if not isinstance(host, str):
        return f"hub {index + 1} has no host"
    asn = parse_asn(hub["ASN"]) if isinstance(hub.get("ASN"), str) else None
    reply = host_reply(host, asn=asn)
    return summary_hop(ttl, [reply], stats_from_columns(hub))


def _trace(report: Any, line: int, source: str) -> Iterator[ParseItem]:
    """The trace of one ``{"report": ...}`` document (and errors for bad hubs)."""
    body = report.get("report") if isinstance(report, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("hubs", []), list):
        yield ParseError('not an mtr JSON report (no "report" with "hubs")', path=source, line=line)
        return
    found = body.get("mtr")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    hops: list[Hop] = []
    extras = []
    for index, hub in enumerate(body.get("hubs", [])):
        hop = _hop(index, hub, 1)
        if isinstance(hop, str):
            yield ParseError(hop, path=source, line=line)
            continue
        hops.append(hop)
        extra = extra_columns(hop.ttl, hub)
        if extra:
            extras.append(extra)
    target = info.get("dst") if isinstance(info.get("dst"), str) else None
    yield summary_trace(
        hops,
        target=target,
        src=info.get("src") if isinstance(info.get("src"), str) else None,
        meta={k: info[k] for k in _MTR_META if isinstance(info.get(k), str | int | float)},
        extras=extras,
        format_name=NAME,
        origin=Origin(source, line),
    )


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every mtr report in ``text``; a :class:`ParseError` for each part that is not one."""
    found = False
    for item in _documents(text, source):
        if isinstance(item, ParseError):
            yield item
            continue
        found = True
        line, value = item
        for report in value if isinstance(value, list) else [value]:
            yield from _trace(report, line, source)
    if not found and not text.strip():
        yield ParseError("empty input", path=source, line=1)
