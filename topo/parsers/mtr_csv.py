"""mtr ``--csv`` output: one row per hop, ``Mtr_Version,Start_Time,Status,Host,Hop,Ip,...``.

Reads:

- the header mtr prints before the first hop (``Mtr_Version,Start_Time,Status,Host,Hop,
  Ip,[Asn,]Loss%,Snt, ,Last,Avg,Best,Wrst,StDev,``; note the blank ``" "`` column and the
  trailing comma): columns are read by their names, so ``-o`` orders and ``-z`` (``Asn``)
  work;
- rows without a header (older mtr, or headers stripped when runs were concatenated):
  the default columns are assumed when the row has their number of fields;
- ``;`` as well as ``,`` between fields;
- ``Ip`` as an address, ``name (addr)`` (``-b``), a bare name or ``???``;
- several runs in one file: a new header, another ``Start_Time`` or ``Host``, or a hop
  number that does not grow starts a new trace.

``Hop`` is the TTL (mtr prints ``at + 1``). One host per hop (no ECMP alternates); each hop
is a ``Reply`` with ``rtt_ms=None`` plus ``Hop.stats``. ``Host`` is the target as given to
mtr: ``dst`` when it is an address, else ``dst_name`` (``dst`` then comes from the last
row when it answered, ``meta["dst_inferred"]``). ``Start_Time`` (seconds since the epoch)
is ``started``; ``Mtr_Version`` and ``Status`` go to ``meta``.

Example
-------
>>> text = '''Mtr_Version,Start_Time,Status,Host,Hop,Ip,Loss%,Snt, ,Last,Avg,Best,Wrst,StDev,
... MTR.0.95,1795948973,OK,13.209.0.10,1,192.168.1.1,0.00,3,0,0.09,0.10,0.07,0.12,0.02
... MTR.0.95,1795948973,OK,13.209.0.10,2,???,100.00,3,3,0.00,0.00,0.00,0.00,0.00
... MTR.0.95,1795948973,OK,13.209.0.10,3,13.209.0.10,0.00,3,0,0.13,0.12,0.11,0.14,0.01'''
>>> [trace] = parse(text, source="m.csv")
>>> trace.ip_path, trace.reached, trace.started.isoformat()
((('192.168.1.1',), (), ('13.209.0.10',)), True, '2026-11-29T10:42:53+00:00')
>>> trace.hops[0].stats.best, trace.meta["mtr_version"]
(0.07, '0.95')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.errors import ParseError
from topo.model import Hop, Origin, Trace
from topo.parsers.base import ParseItem, non_blank_lines
from topo.parsers.mtr_common import (
    epoch_to_utc,
    extra_columns,
    host_reply,
    parse_asn,
    stats_from_columns,
    summary_hop,
    summary_trace,
)

NAME = "mtr-csv"
DESCRIPTION = "mtr --csv (header read by name: -o, -z Asn, -b; with or without a header)"
DETECTION = "a 'Mtr_Version,Start_Time,...' header or rows starting 'MTR.<version>,<epoch>,'"

_HEADER = re.compile(r"^\s*Mtr_Version\s*[,;]", re.IGNORECASE)
_ROW = re.compile(r"^\s*MTR\.[^,;]*[,;]\s*\d+\s*[,;]")
#: The columns of mtr 0.95 without ``-o`` / ``-z``.
DEFAULT_HEADER = ["Mtr_Version", "Start_Time", "Status", "Host", "Hop", "Ip"]
DEFAULT_HEADER += ["Loss%", "Snt", " ", "Last", "Avg", "Best", "Wrst", "StDev"]


def sniff(head: str) -> bool:
    """The mtr header, or a first row ``MTR.<version>,<epoch>,...``."""
    lines = non_blank_lines(head, limit=3)
    return bool(lines) and bool(_HEADER.match(lines[0]) or _ROW.match(lines[0]))


def _split(line: str) -> list[str]:
    delimiter = ";" if line.count(";") > line.count(",") else ","
    return [part.strip() for part in line.split(delimiter)]


@dataclass
class _Run:
    source: str
    line: int
    key: tuple[str, str]
    hops: list[Hop] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    status: str | None = None

    def build(self) -> Trace:
        start, target = self.key
        meta: dict[str, Any] = {}
        if self.version:
            meta["mtr_version"] = self.version
        if self.status:
            meta["status"] = self.status
        return summary_trace(
            self.hops,
            target=target or None,
            src=None,
            meta=meta,
            extras=self.extras,
            format_name=NAME,
            origin=Origin(self.source, self.line),
            started=epoch_to_utc(start),
        )


def _row_hop(row: dict[str, str]) -> Hop | str:
    """The hop of one row, or a problem."""
    hop_text = row.get("Hop", "")
    if not hop_text.isdecimal() or int(hop_text) < 1:
        return f"unreadable hop number {hop_text!r}"
    if "Ip" not in row:
        return "no Ip field"
    asn = parse_asn(row["Asn"]) if row.get("Asn") else None
    return summary_hop(int(hop_text), [host_reply(row["Ip"], asn=asn)], stats_from_columns(row))


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every run in ``text``; a :class:`ParseError` for each row that cannot be read."""
    header: list[str] | None = None
    header_line: int | None = None  # the header's line, until a run starts there
    run: _Run | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = _split(line)
        if _HEADER.match(line):
            header, header_line = fields, number
            if run is not None:
                yield run.build()
                run = None
            continue
        names = header or DEFAULT_HEADER
        if len(fields) == len(names) + 1 and fields[-1] == "":
            fields = fields[:-1]
        names = names[: len(names) - 1] if names[-1] == "" else names
        if not _ROW.match(line) or len(fields) != len(names):
            reason = "column count differs from the header" if _ROW.match(line) else "not a row"
            yield ParseError(f"{reason}: {line.strip()[:80]!r}", path=source, line=number)
            continue
        row = {
            name.strip(): value for name, value in zip(names, fields, strict=True) if name.strip()
        }
        hop = _row_hop(row)
        if isinstance(hop, str):
            yield ParseError(hop, path=source, line=number)
            continue
        key = (row.get("Start_Time", ""), row.get("Host", ""))
        if run is not None and (key != run.key or hop.ttl <= run.hops[-1].ttl):
            yield run.build()
            run = None
        if run is None:
            version = row.get("Mtr_Version", "")
            start_line = header_line or number
            header_line = None
            run = _Run(source, start_line, key, version=version.removeprefix("MTR.") or None)
            run.status = row.get("Status") or None
        run.hops.append(hop)
        extra = extra_columns(hop.ttl, row)
        if extra:
            run.extras.append(extra)
    if run is not None:
        yield run.build()
