"""MikroTik RouterOS ``/tool traceroute`` tables (RouterOS 6 and 7).

RouterOS prints one row per hop under a header of columns::

    Columns: ADDRESS, LOSS, SENT, LAST, AVG, BEST, WORST, STD-DEV, STATUS
    #  ADDRESS        LOSS  SENT  LAST   AVG  BEST  WORST  STD-DEV  STATUS
    1  111.11.0.2     0%       2  0.7ms  0.7  0.7   0.7          0  <MPLS:L=19,E=0>
    2  111.111.111.4  0%       2  0.5ms  0.5  0.5   0.5          0

Read here:

- with or without the ``#`` column (RouterOS 6 writes ``ADDRESS LOSS SENT ...`` or
  `` # ADDRESS ...``; RouterOS 7 adds the ``Columns:`` line), with or without the
  ``STD-DEV`` and ``STATUS`` columns (or ``STA..`` cut by the terminal's width);
- a row without an address (``100%    3 timeout``): a hop nobody answered;
- ``STATUS`` holding the MPLS label stack of the reply, ``<MPLS:L=19,E=0>`` (one
  ``L=...,E=...`` entry per label), kept on the reply; other status words go to
  ``meta["status"]`` by TTL;
- an address cut short by the column width (``2a03:2880:f163:81:face:b00c:0...``), or a
  host name (``use-dns=yes``): kept as the hop's name, with no address;
- the table printed again and again while the tool runs: over a terminal or ssh the
  whole table is re-printed each round, with or without its header, so one run holds
  several tables (a new one starts at a header, at a ``#`` that does not grow, or at a
  ``SENT`` larger than the row above). The last complete table of each run is the trace
  (complete: every row read, and at least as many rows as the table before it);
  ``meta["tables"]`` counts them;
- the RouterOS prompt and command (``[admin@R1] > /tool traceroute 10.0.0.1``): the
  command goes to ``meta["command"]``, its target (``address=`` or the first address) is
  ``dst`` and its ``src-address`` ``src``, and each command starts a new run. Without
  it the destination is unknown.

Each hop is a summary, as in an mtr report: one reply per hop (its address, MPLS labels)
and the row's statistics as :class:`~topo.model.HopStats` (loss %, sent, last, avg,
best, worst, std-dev, in ms).

Example
-------
>>> text = '''[admin@R1] > /tool/traceroute 192.0.2.9
... Columns: ADDRESS, LOSS, SENT, LAST, AVG, BEST, WORST, STD-DEV, STATUS
... #  ADDRESS       LOSS  SENT  LAST   AVG  BEST  WORST  STD-DEV  STATUS
... 1  198.51.100.1  0%       2  0.7ms  0.7  0.7   0.7          0  <MPLS:L=19,E=0>
... 2                100%     2  timeout
... 3  192.0.2.9     0%       2  0.5ms  0.5  0.5   0.5          0'''
>>> [trace] = parse(text, source="x.txt")
>>> trace.dst, trace.ip_path, trace.reached
('192.0.2.9', (('198.51.100.1',), (), ('192.0.2.9',)), True)
>>> trace.hops[0].replies[0].mpls[0].label, trace.hops[1].stats.loss
(19, 100.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from

NAME = "mikrotik-traceroute"
DESCRIPTION = "MikroTik RouterOS /tool traceroute tables (ADDRESS LOSS SENT ...; MPLS status)"
DETECTION = "a RouterOS table header '[#] ADDRESS LOSS SENT LAST ...' or 'Columns: ADDRESS, LOSS'"

_HEADER = re.compile(r"^\s*(?P<index>#\s+)?ADDRESS\s+LOSS\s+SENT\b(?P<rest>.*)$")
_COLUMNS = re.compile(r"^\s*Columns:\s*ADDRESS,\s*LOSS,\s*SENT\b")
_PROMPT = re.compile(r"^\s*\[[^\]\n]*\][^>\n]*>\s*(?P<command>.*)$")
_COMMAND = re.compile(r"^\s*/?tool[/ ]traceroute\b", re.IGNORECASE)
_PAGER = re.compile(r"^\s*--\s*\[")
_LOSS = re.compile(r"^(?P<pct>\d{1,3}(?:\.\d+)?)%$")
_TIME = re.compile(
    r"^(?:(?P<s>\d{1,6})s)?(?:(?P<ms>\d{1,9}(?:\.\d{1,6})?)ms)?(?:(?P<us>\d{1,9})us)?$"
)
_NUMBER = re.compile(r"^\d{1,9}(?:\.\d{1,6})?$")
_MPLS = re.compile(r"<MPLS:(?P<stack>[^>]*)>")
_MPLS_ENTRY = re.compile(r"L=(?P<l>\d{1,7}),E=(?P<e>\d{1,2})")
_STAT_FIELDS = ("avg", "best", "worst", "stdev")
#: A host name (``use-dns=yes``): labels of letters, digits and hyphens, the last one
#: starting with a letter (so that ``10.0.0.1x`` is not one).
_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9-]{0,62}\.){0,30}[A-Za-z][A-Za-z0-9-]{0,62}\.?$")


def sniff(head: str) -> bool:
    """A RouterOS traceroute table header among the first lines.

    >>> sniff(" # ADDRESS   LOSS SENT    LAST     AVG    BEST   WORST STD-DEV STATUS")
    True
    >>> sniff("HOST: box   Loss%   Snt   Last   Avg  Best  Wrst StDev")
    False
    """
    if "ADDRESS" not in head:
        return False
    return any(_HEADER.match(line) or _COLUMNS.match(line) for line in non_blank_lines(head))


def time_ms(token: str) -> float | None:
    """A RouterOS duration (``0.7ms``, ``20ms``, ``1s20ms``, ``750us``) in ms, else ``None``.

    >>> time_ms("0.7ms"), time_ms("1s20ms"), time_ms("750us"), time_ms("timeout")
    (0.7, 1020.0, 0.75, None)
    """
    match = _TIME.match(token)
    if match is None or not any(match.groupdict().values()):
        return None
    seconds, ms, us = match["s"], match["ms"], match["us"]
    return (
        (int(seconds) * 1000.0 if seconds else 0.0)
        + (float(ms) if ms else 0.0)
        + (int(us) / 1000.0 if us else 0.0)
    )


def mpls_labels(status: str) -> tuple[MplsLabel, ...]:
    """The label stack in a STATUS text (``<MPLS:L=19,E=0>``), top first.

    >>> [(m.label, m.exp) for m in mpls_labels("<MPLS:L=24,E=0;L=17,E=5>")]
    [(24, 0), (17, 5)]
    """
    return tuple(
        MplsLabel(int(entry["l"]), exp=int(entry["e"]))
        for stack in _MPLS.finditer(status)
        for entry in _MPLS_ENTRY.finditer(stack["stack"])
    )


@dataclass
class _Row:
    """One table row: its hop number (``None`` without the ``#`` column) and contents."""

    index: int | None
    reply: Reply
    stats: HopStats
    status: str
    line: int


def _reply(token: str | None, status: str) -> tuple[Reply, str | None]:
    """The reply an ADDRESS cell stands for, and a note when it is not an address."""
    mpls = mpls_labels(status)
    if token is None:
        return Reply(None, mpls=mpls), None
    if is_address(token):
        return Reply(token, mpls=mpls), None
    return Reply(None, name=token, mpls=mpls), token


def _stats(loss: float, sent: int, rest: list[str]) -> tuple[HopStats, list[str]]:
    """The statistics of a row (``rest`` starts at LAST) and the words after them."""
    values: dict[str, Any] = {"loss": loss, "sent": sent}
    words = list(rest)
    if words and (words[0] == "timeout" or time_ms(words[0]) is not None):
        values["last"] = time_ms(words.pop(0))
    for name in _STAT_FIELDS:
        if not words or not _NUMBER.match(words[0]):
            break
        values[name] = float(words.pop(0))
    return HopStats(**values), words


def _indexed(words: list[str], header_says: bool) -> bool:
    """Whether a row starting with a number starts with the ``#`` column: the header has
    one, or the next word is an address or the LOSS (a table whose header was lost).

    >>> _indexed(["3", "192.0.2.1", "0%"], False), _indexed(["3", "0%", "1"], False)
    (True, True)
    """
    if header_says:
        return True
    follower = words[1] if len(words) > 2 else ""
    return is_address(follower) or bool(_LOSS.match(follower)) or follower.endswith("..")


def parse_row(line: str, *, indexed: bool, number: int) -> _Row | str:
    """One table row, or why it is not one.

    >>> row = parse_row("  3 10.255.255.6   0%   20   0.6ms   0.6   0.4   1   0.1", indexed=True,
    ...                 number=7)
    >>> row.index, row.reply.addr, row.stats.sent, row.stats.worst
    (3, '10.255.255.6', 20, 1.0)
    >>> parse_row("                 100%    4 timeout", indexed=False, number=1).stats.loss
    100.0
    """
    words = line.split()
    index = None
    if words and words[0].isdecimal() and len(words[0]) <= 3 and _indexed(words, indexed):
        index = int(words.pop(0))
    address = None
    if len(words) >= 3 and not _LOSS.match(words[0]):
        address = words.pop(0)
    loss = _LOSS.match(words[0]) if words else None
    if loss is None or len(words) < 2 or not words[1].isdecimal() or len(words[1]) > 9:
        return f"not a RouterOS traceroute row: {line.strip()[:80]!r}"
    stats, rest = _stats(float(loss["pct"]), int(words[1]), words[2:])
    status = " ".join(rest)
    reply, note = _reply(address, status)
    if note is not None and not note.endswith("..") and not _HOSTNAME.match(note):
        return f"not an address: {note[:60]!r} in {line.strip()[:80]!r}"
    return _Row(index, reply, stats, status, number)


@dataclass
class _Run:
    """One traceroute command's output: its tables of rows."""

    line: int
    command: str | None = None
    tables: list[list[_Row]] = field(default_factory=list)
    broken: set[int] = field(default_factory=set)  # tables with an unreadable row
    problems: dict[int, list[ParseError]] = field(default_factory=dict)
    indexed: bool = False

    def new_table(self) -> None:
        if not self.tables or self.tables[-1]:
            self.tables.append([])

    def add(self, row: _Row) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None or _starts_again(table, row):
            self.tables.append([])
        self.tables[-1].append(row)

    def fail(self, error: ParseError) -> None:
        if not self.tables:
            self.tables.append([])
        where = len(self.tables) - 1
        self.broken.add(where)
        self.problems.setdefault(where, []).append(error)


def _starts_again(table: list[_Row], row: _Row) -> bool:
    """Whether ``row`` is the first of a table printed again (no header between them)."""
    if not table:
        return False
    last = table[-1]
    if row.index is not None and last.index is not None:
        return row.index <= last.index
    if (row.stats.sent or 0) > (last.stats.sent or 0):
        return True
    first = table[0]
    return len(table) > 1 and row.reply == first.reply and row.stats.sent == first.stats.sent


def _chosen(run: _Run) -> tuple[int, list[ParseError]]:
    """The table a run stands for: the last complete one, else the last one (one pass)."""
    tables = run.tables
    best, longest = len(tables) - 1, 0
    complete = None
    for i, table in enumerate(tables):
        if table and i not in run.broken and len(table) >= longest:
            complete = i
        longest = max(longest, len(table))
    if complete is not None:
        best = complete
    return best, run.problems.get(best, [])


def _target(command: str | None) -> tuple[str | None, str | None]:
    """The destination a traceroute command names (``address=X`` or the first address
    without a name) and its ``src-address``.

    >>> _target("/tool/traceroute 192.0.2.9 src-address=198.51.100.1")
    ('192.0.2.9', '198.51.100.1')
    """
    dst = src = None
    for word in (command or "").split():
        name, _, value = word.rpartition("=")
        if not is_address(value):
            continue
        if name == "src-address":
            src = value
        elif name in ("", "address") and dst is None:
            dst = value
    return dst, src


def _trace(run: _Run, source: str) -> Iterator[ParseItem]:
    """The trace of one run (and the errors of the table it is made of)."""
    which, problems = _chosen(run)
    yield from problems
    rows = run.tables[which] if run.tables else []
    if not rows:
        return
    hops, status = [], {}
    for position, row in enumerate(rows, start=1):
        ttl = row.index if row.index is not None else position
        hops.append(Hop(ttl=ttl, replies=(row.reply,), stats=row.stats))
        if row.status and not row.reply.mpls:
            status[str(ttl)] = row.status
    dst, src = _target(run.command)
    meta: dict[str, Any] = {"tables": len([t for t in run.tables if t])}
    if run.command:
        meta["command"] = run.command
    if status:
        meta["status"] = status
    cut = [{"ttl": h.ttl, "name": r.name} for h in hops for r in h.replies if r.name]
    if cut:
        meta["truncated_addresses"] = cut
    yield Trace(
        dst=dst,
        hops=tuple(hops),
        src=src,
        reached=reached_from(dst, hops),
        format=NAME,
        origin=Origin(source, rows[0].line if run.command is None else run.line),
        meta=meta,
    )


def _command(line: str) -> str | None:
    """The traceroute command of a prompt line (or a bare command line), else ``None``."""
    prompt = _PROMPT.match(line)
    text = prompt["command"] if prompt else line
    return text.strip() if _COMMAND.match(text) else None


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every run's last complete table as a trace; unreadable rows become errors."""
    run: _Run | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or _PAGER.match(line):
            continue
        command = _command(line)
        if command is not None or _PROMPT.match(line):
            if run is not None:
                yield from _trace(run, source)
            run = _Run(number, command) if command is not None else None
            continue
        header = _HEADER.match(line)
        if header or _COLUMNS.match(line):
            run = run or _Run(number)
            run.new_table()
            run.indexed = run.indexed or bool(header and header["index"])
            continue
        if run is None:
            yield ParseError(f"not a RouterOS traceroute line: {line.strip()[:80]!r}",
                             path=source, line=number)  # fmt: skip
            continue
        row = parse_row(line, indexed=run.indexed, number=number)
        if isinstance(row, str):
            run.fail(ParseError(row, path=source, line=number))
        else:
            run.add(row)
    if run is not None:
        yield from _trace(run, source)
