"""Windows ``tracert`` text output, in any display language.

Reads what ``tracert`` prints in ``cmd.exe`` or PowerShell, with or without ``-d``,
over IPv4 and IPv6 (``-6``, addresses with a ``%zone``)::

    Tracing route to dns.google [8.8.8.8]
    over a maximum of 30 hops:

      1    <1 ms    <1 ms    <1 ms  192.168.1.1
      2     *        *        *     Request timed out.
      3    12 ms     *       11 ms  core.example.net [203.0.113.5]
      4  203.0.113.9  reports: Destination net unreachable.

    Trace complete.

The hop lines are read by their *structure*, whatever the language: a TTL, the RTT columns
(``<1 ms``, ``N ms`` or ``*``; the unit word may be localised, ``мс``), then ``host [addr]``,
an address, or a message. A hop whose columns are all ``*`` is silent, whatever its message
says (``Request timed out.``, ``要求がタイムアウトしました。``, ...). Headers and footers are
recognised from a table of localisations (English, Japanese, German, French, Spanish,
Portuguese, Italian, Russian, Chinese, Korean); a header in another language is still taken
when it names the target as ``host [addr]``.

Decisions:

- ``<1 ms`` becomes ``rtt_ms=1.0``, the upper bound tracert prints, and its position is
  recorded in ``meta["rtt_upper_bounds"]`` as ``[ttl, probe]`` pairs (probe counted from 1),
  so nothing is lost: a reader who wants another convention can find every such reply.
  tracert measures whole milliseconds (``meta["rtt_resolution_ms"] = 1``).
- ``host [addr]  reports: Destination host unreachable.`` (no RTT columns) is one reply
  from ``addr`` with no RTT and a flag: host ``!H``, net ``!N``, protocol ``!P``, port
  ``!<3>``, prohibited ``!X``, packet too big ``!F``. A message topo does not know is kept in
  ``meta["hop_messages"]`` (keyed by TTL as a string); a hop line with only a message (``1
  Transmit error: code 1231.``) is a hop with no replies and its message kept the same way.
- ``protocol`` is ``"icmp"`` (tracert only sends ICMP echo requests); ``reached`` is whether
  the target address answered; ``meta["complete"]`` is true when the footer (``Trace
  complete.``) was seen, so a cut-off output can be told from a finished one.
- ``Unable to resolve target system name X.`` (and its translations) becomes one
  :class:`~topo.errors.ParseError`: that run traced nothing.

Example
-------
>>> text = '''Tracing route to dns.google [8.8.8.8]
... over a maximum of 30 hops:
...
...   1    <1 ms    <1 ms     2 ms  192.168.1.1
...   2     *        *        *     Request timed out.
...   3    14 ms    13 ms    13 ms  dns.google [8.8.8.8]
...
... Trace complete.'''
>>> [trace] = parse(text, source="ex.txt")
>>> trace.dst, trace.dst_name, trace.reached, trace.ip_path
('8.8.8.8', 'dns.google', True, (('192.168.1.1',), (), ('8.8.8.8',)))
>>> [r.rtt_ms for r in trace.hops[0].replies], trace.meta["rtt_upper_bounds"]
([1.0, 1.0, 2.0], [[1, 1], [1, 2]])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from

NAME = "windows-tracert"
DESCRIPTION = "Windows tracert text in any language (cmd.exe or PowerShell; -d, -6; UTF-16/CP932)"
DETECTION = (
    "a localised 'Tracing route to' header or footer, or hop lines with tracert's RTT "
    "columns ('<1 ms', 'N ms', '*') before the host"
)

#: Localised header, second-header-line, footer and "cannot resolve" strings, by language.
#: Matching is by substring, so a line needs to hold one of them.
HEADERS: dict[str, tuple[str, ...]] = {
    "en": ("Tracing route to",),
    "ja": ("へのルートをトレースしています",),
    "de": ("Routenverfolgung zu",),
    "fr": ("Détermination de l'itinéraire vers", "Détermination de l’itinéraire vers"),
    "es": ("Traza a la dirección",),
    "pt": ("Rastreando a rota para",),
    "it": ("Traccia instradamento verso",),
    "ru": ("Трассировка маршрута к",),
    "zh": ("个跃点跟踪",),
    "ko": ("경로 추적", "홉 이상의"),
}
MAX_HOPS_LINES: dict[str, tuple[str, ...]] = {
    "en": ("over a maximum of",),
    "ja": ("経由するホップ数は最大",),
    "de": ("über maximal", "uber maximal", "ueber maximal"),
    "fr": ("avec un maximum de",),
    "es": ("sobre un máximo de", "sobre un maximo de"),
    "pt": ("com no máximo", "com no maximo"),
    "it": ("su un massimo di",),
    "ru": ("с максимальным числом прыжков",),
    "zh": ("的路由",),
    "ko": ("최대",),
}
FOOTERS: dict[str, tuple[str, ...]] = {
    "en": ("Trace complete.",),
    "ja": ("トレースを完了しました。",),
    "de": ("Ablaufverfolgung beendet.",),
    "fr": ("Itinéraire déterminé.",),
    "es": ("Traza completa.",),
    "pt": ("Rastreamento concluído.",),
    "it": ("Traccia completata.",),
    "ru": ("Трассировка завершена.",),
    "zh": ("跟踪完成。",),
    "ko": ("추적을 완료했습니다.",),
}
UNRESOLVED: tuple[str, ...] = (
    "Unable to resolve target system name",
    "を解決できませんでした",
    "konnte nicht aufgelöst werden",
    "Impossible de résoudre le nom",
    "No se puede resolver el nombre",
    "Não foi possível resolver o nome",
)
#: Unreachable messages (after ``reports:``) and the flag traceroute prints for each.
MESSAGE_FLAGS: tuple[tuple[str, str], ...] = (
    ("destination host unreachable", "!H"),
    ("宛先ホストに到達できません", "!H"),
    ("zielhost nicht erreichbar", "!H"),
    ("hôte de destination inaccessible", "!H"),
    ("host de destino inaccesible", "!H"),
    ("destination net unreachable", "!N"),
    ("destination network unreachable", "!N"),
    ("宛先ネットワークに到達できません", "!N"),
    ("zielnetz nicht erreichbar", "!N"),
    ("réseau de destination inaccessible", "!N"),
    ("red de destino inaccesible", "!N"),
    ("destination protocol unreachable", "!P"),
    ("宛先プロトコルに到達できません", "!P"),
    ("zielprotokoll nicht erreichbar", "!P"),
    ("protocole de destination inaccessible", "!P"),
    ("destination port unreachable", "!<3>"),
    ("宛先ポートに到達できません", "!<3>"),
    ("zielport nicht erreichbar", "!<3>"),
    ("port de destination inaccessible", "!<3>"),
    ("destination prohibited", "!X"),
    ("administratively prohibited", "!X"),
    ("packet too big", "!F"),
)

_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<body>\S(?:.*\S)?)\s*$")
_COLUMN = re.compile(
    r"\s*(?:(?P<star>\*)|(?P<lt><)?(?P<num>\d+)\s*(?P<unit>[^\W\d_]{1,4}))(?=\s|$)"
)
_NAMED = re.compile(r"^(?P<name>\S+)\s+\[(?P<addr>[^\]\s]+)\](?P<tail>.*)$")
# starts only after a space, so a long line without spaces is scanned once, not once per char
_BRACKETED = re.compile(r"(?<!\S)(?P<name>\S+)\s+\[(?P<addr>[^\]\s]+)\]")
_PROMPT = re.compile(r"^.*>\s*(?P<cmd>tracert(?:\.exe)?(?:\s.*)?)$", re.IGNORECASE)
_BARE_PROMPT = re.compile(r"^\s*(?:PS\s+)?[A-Za-z]:\\[^>]*>\s*$")
_NUMBER = re.compile(r"(?<![0-9A-Za-z.:%_\-\[])(\d{1,3})(?![0-9A-Za-z.:%_\-\]])")


def _language(line: str, table: dict[str, tuple[str, ...]]) -> str | None:
    for lang, markers in table.items():
        if any(marker in line for marker in markers):
            return lang
    return None


def _any_marker(table: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """One pattern for every language's markers (one scan of a line instead of one per
    marker: format detection asks of every input file)."""
    markers = sorted({m for ms in table.values() for m in ms}, key=len, reverse=True)
    return re.compile("|".join(re.escape(m) for m in markers))


_ANY_HEADER = _any_marker(HEADERS)
_ANY_FOOTER = _any_marker(FOOTERS)


def _is_header(line: str) -> bool:
    return _ANY_HEADER.search(line) is not None


def _is_footer(line: str) -> bool:
    return _ANY_FOOTER.search(line.strip()) is not None


def _columns(body: str) -> tuple[list[str | None], str]:
    """The RTT columns (``"*"`` → ``None``, else the printed text) and the rest of a body."""
    cols: list[str | None] = []
    pos = 0
    while True:
        match = _COLUMN.match(body, pos)
        if not match:
            break
        cols.append(None if match["star"] else (match["lt"] or "") + match["num"])
        pos = match.end()
    return cols, body[pos:].strip()


def _looks_like_hop(line: str) -> bool:
    """A TTL and something after it (columns, a host or a message such as a transmit error)."""
    return _HOP.match(line) is not None


#: One tracert column (``*``, ``<1 ms``, ``12 ms``) within a line.
_ONE_COLUMN = r"(?:\*|<?\d+[^\S\n]*[^\W\d_]{1,4})(?=\s|$)"
#: A hop line :func:`_sniff_lines` may count, over the detector's lines joined by
#: newlines (the cheap test before the exact one): its body starts with three columns
#: (not just ``* * *``, which counts only with text after it) or with a column and has a
#: ``name [address]`` after it. Linux traceroute's hop lines are none of these.
_COUNTABLE = re.compile(
    r"^[^\S\n]*\d{1,3}[^\S\n]+(?!\*[^\S\n]+\*[^\S\n]+\*[^\S\n]*$)"
    rf"(?:{_ONE_COLUMN}[^\S\n]*{_ONE_COLUMN}[^\S\n]*{_ONE_COLUMN}|{_ONE_COLUMN}[^\n]*\[)",
    re.MULTILINE,
)


def sniff(head: str) -> bool:
    """A localised header or footer, or two hop lines with tracert's RTT columns.

    Every input file asks, so the two cheap scans of the whole head come first; they
    never say no where :func:`_sniff_lines` would say yes (tests hold them to it).
    """
    lines = non_blank_lines(head)
    first = lines[:8]
    if _ANY_HEADER.search("\n".join(first)) or _ANY_FOOTER.search(
        "\n".join([line.strip() for line in first])
    ):
        return True
    if len(_COUNTABLE.findall("\n".join(lines))) < 2:
        return False
    return _sniff_lines(lines)


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    if any(_is_header(line) or _is_footer(line) for line in lines[:8]):
        return True
    hop_lines = 0
    for line in lines:
        match = _HOP.match(line)
        if not match:
            continue
        cols, rest = _columns(match["body"])
        # tracert prints its columns before the host, each with a unit word: '<1 ms', '* '
        if (len(cols) >= 3 and any(c is not None for c in cols)) or (cols and _NAMED.match(rest)):
            hop_lines += 1
        elif len(cols) >= 3 and rest and not is_address(rest.split()[0]):
            hop_lines += 1  # '*  *  *  Request timed out.'
    return hop_lines >= 2


def _message_flag(message: str) -> str | None:
    lowered = message.lower()
    for text, flag in MESSAGE_FLAGS:
        if text in lowered:
            return flag
    return None


@dataclass
class _TraceBuilder:
    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)
    complete: bool = False

    def read_header(self, line: str) -> None:
        lang = _language(line, HEADERS) or _language(line, MAX_HOPS_LINES)
        if lang and "language" not in self.meta:
            self.meta["language"] = lang
        rest = line
        named = _BRACKETED.search(line)
        if named and is_address(named["addr"]):
            self.fields["dst"] = named["addr"]
            if named["name"] != named["addr"] and not is_address(named["name"]):
                self.fields["dst_name"] = named["name"]
            rest = line.replace(named.group(0), " ")
        else:
            for token in line.split():
                if is_address(token.rstrip(".,:")):
                    self.fields.setdefault("dst", token.rstrip(".,:"))
                    rest = rest.replace(token, " ")
        number = _NUMBER.search(rest)
        if number and "max_hops" not in self.meta:
            self.meta["max_hops"] = int(number.group(1))

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        reached = reached_from(dst, self.hops)
        meta = dict(self.meta)
        if self.complete:
            meta["complete"] = True
        meta["rtt_resolution_ms"] = 1
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            dst_name=self.fields.get("dst_name"),
            protocol="icmp",
            reached=reached,
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=meta,
        )

    @property
    def has_content(self) -> bool:
        return bool(self.hops) or "dst" in self.fields

    def add_message(self, ttl: int, message: str) -> None:
        self.meta.setdefault("hop_messages", {})[str(ttl)] = message

    def add_upper_bound(self, ttl: int, probe: int) -> None:
        self.meta.setdefault("rtt_upper_bounds", []).append([ttl, probe])


def _read_hop(trace: _TraceBuilder, ttl: int, body: str) -> str | None:
    """Add one hop line to ``trace``; returns a problem when the line makes no sense."""
    cols, rest = _columns(body)
    addr: str | None = None
    name: str | None = None
    tail = rest
    named = _NAMED.match(rest)
    if named and is_address(named["addr"]):
        addr, name, tail = named["addr"], named["name"], named["tail"]
        if name == addr or is_address(name):
            name = None
    elif rest.split() and is_address(rest.split()[0]):
        addr = rest.split()[0]
        tail = rest[len(addr) :]
    message = tail.strip()
    if message.lower().startswith("reports:"):
        message = message[len("reports:") :].strip()
    answered = [c for c in cols if c is not None]
    if answered and addr is None:
        return f"RTTs without an address in hop {ttl}: {body.strip()[:80]!r}"
    flag = _message_flag(message) if message and addr is not None else None
    if message and addr is not None and flag is None:
        trace.add_message(ttl, message)
    flags = (flag,) if flag else ()
    replies: list[Reply] = []
    for probe, col in enumerate(cols, start=1):
        if col is None:
            replies.append(Reply(None))
            continue
        if col.startswith("<"):
            trace.add_upper_bound(ttl, probe)
        replies.append(Reply(addr, float(col.lstrip("<")), name=name, flags=flags))
    if not cols and addr is not None:
        replies.append(Reply(addr, None, name=name, flags=flags))
    if not cols and addr is None:
        if not message:
            return f"not a hop line: {body.strip()[:80]!r}"
        trace.add_message(ttl, message)
    trace.hops.append(Hop(ttl=ttl, replies=tuple(replies)))
    return None


def _is_unknown_footer(line: str) -> bool:
    text = line.strip()
    return not any(ch.isdigit() for ch in text) and text.endswith((".", "。"))


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; unreadable lines become :class:`ParseError` items."""
    current: _TraceBuilder | None = None
    pending_command: str | None = None

    def start(number: int) -> _TraceBuilder:
        nonlocal pending_command
        builder = _TraceBuilder(source, number)
        if pending_command is not None:
            builder.meta["command"] = pending_command
            pending_command = None
        return builder

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\ufeff")
        if not line.strip():
            continue
        if _BARE_PROMPT.match(line):  # the shell's prompt after the run: nothing to read
            continue
        # cheap guard first: the prompt pattern backtracks over every '>' of a long line
        prompt = _PROMPT.match(line) if "tracert" in line.lower() else None
        if prompt:
            if current is not None and current.has_content:
                yield current.build()
            current = None
            pending_command = prompt["cmd"].strip()
            continue
        if any(marker in line for marker in UNRESOLVED):
            yield ParseError(
                f"tracert traced nothing: {line.strip()[:120]!r}", path=source, line=number
            )
            pending_command = None
            continue
        if _is_footer(line):
            if current is not None:
                current.complete = True
            continue
        hop = _HOP.match(line) if _looks_like_hop(line) else None
        if hop:
            ttl = int(hop["ttl"])
            restart = current is None or current.complete
            if current is not None and current.hops and ttl <= current.hops[-1].ttl:
                restart = True
            if restart:
                if current is not None and current.has_content:
                    yield current.build()
                current = start(number)
            assert current is not None
            problem = _read_hop(current, ttl, hop["body"])
            if problem:
                yield ParseError(problem, path=source, line=number)
            continue
        is_header = _is_header(line) or _BRACKETED.search(line) is not None
        continues_header = current is not None and not current.hops and not current.complete
        if is_header and not continues_header:
            if current is not None and current.has_content:
                yield current.build()
            current = start(number)
            current.read_header(line)
            continue
        if (
            continues_header
            and current is not None
            and (is_header or _language(line, MAX_HOPS_LINES) or _NUMBER.search(line))
        ):
            current.read_header(line)
            continue
        if current is not None and current.hops and _is_unknown_footer(line):
            current.complete = True
            current.meta["footer"] = line.strip()
            continue
        yield ParseError(f"not a tracert line: {line.strip()[:80]!r}", path=source, line=number)
    if current is not None and current.has_content:
        yield current.build()
