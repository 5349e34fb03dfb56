"""A small but realistic trace set for the rendering tests, written as topo JSON Lines.

Two region pairs (Osaka → Tokyo, Tokyo → Singapore), load balancing (two routers at hop 1
and two at hop 4), a silent hop inside a reserved run, an unanswered destination, one trace
that leaves the provider (an owner table names the foreign hop), and hostile strings: host
names and an org name that would run script if the page ever treated them as markup.
"""

from __future__ import annotations

from pathlib import Path

from topo.inputs.schema import dumps_trace
from topo.model import Hop, Reply, Trace

XSS_NAMES = (
    "<img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=1</script>",
    "javascript:window.__xss=1",
    "evil\u202egnp.exe",
)
XSS_ORG = '</script><script>window.__xss=1</script><img src=x onerror="window.__xss=1">'

OSAKA_PUBLIC = ("15.230.24.168", "15.230.25.179")
TOKYO_PUBLIC = ("15.230.154.163", "52.95.31.166")
SINGAPORE_PUBLIC = ("52.93.8.1", "13.228.0.251")


def _hop(
    ttl: int, *addrs: str | None, rtt: float = 1.0, names: dict[str, str] | None = None
) -> Hop:
    names = names or {}
    return Hop(
        ttl, tuple(Reply(a, None if a is None else rtt, name=names.get(a or "")) for a in addrs)
    )


def osaka_tokyo(first: str, middle: str, *, silent: bool = False) -> Trace:
    """Osaka → Tokyo: public Osaka hops, a reserved run (CGNAT + Class E), Tokyo hops."""
    names = {OSAKA_PUBLIC[0]: XSS_NAMES[0], TOKYO_PUBLIC[0]: XSS_NAMES[1],
             "15.230.25.179": XSS_NAMES[2], "52.95.31.166": XSS_NAMES[3]}  # fmt: skip
    hops = [
        _hop(1, first, rtt=0.4),
        _hop(2, OSAKA_PUBLIC[0], rtt=0.8, names=names),
        _hop(3, OSAKA_PUBLIC[1], rtt=1.0, names=names),
        _hop(4, middle, rtt=1.5),
        _hop(5, None if silent else "240.1.52.6"),
        _hop(6, "240.1.52.17", rtt=5.0),
        _hop(7, "100.66.0.45", rtt=7.5),
        _hop(8, TOKYO_PUBLIC[0], rtt=8.3, names=names),
        _hop(9, TOKYO_PUBLIC[1], rtt=8.7, names=names),
    ]
    return Trace(dst="13.115.231.114", src="13.208.0.10", hops=tuple(hops), reached=False)


def tokyo_singapore() -> Trace:
    """Tokyo → Singapore over a different reserved run; the destination answers."""
    hops = [
        _hop(1, TOKYO_PUBLIC[1], rtt=0.5),
        _hop(2, "100.70.1.1", rtt=1.0),
        _hop(3, "100.70.2.2", rtt=30.0),
        _hop(4, "241.0.9.9", rtt=68.0),
        _hop(5, SINGAPORE_PUBLIC[0], rtt=70.0),
        _hop(6, SINGAPORE_PUBLIC[1], rtt=70.5),
    ]
    return Trace(dst=SINGAPORE_PUBLIC[1], src="15.230.154.1", hops=tuple(hops), reached=True)


def leaves() -> Trace:
    """Osaka → the outside: the third hop belongs to a network named by the owner table."""
    hops = [_hop(1, "13.208.0.67", rtt=0.4), _hop(2, OSAKA_PUBLIC[0], rtt=0.8),
            _hop(3, "198.18.0.1", rtt=1.0), _hop(4, "9.9.9.9", rtt=2.0)]  # fmt: skip
    return Trace(dst="9.9.9.9", src="13.208.0.10", hops=tuple(hops), reached=True)


def write_trace_set(folder: Path) -> dict[str, Path]:
    """Write the set into ``folder``: traces, owner table; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    traces = [
        osaka_tokyo("13.208.0.67", "100.65.1.9"),
        osaka_tokyo("13.208.0.69", "100.65.3.136", silent=True),
        osaka_tokyo("13.208.0.67", "100.65.3.136"),
        tokyo_singapore(),
        leaves(),
    ]
    path = folder / "traces.jsonl"
    path.write_text("".join(dumps_trace(t) + "\n" for t in traces), encoding="utf-8")
    owners = folder / "evil.csv"
    owners.write_text(
        f'prefix,org,asn\n9.9.9.0/24,"{XSS_ORG.replace(chr(34), chr(34) * 2)}",19281\n'
    )
    return {"traces": path, "owners": owners}
