"""What the mtr parsers share: host fields, per-hop summaries, and where a run ended.

mtr (``mtr --report``, ``--json``, ``--csv``, ``--xml``) prints a *summary* per hop, not
the single probes, so a hop becomes one :class:`~topo.model.Reply` per distinct address
(``rtt_ms=None``) plus the summary in :attr:`Hop.stats <topo.model.Hop.stats>`.

A host field is what mtr's ``snprint_addr`` wrote:

- ``???``: nobody answered: ``Reply(None)``;
- an address (``-n``, or no PTR record);
- ``name (addr)`` (``-b`` / ``--show-ips``);
- a bare name (names on, ``-b`` off): mtr printed no address. Such a hop keeps the name
  in ``Reply.name`` with ``addr=None`` and is listed in ``meta["unresolved_names"]`` so it
  is never mistaken for a silent ``*``.

Where a run ended follows mtr's own ``net_max``: the list stops at the destination when
it answered, or one row after the last answering hop (a ``???`` row) when it did not.

>>> reply = host_reply("gw.home.lan (192.168.1.1)")
>>> reply.addr, reply.name, reply.rtt_ms
('192.168.1.1', 'gw.home.lan', None)
>>> host_reply("???").is_anonymous, host_reply("r4b.example.net").name
(True, 'r4b.example.net')
>>> stats_from_columns({"Loss%": "100.0", "Snt": "3", "Avg": "0.0"})
HopStats(sent=3, loss=100.0, last=None, avg=None, best=None, worst=None, stdev=None)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from topo.classify import is_address
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers.checks import utc_from_epoch

#: mtr's column titles (``data_fields`` in mtr's ``net.c``) and the HopStats field each fills.
STAT_COLUMNS: dict[str, str] = {
    "Loss%": "loss",
    "Loss": "loss",
    "Snt": "sent",
    "Last": "last",
    "Avg": "avg",
    "Best": "best",
    "Wrst": "worst",
    "StDev": "stdev",
}
#: The other columns mtr can print (``-o``); kept in ``meta["extra_stats"]``.
EXTRA_COLUMNS = ("Drop", "Rcv", "Gmean", "Jttr", "Javg", "Jmax", "Jint")
#: Every column title mtr knows.
KNOWN_COLUMNS = frozenset(STAT_COLUMNS) | frozenset(EXTRA_COLUMNS)
#: The columns a report has when ``-o`` was not given.
DEFAULT_COLUMNS = ("Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev")

_NAME_ADDR = re.compile(r"^(?P<name>\S+)\s+\((?P<addr>[^()\s]+)\)$")
_ASN = re.compile(r"^AS(?P<num>\d+|\?+)$", re.IGNORECASE)
_MPLS = re.compile(
    r"\[MPLS:\s*Lbl\s+(?P<label>\d+)\s+(?:Exp|TC)\s+(?P<exp>\d+)\s+S\s+(?P<s>\S*)\s+"
    r"TTL\s+(?P<ttl>\d+)\s*\]"
)
_TIME_FIELDS = ("last", "avg", "best", "worst", "stdev")


def host_reply(host: str, *, asn: tuple[int, ...] | None = None) -> Reply:
    """The reply a host field stands for (see the module docstring)."""
    host = host.strip()
    if host in ("???", ""):
        return Reply(None)
    match = _NAME_ADDR.match(host)
    if match and is_address(match["addr"]):
        name = match["name"]
        return Reply(match["addr"], name=None if name == match["addr"] else name, asn=asn)
    if is_address(host):
        return Reply(host, asn=asn)
    return Reply(None, name=host, asn=asn)


def parse_asn(token: str) -> tuple[int, ...] | None:
    """``AS15169`` -> ``(15169,)``, ``AS???`` -> ``()``, anything else -> ``None``."""
    match = _ASN.match(token.strip())
    if not match:
        return None
    return () if match["num"].startswith("?") else (int(match["num"]),)


def parse_mpls(text: str) -> MplsLabel | None:
    """One ``[MPLS: Lbl 24001 Exp 0 S 1 TTL 1]`` entry as mtr prints it (``TC`` or ``Exp``)."""
    match = _MPLS.search(text)
    if not match:
        return None
    s_text = match["s"].removesuffix("u")  # mtr's ipinfo build prints "S %cu"
    s: bool | None = None
    if s_text.isdecimal():
        s = s_text != "0"
    elif len(s_text) == 1:
        s = ord(s_text) != 0
    return MplsLabel(int(match["label"]), exp=int(match["exp"]), s=s, ttl=int(match["ttl"]))


def to_number(value: Any) -> float | None:
    """A number mtr printed (``"0.0%"``, ``" 12.3"``, ``"2520."``, ``12``), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None  # "nan", "inf" are not measurements


def stats_from_columns(columns: Mapping[str, Any]) -> HopStats:
    """A :class:`HopStats` from ``{column title: value}``.

    When nothing answered (loss 100 %) mtr prints ``0.0`` for every time: those are left
    ``None`` (nothing was measured).
    """
    values: dict[str, Any] = {}
    for title, value in columns.items():
        field_name = STAT_COLUMNS.get(title)
        number = to_number(value)
        if field_name is None or number is None:
            continue
        values[field_name] = int(number) if field_name == "sent" else number
    if "loss" not in values:
        sent, received = to_number(columns.get("Snt")), to_number(columns.get("Rcv"))
        if sent and received is not None:
            values["loss"] = round(100.0 * (sent - received) / sent, 1)
    if values.get("loss") == 100.0:
        for key in _TIME_FIELDS:
            values.pop(key, None)
    return HopStats(**values)


def extra_columns(ttl: int, columns: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``-o`` columns topo has no field for, as ``{"ttl": n, "Drop": 0, ...}``."""
    extra: dict[str, Any] = {}
    for title in EXTRA_COLUMNS:
        if title in columns:
            number = to_number(columns[title])
            if number is not None:
                extra[title] = int(number) if title in ("Drop", "Rcv") else number
    return {"ttl": ttl, **extra} if extra else None


def summary_hop(ttl: int, replies: Iterable[Reply], stats: HopStats | None) -> Hop:
    """A hop of a summary: one reply per distinct address (or name), ``???`` last resort."""
    seen: dict[tuple[str | None, str | None], Reply] = {}
    for reply in replies:
        key = (reply.addr, None if reply.addr else reply.name)
        if reply.addr is None and reply.name is None:
            continue
        if key not in seen:
            seen[key] = reply
    kept = tuple(seen.values()) or (Reply(None),)
    return Hop(ttl=ttl, replies=kept, stats=stats)


def add_mpls(reply: Reply, label: MplsLabel) -> Reply:
    """``reply`` with one more MPLS label stack entry."""
    return replace(reply, mpls=(*reply.mpls, label))


def unresolved_names(hops: Iterable[Hop]) -> list[dict[str, Any]]:
    """``[{"ttl": n, "name": ...}]`` for every reply known only by a name."""
    return [
        {"ttl": hop.ttl, "name": r.name}
        for hop in hops
        for r in hop.replies
        if r.addr is None and r.name is not None
    ]


def _answered(hop: Hop) -> bool:
    return any(r.addr is not None or r.name is not None for r in hop.replies)


def ending(hops: tuple[Hop, ...], target: str | None) -> dict[str, Any]:
    """``dst``, ``dst_name``, ``reached`` and meta facts for a summary, from mtr's ``net_max``.

    ``target`` is what mtr was asked to trace (JSON ``dst``, CSV ``Host``, XML ``DST``) or
    ``None`` (the text report does not print it). mtr lists hops up to the destination when
    it answered, else up to one ``???`` row after the last answer; so a last row that
    answered is the destination.
    """
    out: dict[str, Any] = {"dst": None, "dst_name": None, "reached": None, "meta": {}}
    if target and is_address(target):
        out["dst"] = target
    elif target:
        out["dst_name"] = target
    if not hops:
        return out
    last = hops[-1]
    if not _answered(last):
        out["reached"] = False
        return out
    dst = out["dst"]
    if dst is not None:
        if any(dst in hop.addresses for hop in hops):
            out["reached"] = True
        elif last.addresses:
            out["reached"] = False  # the run ended elsewhere (an unreachable error)
        else:
            out["reached"] = True  # the last row answered, known by name only
        return out
    out["reached"] = True
    if last.addresses:
        out["dst"] = last.addresses[0]
        out["meta"]["dst_inferred"] = True
    return out


def epoch_to_utc(value: Any) -> datetime | None:
    """A UTC datetime from seconds since the epoch (``"1795948973"``), else ``None``."""
    return utc_from_epoch(to_number(value))


def iso_to_utc(text: str) -> datetime | None:
    """``2026-11-29T10:42:02+0000`` (mtr's ``Start:``) in UTC; ``None`` without a zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def source_fields(src: str | None) -> dict[str, Any]:
    """``src`` when mtr's source is an address, else ``meta["src_host"]`` (a host name)."""
    if not src:
        return {"src": None, "meta": {}}
    if is_address(src):
        return {"src": src, "meta": {}}
    return {"src": None, "meta": {"src_host": src}}


def summary_trace(
    hops: Sequence[Hop],
    *,
    target: str | None,
    src: str | None,
    meta: Mapping[str, Any],
    extras: Sequence[Mapping[str, Any]],
    format_name: str,
    origin: Origin,
    started: datetime | None = None,
) -> Trace:
    """The :class:`Trace` of one mtr summary (report, JSON, CSV, XML): destination and
    ``reached`` from :func:`ending`, source from :func:`source_fields`, then ``meta``, the
    extra columns and the hops known only by name."""
    rows = tuple(hops)
    end = ending(rows, target)
    source = source_fields(src)
    facts: dict[str, Any] = {**source["meta"], **end["meta"], **meta}
    if extras:
        facts["extra_stats"] = extras
    names = unresolved_names(rows)
    if names:
        facts["unresolved_names"] = names
    return Trace(
        dst=end["dst"],
        hops=rows,
        src=source["src"],
        dst_name=end["dst_name"],
        started=started,
        reached=end["reached"],
        format=format_name,
        origin=origin,
        meta=facts,
    )
