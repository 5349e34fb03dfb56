"""mtr ``--report`` / ``--report-wide`` text: one summary row per hop.

Reads what ``mtr -r`` and ``mtr -rw`` print (mtr 0.7x to 0.95):

- an optional ``Start:`` line (ISO 8601 with a zone since 0.93, ``ctime`` before: kept in
  ``meta["start"]``, ``started`` left ``None`` because it has no zone);
- the ``HOST: <local hostname>  Loss%  Snt ...`` header. ``HOST:`` names the machine mtr
  ran on (the *source*), never the target; the column titles after it are read by name,
  so ``-o`` orders (``Drop``, ``Rcv``, ``Gmean``, jitter columns) work;
- hop rows ``  4.|-- 13.208.2.2   0.0%  3  0.1 ...`` and, with ``-z``, ``  4. AS16509 host``;
- ECMP alternates on the lines under a hop, in both layouts mtr has used:
  ``        13.208.1.2`` (builds with ipinfo, 0.9x) and ``    |  `|-- 13.208.1.2`` /
  ``    |   |-- 13.208.3.2`` (older builds);
- MPLS lines (``[MPLS: Lbl 24001 Exp 0 S 1 TTL 1]``, ``TC`` in newer versions) attached to
  the host printed just before them;
- ``???`` rows (silent hops), ``-b`` (``name (addr)``), IPv6, several reports in one file;
- the table the Globalping CLI prints for ``globalping mtr`` (its probes' ``rawOutput``):
  a ``Host  Loss% Drop Rcv Avg StDev Javg`` header, rows ``N. AS15169 name (addr)  ...``
  (several ASes as ``AS4134 4809``, ``AS???`` for none: all kept on ``Reply.asn``) and
  ``N. AS???  (waiting for reply)`` rows without numbers (silent hops, no stats). A
  ``> EU, DE, Frankfurt, ASN:396982, ...`` line (the probe) starts a report and is kept in
  ``meta["probe"]``; a ``$ globalping mtr TARGET ...`` command line gives the target
  (``dst_name``). Globalping leaves out rows that repeat an earlier hop's address and
  numbers the rest 1, 2, ...: after such a row a row's number is not its TTL;
- mtr's curses screen as people copy it: the ``My traceroute  [v0.93]`` title (starts a
  report, ``meta["mtr_version"]``), the line under it (``host (addr)  2022-02-13T14:23:15+0000``:
  the machine mtr ran on and when it started, read like ``HOST:`` and ``Start:``), the
  ``Keys:  Help  Display mode ...`` and ``Packets  Pings`` lines (skipped), then the
  ``Host  Loss% ...`` table;
- the shell around a pasted report: the ``mtr`` command that ran it (``user@host:~$ mtr
  -zn 8.8.8.8``) is kept in ``meta["command"]`` and names the target (its first word
  that is neither an option nor an option's value), a prompt alone is skipped.

A hop is one ``Reply`` per distinct address with ``rtt_ms=None`` (mtr prints no single
probe) and the row's numbers in ``Hop.stats`` (loss in percent, times in ms; the times of a
100 % loss row are ``None``). Without ``-n`` mtr prints *only* the name of a router that
has a PTR record: such a reply keeps the name with ``addr=None`` and the hop is listed in
``meta["unresolved_names"]`` (it answered; it is not a ``*``). A narrow ``--report`` cuts
the host column at 25 characters (``cgnat.isp.example (100.64``): a host that fills the
column is listed in ``meta["truncated_hosts"]`` and a cut ``(addr`` or IPv6 address is
never taken for an address (the name is kept). ``--report-wide`` does not cut.

The report does not print the target. Following mtr's ``net_max`` (the list stops at the
destination, or one ``???`` row after the last answer when it was not reached), a report
whose last row answered reached its destination: ``dst`` is that row's address
(``meta["dst_inferred"]``); a report ending in ``???`` has ``reached=False``.

Example
-------
>>> text = '''Start: 2026-11-29T10:42:26+0000
... HOST: vm                          Loss%   Snt   Last   Avg  Best  Wrst StDev
...   1.|-- 192.168.1.1                0.0%     6    0.1   0.1   0.1   0.1   0.0
...   2.|-- 13.208.2.2                 0.0%     6    0.1   0.1   0.1   0.2   0.0
...         13.208.1.2
...   3.|-- ???                       100.0     6    0.0   0.0   0.0   0.0   0.0
...   4.|-- 13.209.0.10                0.0%     6    0.2   0.2   0.2   0.2   0.0'''
>>> [trace] = parse(text, source="r.txt")
>>> trace.ip_path, trace.dst, trace.reached
((('192.168.1.1',), ('13.208.2.2', '13.208.1.2'), (), ('13.209.0.10',)), '13.209.0.10', True)
>>> trace.hops[2].stats.loss, trace.hops[0].stats.sent, trace.started.isoformat()
(100.0, 6, '2026-11-29T10:42:26+00:00')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.errors import ParseError
from topo.model import Hop, HopStats, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines
from topo.parsers.mtr_common import (
    DEFAULT_COLUMNS,
    KNOWN_COLUMNS,
    add_mpls,
    extra_columns,
    host_reply,
    iso_to_utc,
    parse_asn,
    parse_mpls,
    stats_from_columns,
    summary_hop,
    summary_trace,
    to_number,
)
from topo.parsers.shell import command_target, is_bare_prompt, shell_command

NAME = "mtr-report"
DESCRIPTION = (
    "mtr --report / --report-wide text (any -o columns, -b, -z, ECMP and MPLS lines), "
    "Globalping's mtr table"
)
DETECTION = "a 'HOST: name  Loss% ...' or 'Host  Loss% ...' header, or rows 'N.|-- host  loss%'"

_START = re.compile(r"^\s*Start:\s*(?P<when>\S(?:.*\S)?)\s*$")
_HEADER = re.compile(r"^\s*HOST:\s*(?P<rest>.*)$")
#: The header of Globalping's table (and of mtr's curses screen): no local host name.
_TABLE_HEADER = re.compile(r"^\s*Host\s+(?P<rest>\S.*)$")
_PROBE = re.compile(r"^\s*>\s+(?P<probe>\S(?:.*\S)?)\s*$")
_COMMAND = re.compile(r"^\s*\$\s+globalping\s+mtr\s+(?P<target>[^\s-]\S*)")
#: mtr's one-letter options that take a value (``-c 10``), for the target of a command.
_MTR_VALUE_OPTIONS = "BFGILMPQUZacdfimosy"
#: The curses screen's title, the line under it (local host, start time) and its legends.
_TITLE = re.compile(r"^\s*My traceroute\s+\[v(?P<version>[^\]\s]+)\]\s*$")
_SCREEN_HOST = re.compile(
    r"^\s*(?P<host>\S+)(?:\s+\((?P<addr>[^()\s]+)\))?\s+"
    r"(?P<when>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:?\d\d"
    r"|[A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s+\d{4})\s*$"
)
_LEGEND = re.compile(r"^\s*(?:Keys:\s+Help\b.*|Packets\s+Pings)\s*$")
#: A row without numbers: nobody answered (Globalping, mtr's curses screen).
_SILENT = ("(waiting for reply)", "???")
_ROW = re.compile(r"^\s*(?P<ttl>\d{1,3})\.(?P<bar>\|--)?\s+(?P<body>\S.*)$")
_TREE_ALT = re.compile(r"^\s+\|\s+`?\|--\s+(?P<host>\S(?:.*\S)?)\s*$")
_MPLS_LINE = re.compile(r"^\s+(?:\|\s+[|`]?\+--\s+)?\[MPLS:")
#: Where a narrow ``--report`` cuts the host column (mtr's ``len_hosts``).
_NARROW = 33
#: Printed width of each column (mtr's ``data_fields``).
COLUMN_WIDTHS = {"Loss%": 6, "Drop": 5, "Rcv": 6, "Snt": 6, "Last": 6, "Best": 6, "Avg": 6}
COLUMN_WIDTHS |= {"Wrst": 6, "StDev": 6, "Gmean": 6, "Jttr": 5, "Javg": 5, "Jmax": 5, "Jint": 5}
_PLAIN_ALT = re.compile(r"^\s{4,}(?P<host>[^\s|\[](?:.*\S)?)\s*$")


def sniff(head: str) -> bool:
    """A ``HOST:`` or ``Host`` header with mtr column titles, or two ``N.|--`` hop rows."""
    if "HOST:" not in head and "|--" not in head and "Host" not in head:
        return False  # (one scan first: no line can make it say yes)
    return _sniff_lines(non_blank_lines(head))


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    for line in lines[:10]:
        header = _HEADER.match(line) or _TABLE_HEADER.match(line)
        if header and len(set(header["rest"].split()) & KNOWN_COLUMNS) >= 2:
            return True
    rows = sum(1 for line in lines if (m := _ROW.match(line)) and m["bar"])
    return rows >= 2


def _table_header(line: str) -> re.Match[str] | None:
    """A ``Host  Loss% ...`` header (Globalping, mtr's curses screen), else ``None``."""
    match = _TABLE_HEADER.match(line)
    if match and len(set(match["rest"].split()) & KNOWN_COLUMNS) >= 2:
        return match
    return None


def _is_narrow(header: str, columns: tuple[str, ...]) -> bool:
    """True for a ``--report`` (not ``--report-wide``) header: titles start at column 33."""
    if not columns or columns[0] not in COLUMN_WIDTHS:
        return False
    return header[_NARROW:].startswith(f"{columns[0]:>{COLUMN_WIDTHS[columns[0]]}}")


def _header_columns(rest: str) -> tuple[str | None, tuple[str, ...]]:
    """The local host name and the column titles of a ``HOST:`` line."""
    words = rest.split()
    first = next((i for i, w in enumerate(words) if w in KNOWN_COLUMNS), len(words))
    host = words[0] if first > 0 else None
    return host, tuple(words[first:])


@dataclass
class _Report:
    """One report being read."""

    source: str
    line: int
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    start: str | None = None
    local_host: str | None = None
    target: str | None = None
    probe: str | None = None
    hops: list[Hop] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    narrow: bool = False
    cut: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    ttl: int | None = None
    stats: HopStats | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # version, command, screen host
    titled: bool = False  # the curses title was the last line read

    def finish_hop(self) -> None:
        if self.ttl is not None:
            self.hops.append(summary_hop(self.ttl, self.replies, self.stats))
        self.ttl, self.replies, self.stats = None, [], None

    def build(self) -> Trace:
        self.finish_hop()
        meta: dict[str, Any] = dict(self.facts)
        if self.columns != DEFAULT_COLUMNS:
            meta["columns"] = list(self.columns)
        started = iso_to_utc(self.start) if self.start else None
        if self.start and started is None:
            meta["start"] = self.start
        if self.cut:
            meta["truncated_hosts"] = self.cut
        if self.probe:
            meta["probe"] = self.probe
        return summary_trace(
            self.hops,
            target=self.target,
            src=self.local_host,
            meta=meta,
            extras=self.extras,
            format_name=NAME,
            origin=Origin(self.source, self.line),
            started=started,
        )

    @property
    def empty(self) -> bool:
        return not self.hops and self.ttl is None


def _host_tokens(tokens: list[str], *, cut: bool = False) -> tuple[Reply, str | None]:
    """The reply of a host part (``[AS...] host [(addr)]``); a problem or ``None``.

    ``cut``: the host filled its column in a narrow report, so mtr may have cut it
    (``cgnat.isp.example (100.64``): a cut address is never taken for an address.
    """
    asn = None
    if len(tokens) > 1 and parse_asn(tokens[0]) is not None:
        asn = parse_asn(tokens[0])
        tokens = tokens[1:]
        while asn and len(tokens) > 1 and tokens[0].isdecimal():  # Globalping: "AS4134 4809"
            asn, tokens = (*asn, int(tokens[0])), tokens[1:]
    if not tokens:
        return Reply(None), "no host"
    if len(tokens) > 2 or (len(tokens) == 2 and not tokens[1].startswith("(")):
        return Reply(None), f"unexpected host {' '.join(tokens)!r}"
    if len(tokens) == 2 and not tokens[1].endswith(")"):
        return Reply(None, name=tokens[0], asn=asn), None  # "name (addr" cut short
    if cut and len(tokens) == 1 and ":" in tokens[0]:
        return Reply(None, name=tokens[0], asn=asn), None  # an IPv6 address cut short
    return host_reply(" ".join(tokens), asn=asn), None


def _read_row(report: _Report, ttl: int, line: str, body: str) -> str | None:
    """Read one hop row into ``report``; returns a problem or ``None``."""
    tokens = body.split()
    host = " ".join(tokens[1:] if parse_asn(tokens[0]) is not None else tokens)
    if host in _SILENT:  # no numbers: nobody answered
        report.ttl, report.replies, report.stats = ttl, [Reply(None)], None
        return None
    width = len(report.columns)
    if len(tokens) < width + 1:
        return f"hop {ttl}: expected a host and {width} columns, got {body.strip()[:80]!r}"
    values = tokens[-width:]
    if any(to_number(v) is None for v in values):
        return f"hop {ttl}: unreadable numbers {' '.join(values)!r}"
    cut = report.narrow and len(line) > _NARROW and not line[_NARROW - 1].isspace()
    reply, problem = _host_tokens(tokens[:-width], cut=cut)
    if problem:
        return f"hop {ttl}: {problem}"
    if cut:
        report.cut.append({"ttl": ttl, "text": " ".join(tokens[:-width])})
    columns = dict(zip(report.columns, values, strict=True))
    report.ttl, report.replies, report.stats = ttl, [reply], stats_from_columns(columns)
    extra = extra_columns(ttl, columns)
    if extra:
        report.extras.append(extra)
    return None


def _read_follow_up(report: _Report, line: str) -> str | None:
    """An ECMP alternate or MPLS line under a hop; a problem, or ``None`` when read."""
    if report.ttl is None:
        return f"not an mtr report line: {line.strip()[:80]!r}"
    if _MPLS_LINE.match(line):
        label = parse_mpls(line)
        if label is None:
            return f"hop {report.ttl}: unreadable MPLS line {line.strip()[:80]!r}"
        report.replies[-1] = add_mpls(report.replies[-1], label)
        return None
    match = _TREE_ALT.match(line) or _PLAIN_ALT.match(line)
    if not match:
        return f"not an mtr report line: {line.strip()[:80]!r}"
    reply, problem = _host_tokens(match["host"].split())
    if problem or (reply.is_anonymous and reply.name is None):
        return f"hop {report.ttl}: unreadable alternate host {line.strip()[:80]!r}"
    report.replies.append(reply)
    return None


def _screen_host(report: _Report, match: re.Match[str]) -> None:
    """The line under the curses title: the local host (and its address), the start."""
    report.local_host = match["addr"] or match["host"]
    if match["addr"]:
        report.facts["src_host"] = match["host"]
    report.start = match["when"]


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every report in ``text``; each unreadable line becomes a :class:`ParseError`."""
    report: _Report | None = None
    target: str | None = None  # what a "$ globalping mtr TARGET" line asked for
    command: str | None = None  # the shell command that ran the next report
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        globalping = _COMMAND.match(line)
        if globalping:
            target = globalping["target"]
            continue
        screen_host = _SCREEN_HOST.match(line) if report is not None and report.titled else None
        if report is not None:
            report.titled = False
        if screen_host and report is not None:
            _screen_host(report, screen_host)
            continue
        typed = shell_command(line, ("mtr",)) if "mtr" in line else None
        if typed is not None:
            if report is not None and not report.empty:
                yield report.build()
                report = None
            command = typed
            continue
        if _LEGEND.match(line) or is_bare_prompt(line):
            continue
        start, probe, row = _START.match(line), _PROBE.match(line), _ROW.match(line)
        header = _HEADER.match(line) or _table_header(line)
        title = _TITLE.match(line)
        if start or probe or header or title:
            if report is not None and not report.empty:
                yield report.build()
                report = None
            if report is None:
                report = _new_report(source, number, target, command)
                command = None
            if start:
                report.start = start["when"]
            elif probe:
                report.probe = probe["probe"]
            elif title:
                report.facts["mtr_version"] = title["version"]
                report.titled = True
            elif header:
                host, columns = _header_columns(header["rest"])
                report.local_host = host or report.local_host
                report.columns = columns or DEFAULT_COLUMNS
                report.narrow = header.re is _HEADER and _is_narrow(line, report.columns)
            continue
        if row:
            ttl = int(row["ttl"])
            if report is not None and report.ttl is not None and ttl <= report.ttl:
                yield report.build()
                report = None
            if report is None:
                report = _new_report(source, number, target, command)
                command = None
            report.finish_hop()
            problem = _read_row(report, ttl, line, row["body"])
            if problem:
                yield ParseError(problem, path=source, line=number)
            continue
        problem = (
            _read_follow_up(report, line)
            if report is not None
            else f"not an mtr report line: {line.strip()[:80]!r}"
        )
        if problem:
            yield ParseError(problem, path=source, line=number)
    if report is not None and not report.empty:
        yield report.build()


def _new_report(source: str, number: int, target: str | None, command: str | None) -> _Report:
    """A report starting at line ``number``; a shell command names its target."""
    report = _Report(source, number, target=target)
    if command is not None:
        report.facts["command"] = command
        report.target = command_target(command, takes_value=_MTR_VALUE_OPTIONS) or target
    return report
