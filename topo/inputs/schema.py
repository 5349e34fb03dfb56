"""topo's own JSON form of a trace, schema ``topo.trace/1`` (one trace per line: JSON Lines).

Keys of a trace (unknown is ``null`` or absent)::

    schema     "topo.trace/1"
    format     the format the trace was first parsed from ("linux-traceroute", ...)
    origin     "path:line" it came from; kept when the JSON is read again
    src, dst, dst_name, protocol
    started    ISO 8601 time or null
    reached    true / false / null
    meta       free JSON object (probe id, tool version, ...)
    hops       [{"ttl", "stats"?, "replies": [...]}]

``stats`` (optional, mtr's per-hop summary): ``sent, loss, last, avg, best, worst, stdev``.
A reply: ``addr`` (null for ``*``), ``rtt_ms``, ``name``, ``flags`` (list, e.g. ``["!H"]``),
``asn`` (list of AS numbers the tool printed; ``[]`` for ``[*]``), ``mpls`` (list of
``{"label", "exp", "s", "ttl"}``), ``reply_ttl``, ``flow_id``, ``icmp_type``, ``icmp_code``,
``quoted_ttl``, ``late``. Reply keys whose value is unknown are left out.

Later versions may add keys; readers ignore keys they do not know.

>>> from topo.model import Hop, Reply, Trace
>>> t = Trace(dst="192.0.2.9", hops=(Hop(1, (Reply("192.0.2.1", 0.5),)),), format="x")
>>> trace_from_dict(trace_to_dict(t)) == t
True
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace

SCHEMA = "topo.trace/1"

_REPLY_SCALARS = (
    "rtt_ms",
    "name",
    "reply_ttl",
    "flow_id",
    "icmp_type",
    "icmp_code",
    "quoted_ttl",
    "late",
)
_STATS_KEYS = ("sent", "loss", "last", "avg", "best", "worst", "stdev")


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """The JSON object of one reply (unknown keys left out, ``addr`` always present)."""
    out: dict[str, Any] = {"addr": reply.addr}
    for key in _REPLY_SCALARS:
        value = getattr(reply, key)
        if value is not None:
            out[key] = value
    if reply.flags:
        out["flags"] = list(reply.flags)
    if reply.asn is not None:
        out["asn"] = list(reply.asn)
    if reply.mpls:
        out["mpls"] = [{"label": m.label, "exp": m.exp, "s": m.s, "ttl": m.ttl} for m in reply.mpls]
    return out


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    """The ``topo.trace/1`` JSON object of a trace."""
    hops: list[dict[str, Any]] = []
    for hop in trace.hops:
        item: dict[str, Any] = {"ttl": hop.ttl}
        if hop.stats is not None:
            item["stats"] = {k: getattr(hop.stats, k) for k in _STATS_KEYS}
        item["replies"] = [reply_to_dict(r) for r in hop.replies]
        hops.append(item)
    return {
        "schema": SCHEMA,
        "format": trace.format,
        "origin": None if trace.origin is None else str(trace.origin),
        "src": trace.src,
        "dst": trace.dst,
        "dst_name": trace.dst_name,
        "protocol": trace.protocol,
        "started": None if trace.started is None else trace.started.isoformat(),
        "reached": trace.reached,
        "meta": dict(trace.meta),
        "hops": hops,
    }


def dumps_trace(trace: Trace) -> str:
    """One JSON Lines line (no newline) for a trace; non-ASCII text kept as is."""
    return json.dumps(trace_to_dict(trace), ensure_ascii=False, separators=(",", ":"))


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _opt_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"expected true/false, got {value!r}")


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Read one reply object; raises ``ValueError``/``TypeError`` on wrong types."""
    asn = data.get("asn")
    return Reply(
        addr=_opt_str(data.get("addr")),
        rtt_ms=_opt_float(data.get("rtt_ms")),
        name=_opt_str(data.get("name")),
        flags=tuple(_opt_str(f) or "" for f in data.get("flags") or ()),
        asn=None if asn is None else tuple(_opt_int(a) or 0 for a in asn),
        mpls=tuple(
            MplsLabel(
                label=_opt_int(m["label"]) or 0,
                exp=_opt_int(m.get("exp")),
                s=_opt_bool(m.get("s")),
                ttl=_opt_int(m.get("ttl")),
            )
            for m in data.get("mpls") or ()
        ),
        reply_ttl=_opt_int(data.get("reply_ttl")),
        flow_id=_opt_int(data.get("flow_id")),
        icmp_type=_opt_int(data.get("icmp_type")),
        icmp_code=_opt_int(data.get("icmp_code")),
        quoted_ttl=_opt_int(data.get("quoted_ttl")),
        late=_opt_int(data.get("late")),
    )


def trace_from_dict(data: dict[str, Any], *, origin: Origin | None = None) -> Trace:
    """Read a ``topo.trace/1`` object. ``origin`` is used when the object has none."""
    if not isinstance(data, dict):
        raise ValueError("a trace must be a JSON object")
    hops = []
    for item in data.get("hops") or ():
        stats = item.get("stats")
        hops.append(
            Hop(
                ttl=_opt_int(item["ttl"]) or 0,
                replies=tuple(reply_from_dict(r) for r in item.get("replies") or ()),
                stats=None
                if stats is None
                else HopStats(
                    sent=_opt_int(stats.get("sent")),
                    **{k: _opt_float(stats.get(k)) for k in _STATS_KEYS[1:]},
                ),
            )
        )
    started = _opt_str(data.get("started"))
    recorded_origin = _opt_str(data.get("origin"))
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise ValueError("meta must be a JSON object")
    return Trace(
        dst=_opt_str(data.get("dst")),
        hops=tuple(hops),
        src=_opt_str(data.get("src")),
        dst_name=_opt_str(data.get("dst_name")),
        protocol=_opt_str(data.get("protocol")),
        started=None if started is None else datetime.fromisoformat(started),
        reached=_opt_bool(data.get("reached")),
        format=_opt_str(data.get("format")),
        origin=Origin.from_string(recorded_origin) if recorded_origin else origin,
        meta=meta,
    )
