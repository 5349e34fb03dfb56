"""mtr ``--xml`` output: ``<MTR SRC= DST= ...>`` with one ``<HUB COUNT= HOST=>`` per hop.

mtr writes this XML with ``printf`` and it has not always been well-formed, so it is read
with a tolerant scanner (no XML library), which also keeps the hops of a truncated file:

- mtr 0.93-0.95: quoted attributes, ``<Loss>  0.0%</Loss>`` and the other columns by name
  (``-o``: ``Drop``, ``Rcv``, ``Gmean``, jitter columns);
- mtr 0.9x before that: ``<Loss%>`` elements (not legal XML);
- mtr 0.8x: unquoted attributes (``<MTR SRC=host DST=8.8.8.8 ...>``, ``<HUB COUNT=1
  HOST=...>``) and no ``<?xml?>`` declaration;
- forks that write ``<DST HOST=...>`` and ``<HOP TTL= HOST=>`` inside ``<MTR>``;
- ``HOST`` as an address, ``name (addr)`` (``-b``), a bare name or ``???``;
- several ``<MTR>`` documents one after the other.

``COUNT`` (``TTL``) is the TTL. mtr keeps one host per hop in XML (no ECMP alternates): a
hop is a ``Reply`` with ``rtt_ms=None`` plus ``Hop.stats``; a name-only host keeps
``addr=None`` and is listed in ``meta["unresolved_names"]``. ``DST`` is the target as given
to mtr (``dst`` when an address, else ``dst_name``; ``dst`` then comes from the last hop
when it answered, ``meta["dst_inferred"]``); ``SRC`` is mtr's local host *name*.

Example
-------
>>> text = '''<?xml version="1.0"?>
... <MTR SRC="vm" DST="13.209.0.10" TOS="0x0" PSIZE="64" BITPATTERN="0x00" TESTS="3">
...     <HUB COUNT="1" HOST="192.168.1.1">
...         <Loss>  0.0%</Loss> <Snt>     3</Snt> <Avg>   0.1</Avg>
...     </HUB>
...     <HUB COUNT="2" HOST="13.209.0.10">
...         <Loss>  0.0%</Loss> <Snt>     3</Snt> <Avg>   0.2</Avg>
...     </HUB>
... </MTR>'''
>>> [trace] = parse(text, source="m.xml")
>>> trace.ip_path, trace.reached, trace.hops[1].stats.avg, trace.meta["tests"]
((('192.168.1.1',), ('13.209.0.10',)), True, 0.2, 3)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from topo.errors import ParseError
from topo.model import Hop, Origin
from topo.parsers.base import ParseItem
from topo.parsers.mtr_common import (
    extra_columns,
    host_reply,
    parse_asn,
    stats_from_columns,
    summary_hop,
    summary_trace,
)

NAME = "mtr-xml"
DESCRIPTION = "mtr --xml (0.8x unquoted, <Loss%>, 0.9x; -o columns, -b); one or many reports"
DETECTION = "an '<MTR SRC=... DST=...>' element near the start (after an optional <?xml?>)"

_MTR_OPEN = re.compile(r"<MTR\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_MTR_CLOSE = re.compile(r"</MTR\s*>", re.IGNORECASE)
_HUB = re.compile(r"<(?P<tag>HUB|HOP)\b(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)\s*>", re.S | re.I)
_HUB_OPEN = re.compile(r"<(?:HUB|HOP)\b", re.IGNORECASE)
_DST = re.compile(r"<DST\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_FIELD = re.compile(r"<(?P<tag>[A-Za-z][\w%]*)>(?P<value>[^<]*)</(?P=tag)>")
_ATTR = re.compile(
    r"(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))"
)
_HEAD = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<MTR\b", re.S | re.I)
#: ``<MTR>`` attributes copied into ``meta``.
_MTR_META = ("TOS", "PSIZE", "BITPATTERN", "TESTS")


def sniff(head: str) -> bool:
    """The text starts (after an optional ``<?xml?>``) with an ``<MTR`` element."""
    return bool(_HEAD.match(head.lstrip("\ufeff")))


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        value = match["dq"] if match["dq"] is not None else match["sq"] or match["bare"] or ""
        out[match["key"].upper()] = html.unescape(value)
    return out


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _hub(index: int, attrs: dict[str, str], body: str) -> Hop | str:
    """The hop of one ``<HUB>``, or a problem."""
    ttl_text = attrs.get("COUNT") or attrs.get("TTL") or ""
    if not ttl_text.isdecimal() or int(ttl_text) < 1:
        return f"hub {index + 1} has no usable COUNT ({ttl_text!r})"
    if "HOST" not in attrs:
        return f"hub {index + 1} has no HOST"
    columns = {m["tag"]: html.unescape(m["value"]) for m in _FIELD.finditer(body)}
    asn_text = columns.get("ASN") or columns.get("IPInfo")
    asn = parse_asn(asn_text) if asn_text else None
    reply = host_reply(attrs["HOST"], asn=asn)
    return summary_hop(int(ttl_text), [reply], stats_from_columns(columns))


def _meta_value(value: str) -> Any:
    return int(value) if value.isdecimal() else value


def _document(text: str, start: int, end: int, source: str) -> Iterator[ParseItem]:
    """The trace of the ``<MTR>`` element at ``text[start:end]``."""
    head = _MTR_OPEN.match(text, start)
    assert head is not None  # the caller found it there
    attrs = _attrs(head["attrs"])
    body_start = head.end()
    dst_element = _DST.search(text, body_start, end)
    target = attrs.get("DST") or (_attrs(dst_element["attrs"]).get("HOST") if dst_element else None)
    hops: list[Hop] = []
    extras = []
    pos = body_start
    for index, match in enumerate(_HUB.finditer(text, body_start, end)):
        skipped = _HUB_OPEN.search(text, pos, match.start())
        if skipped:
            yield ParseError(
                "unclosed HUB element", path=source, line=_line_at(text, skipped.start())
            )
        pos = match.end()
        hop = _hub(index, _attrs(match["attrs"]), match["body"])
        if isinstance(hop, str):
            yield ParseError(hop, path=source, line=_line_at(text, match.start()))
            continue
        hops.append(hop)
        columns = {m["tag"]: m["value"] for m in _FIELD.finditer(match["body"])}
        extra = extra_columns(hop.ttl, columns)
        if extra:
            extras.append(extra)
    trailing = _HUB_OPEN.search(text, pos, end)
    if trailing:
        line = _line_at(text, trailing.start())
        yield ParseError("unclosed HUB element (truncated?)", path=source, line=line)
    yield summary_trace(
        hops,
        target=target or None,
        src=attrs.get("SRC"),
        meta={k.lower(): _meta_value(attrs[k]) for k in _MTR_META if k in attrs},
        extras=extras,
        format_name=NAME,
        origin=Origin(source, _line_at(text, start)),
    )


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every ``<MTR>`` document in ``text``; a :class:`ParseError` for what cannot be read."""
    opens = list(_MTR_OPEN.finditer(text))
    if not opens:
        yield ParseError("no <MTR> element", path=source, line=1)
        return
    for number, head in enumerate(opens):
        limit = opens[number + 1].start() if number + 1 < len(opens) else len(text)
        close = _MTR_CLOSE.search(text, head.end(), limit)
        end = close.start() if close else limit
        yield from _document(text, head.start(), end, source)
        if close is None:
            line = _line_at(text, max(end - 1, 0))
            yield ParseError("no </MTR> (truncated?)", path=source, line=line)
