"""A lab of Linux network namespaces for running real traceroute tools.

A :class:`LabSpec` describes hosts, routers and point-to-point veth links; a
:class:`Lab` builds it out of network namespaces (routes, ECMP multipath,
silent routers, an ``/etc/hosts`` per namespace), runs commands inside it and
tears everything down again.  :meth:`Lab.truth` computes from the spec which
address should answer at which TTL, so tests can compare a parsed traceroute
against it.

Safety: every veth is created inside a lab namespace with its peer in another
lab namespace; nothing is ever created, moved, routed or filtered in the host
namespace, and :func:`assert_isolated` checks (before every probing command)
that a namespace holds only ``lo`` and lab veths and routes only over them.

Example (needs root and iproute2)::

    spec = LabSpec(
        nodes=(Node("src"), Node("r1", router=True), Node("dst")),
        links=(
            Link("src", "r1", "203.0.113.2/30", "203.0.113.1/30"),
            Link("r1", "dst", "100.64.0.1/30", "100.64.0.2/30"),
        ),
    )
    with Lab(spec) as lab:
        out = lab.exec("src", ["traceroute.db", "-n", "100.64.0.2"])
        assert lab.truth("src", "100.64.0.2").hops[0].addrs == ("203.0.113.1",)
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any

__all__ = [
    "IsolationError",
    "Lab",
    "LabError",
    "LabSpec",
    "Link",
    "Node",
    "Route",
    "Truth",
    "TruthHop",
    "assert_isolated",
    "cleanup_stale",
    "compute_truth",
    "hosts_file",
    "lab_available",
    "link_ifnames",
    "list_netns",
    "lookup",
    "name_map",
    "routing_tables",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

NETNS_ETC = Path("/etc/netns")
NS_PREFIX = "topo-"
_STALE_RE = re.compile(r"^topo-(\d+)-\d+-")
_IFNAMSIZ = 15

#: Sysctls set in every namespace (before any link exists, so that the
#: ``default`` values are inherited by the veths).
COMMON_SYSCTLS: tuple[tuple[str, str], ...] = (
    ("net.ipv4.icmp_ratelimit", "0"),
    ("net.ipv4.conf.all.rp_filter", "0"),
    ("net.ipv4.conf.default.rp_filter", "0"),
    ("net.ipv6.icmp.ratelimit", "0"),
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
)
#: Extra sysctls for routers.  ``icmp_errors_use_inbound_ifaddr`` makes an
#: IPv4 router answer from the interface the probe came in on (what
#: :meth:`Lab.truth` assumes); IPv6 has no such knob and answers from the
#: interface of its route back to the source.
ROUTER_SYSCTLS: tuple[tuple[str, str], ...] = (
    ("net.ipv4.ip_forward", "1"),
    ("net.ipv4.fib_multipath_hash_policy", "1"),
    ("net.ipv4.icmp_errors_use_inbound_ifaddr", "1"),
    ("net.ipv6.conf.all.forwarding", "1"),
    ("net.ipv6.fib_multipath_hash_policy", "1"),
)

_NFT_SILENT = """\
table inet topo_lab {
    chain output {
        type filter hook output priority 0; policy accept;
        icmp type time-exceeded drop
        icmpv6 type time-exceeded drop
    }
}
"""


class LabError(RuntimeError):
    """A lab could not be built, used or torn down."""


class IsolationError(LabError):
    """A namespace holds a link or route that does not belong to the lab."""


# --------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------


def _tuple_of_str(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class Node:
    """A namespace: a host (does not forward) or a router.

    ``silent`` routers forward but never send ICMP time-exceeded (an nft rule
    drops them in the ``output`` hook), so traceroute shows ``* * *`` there.
    ``hostname`` names all the node's addresses in the lab's hosts file.

    >>> Node("r1", router=True, hostname="r1.example.net").router
    True
    """

    name: str
    router: bool = False
    silent: bool = False
    hostname: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", self.name):
            raise ValueError(f"bad node name {self.name!r}")
        if self.silent and not self.router:
            raise ValueError(f"{self.name}: only a router can be silent")


@dataclass(frozen=True, init=False)
class Link:
    """A veth pair between nodes ``a`` and ``b`` with their addresses.

    Addresses are ``addr/prefixlen`` strings (one or a sequence per side; IPv4
    and IPv6 may be mixed).  Interface names are ``eth0``, ``eth1``… per node
    in link order.

    >>> Link("src", "r1", "203.0.113.2/30", "203.0.113.1/30").a_addrs
    ('203.0.113.2/30',)
    """

    a: str
    b: str
    a_addrs: tuple[str, ...]
    b_addrs: tuple[str, ...]

    def __init__(
        self, a: str, b: str, a_addrs: str | Iterable[str] = (), b_addrs: str | Iterable[str] = ()
    ) -> None:
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "a_addrs", _tuple_of_str(a_addrs))
        object.__setattr__(self, "b_addrs", _tuple_of_str(b_addrs))
        self.__post_init__()

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"link {self.a}-{self.b} loops on itself")
        for side, addrs in ((self.a, self.a_addrs), (self.b, self.b_addrs)):
            for addr in addrs:
                ipaddress.ip_interface(addr)  # raises ValueError if bad
                if "/" not in addr:
                    raise ValueError(f"{side}: {addr!r} needs a /prefixlen")


@dataclass(frozen=True, init=False)
class Route:
    """A static route on ``node``: ``dst`` prefix (or ``default``/``default6``)
    via one or more next-hop addresses (more than one = ECMP multipath).

    >>> Route("r1", "13.208.0.0/16", ("100.64.0.2", "100.64.1.2")).via
    ('100.64.0.2', '100.64.1.2')
    """

    node: str
    dst: str
    via: tuple[str, ...]

    def __init__(self, node: str, dst: str, via: str | Iterable[str]) -> None:
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "dst", dst)
        object.__setattr__(self, "via", _tuple_of_str(via))
        if not self.via:
            raise ValueError(f"route {self.dst} on {self.node} has no next hop")

    @property
    def network(self) -> IPNetwork:
        """The destination prefix as an ``ip_network``."""
        if self.dst in ("default", "default4"):
            return ipaddress.IPv4Network("0.0.0.0/0")
        if self.dst == "default6":
            return ipaddress.IPv6Network("::/0")
        return ipaddress.ip_network(self.dst)


@dataclass(frozen=True)
class LabSpec:
    """The whole topology.

    With ``auto_routes`` (the default) every node gets routes to every link
    prefix it has no explicit :class:`Route` for: hosts with one link get a
    default route, routers get shortest-path routes with all equal-cost next
    hops (so a diamond becomes an ECMP pair in both directions).  ``names``
    maps addresses to host names (overriding :attr:`Node.hostname`).

    >>> spec = LabSpec.from_dict({
    ...     "nodes": {"src": {}, "r1": {"router": True}, "dst": {}},
    ...     "links": [{"a": "src", "b": "r1", "a_addrs": ["10.0.0.2/30"],
    ...                "b_addrs": ["10.0.0.1/30"]},
    ...               {"a": "r1", "b": "dst", "a_addrs": ["10.0.1.1/30"],
    ...                "b_addrs": ["10.0.1.2/30"]}]})
    >>> [n.name for n in spec.nodes]
    ['src', 'r1', 'dst']
    """

    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    routes: tuple[Route, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    auto_routes: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "links", tuple(self.links))
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        seen: set[str] = set()
        for node in self.nodes:
            if node.name in seen:
                raise ValueError(f"duplicate node {node.name}")
            seen.add(node.name)
        for link in self.links:
            for end in (link.a, link.b):
                if end not in seen:
                    raise ValueError(f"link end {end!r} is not a node")
        for route in self.routes:
            if route.node not in seen:
                raise ValueError(f"route on unknown node {route.node!r}")
        owners: dict[str, str] = {}
        for link in self.links:
            for end, addrs in ((link.a, link.a_addrs), (link.b, link.b_addrs)):
                for addr in addrs:
                    ip = str(ipaddress.ip_interface(addr).ip)
                    if owners.setdefault(ip, end) != end:
                        raise ValueError(f"address {ip} on {owners[ip]} and {end}")

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def tools(self) -> tuple[str, ...]:
        """The programs building this lab runs: ``ip``, and ``nft`` for silent routers."""
        return ("ip", "nft") if any(node.silent for node in self.nodes) else ("ip",)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabSpec:
        """Build from a plain (JSON/TOML-friendly) structure.

        ``nodes`` is a mapping name → options (or a list of dicts with a
        ``name``), ``links`` a list of dicts with ``a``, ``b``, ``a_addrs``,
        ``b_addrs``; ``routes`` a list with ``node``, ``dst``, ``via``.
        """
        raw_nodes = data.get("nodes", {})
        if isinstance(raw_nodes, Mapping):
            nodes = tuple(Node(name=k, **dict(v or {})) for k, v in raw_nodes.items())
        else:
            nodes = tuple(Node(**dict(n)) for n in raw_nodes)
        return cls(
            nodes=nodes,
            links=tuple(Link(**dict(x)) for x in data.get("links", ())),
            routes=tuple(Route(**dict(r)) for r in data.get("routes", ())),
            names=dict(data.get("names", {})),
            auto_routes=bool(data.get("auto_routes", True)),
        )

    @classmethod
    def from_toml(cls, text: str) -> LabSpec:
        """Build from TOML text with the layout of :meth:`from_dict`."""
        return cls.from_dict(tomllib.loads(text))


# --------------------------------------------------------------------------
# Derived model: interfaces and routing tables (pure, no system calls)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Iface:
    """One end of a link as seen from ``node``."""

    node: str
    name: str
    addrs: tuple[IPInterface, ...]
    peer_node: str
    peer_name: str

    def addr(self, version: int) -> IPAddress | None:
        """First address of the given IP version, or None."""
        for iface in self.addrs:
            if iface.version == version:
                return iface.ip
        return None


@dataclass(frozen=True)
class NextHop:
    """A next hop of a route: ``via`` (None when directly connected)."""

    dev: str
    via: IPAddress | None
    node: str  # the neighbour reached through ``dev``


@dataclass(frozen=True)
class RouteEntry:
    """A route in the computed routing table of a node."""

    prefix: IPNetwork
    nexthops: tuple[NextHop, ...]
    connected: bool = False


def link_ifnames(spec: LabSpec) -> list[tuple[str, str]]:
    """Interface names (a side, b side) of every link: ``eth<n>`` per node."""
    counts: dict[str, int] = {}
    out = []
    for link in spec.links:
        a_if = f"eth{counts.get(link.a, 0)}"
        counts[link.a] = counts.get(link.a, 0) + 1
        b_if = f"eth{counts.get(link.b, 0)}"
        counts[link.b] = counts.get(link.b, 0) + 1
        out.append((a_if, b_if))
    return out


def _ifaces(spec: LabSpec) -> dict[str, list[Iface]]:
    out: dict[str, list[Iface]] = {n.name: [] for n in spec.nodes}
    for link, (a_name, b_name) in zip(spec.links, link_ifnames(spec), strict=True):
        a_addrs = tuple(ipaddress.ip_interface(x) for x in link.a_addrs)
        b_addrs = tuple(ipaddress.ip_interface(x) for x in link.b_addrs)
        out[link.a].append(Iface(link.a, a_name, a_addrs, link.b, b_name))
        out[link.b].append(Iface(link.b, b_name, b_addrs, link.a, a_name))
    return out


def _prefix_attached(ifaces: Mapping[str, list[Iface]]) -> dict[IPNetwork, set[str]]:
    attached: dict[IPNetwork, set[str]] = {}
    for node, lst in ifaces.items():
        for iface in lst:
            for addr in iface.addrs:
                attached.setdefault(addr.network, set()).add(node)
    return attached


def _peer_addr(
    all_ifaces: Mapping[str, list[Iface]], iface: Iface, version: int
) -> IPAddress | None:
    for other in all_ifaces[iface.peer_node]:
        if other.name == iface.peer_name:
            return other.addr(version)
    return None


def routing_tables(spec: LabSpec) -> dict[str, list[RouteEntry]]:
    """Compute every node's routing table (connected + explicit + automatic).

    >>> spec = LabSpec((Node("a"), Node("b")), (Link("a", "b", "10.0.0.1/30", "10.0.0.2/30"),))
    >>> [str(r.prefix) for r in routing_tables(spec)["a"]]
    ['10.0.0.0/30', '0.0.0.0/0']
    """
    ifaces = _ifaces(spec)
    attached = _prefix_attached(ifaces)
    routers = {n.name for n in spec.nodes if n.router}
    tables: dict[str, list[RouteEntry]] = {}
    for node in spec.nodes:
        table: list[RouteEntry] = []
        connected: set[IPNetwork] = set()
        for iface in ifaces[node.name]:
            for addr in iface.addrs:
                connected.add(addr.network)
                table.append(
                    RouteEntry(addr.network, (NextHop(iface.name, None, iface.peer_node),), True)
                )
        explicit: set[IPNetwork] = set()
        for route in spec.routes:
            if route.node != node.name:
                continue
            hops = tuple(
                _resolve_via(ifaces[node.name], ipaddress.ip_address(v)) for v in route.via
            )
            table.append(RouteEntry(route.network, hops))
            explicit.add(route.network)
        if spec.auto_routes:
            table.extend(_auto_routes(node, ifaces, attached, routers, connected | explicit))
        tables[node.name] = table
    return tables


def _resolve_via(mine: Sequence[Iface], via: IPAddress) -> NextHop:
    for iface in mine:
        for addr in iface.addrs:
            if addr.version == via.version and via in addr.network:
                return NextHop(iface.name, via, iface.peer_node)
    raise ValueError(f"next hop {via} is not on a link of {mine[0].node if mine else '?'}")


def _auto_routes(
    node: Node,
    ifaces: Mapping[str, list[Iface]],
    attached: Mapping[IPNetwork, set[str]],
    routers: set[str],
    skip: set[IPNetwork],
) -> list[RouteEntry]:
    mine = ifaces[node.name]
    if not node.router and len(mine) == 1:
        return _default_routes(mine[0], ifaces, skip)
    out = []
    for prefix, owners in sorted(attached.items(), key=lambda kv: (kv[0].version, str(kv[0]))):
        if prefix in skip:
            continue
        dist = _distances(owners, ifaces, routers)
        here = dist.get(node.name)
        if here is None or here == 0:
            continue
        hops = []
        for iface in mine:
            peer = iface.peer_node
            if dist.get(peer) == here - 1 and (peer in routers or dist[peer] == 0):
                via = _peer_addr(ifaces, iface, prefix.version)
                if via is not None and iface.addr(prefix.version) is not None:
                    hops.append(NextHop(iface.name, via, peer))
        if hops:
            out.append(RouteEntry(prefix, tuple(hops)))
    return out


def _default_routes(
    iface: Iface, ifaces: Mapping[str, list[Iface]], skip: set[IPNetwork]
) -> list[RouteEntry]:
    out = []
    for version, default in (
        (4, ipaddress.IPv4Network("0.0.0.0/0")),
        (6, ipaddress.IPv6Network("::/0")),
    ):
        via = _peer_addr(ifaces, iface, version)
        if via is not None and iface.addr(version) is not None and default not in skip:
            out.append(RouteEntry(default, (NextHop(iface.name, via, iface.peer_node),)))
    return out


def _distances(
    owners: Iterable[str], ifaces: Mapping[str, list[Iface]], routers: set[str]
) -> dict[str, int]:
    """Hop distance of every node to the prefix owned by ``owners``; only
    routers (and the owners themselves) relay."""
    dist = dict.fromkeys(owners, 0)
    queue = deque(dist)
    while queue:
        cur = queue.popleft()
        if dist[cur] > 0 and cur not in routers:
            continue
        for iface in ifaces[cur]:
            if iface.peer_node not in dist:
                dist[iface.peer_node] = dist[cur] + 1
                queue.append(iface.peer_node)
    return dist


def lookup(table: Sequence[RouteEntry], dst: IPAddress) -> RouteEntry | None:
    """Longest-prefix match of ``dst`` in ``table``."""
    matches = [e for e in table if e.prefix.version == dst.version and dst in e.prefix]
    return max(matches, key=lambda e: e.prefix.prefixlen, default=None)


# --------------------------------------------------------------------------
# Truth: which address answers at which TTL
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TruthHop:
    """Expected answer(s) at one TTL.

    ``addrs`` are all addresses that may answer (more than one behind ECMP);
    ``silent`` is true when on some path the router at this TTL never
    answers; ``destination`` when the destination itself answers here.
    """

    ttl: int
    addrs: tuple[str, ...]
    silent: bool = False
    destination: bool = False
    names: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "ttl": self.ttl,
            "addrs": list(self.addrs),
            "silent": self.silent,
            "destination": self.destination,
            "names": dict(self.names),
        }


@dataclass(frozen=True)
class Truth:
    """The expected hop list from ``src`` (on node ``src_node``) to ``dst``.

    >>> t = Truth("src", "10.0.0.2", "10.0.1.2", (TruthHop(1, ("10.0.0.1",)),))
    >>> t.hop(1).addrs
    ('10.0.0.1',)
    """

    src_node: str
    src: str
    dst: str
    hops: tuple[TruthHop, ...]
    paths: int = 1

    def hop(self, ttl: int) -> TruthHop:
        """The hop at ``ttl`` (1-based)."""
        return self.hops[ttl - 1]

    @property
    def silent_ttls(self) -> tuple[int, ...]:
        """TTLs at which a silent router sits."""
        return tuple(h.ttl for h in self.hops if h.silent)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (what capture ``*.truth.json`` files hold)."""
        return {
            "src_node": self.src_node,
            "src": self.src,
            "dst": self.dst,
            "paths": self.paths,
            "silent_ttls": list(self.silent_ttls),
            "hops": [h.to_dict() for h in self.hops],
        }

    def to_json(self) -> str:
        """Indented JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def _owner(ifaces: Mapping[str, list[Iface]], addr: IPAddress) -> str | None:
    for node, lst in ifaces.items():
        for iface in lst:
            if any(a.ip == addr for a in iface.addrs):
                return node
    return None


def _paths(
    spec: LabSpec,
    tables: Mapping[str, list[RouteEntry]],
    ifaces: Mapping[str, list[Iface]],
    src_node: str,
    dst: IPAddress,
    max_ttl: int,
) -> list[list[tuple[str, str]]]:
    """All forwarding paths as lists of (node, incoming interface)."""
    target = _owner(ifaces, dst)
    routers = {n.name for n in spec.nodes if n.router}
    done: list[list[tuple[str, str]]] = []

    def walk(node: str, path: list[tuple[str, str]]) -> None:
        if node == target or len(path) >= max_ttl or (path and node not in routers):
            done.append(path)
            return
        entry = lookup(tables[node], dst)
        if entry is None:
            done.append(path)
            return
        for hop in entry.nexthops:
            peer_if = next(i.peer_name for i in ifaces[node] if i.name == hop.dev)
            walk(hop.node, [*path, (hop.node, peer_if)])

    walk(src_node, [])
    return done


def compute_truth(
    spec: LabSpec, src_node: str, dst: str, *, src: str | None = None, max_ttl: int = 30
) -> Truth:
    """Expected hops from ``src_node`` to address ``dst`` (see :class:`Truth`).

    IPv4 routers answer from the incoming interface; IPv6 routers from the
    interface of their route back to ``src`` (several under ECMP).
    """
    ifaces = _ifaces(spec)
    tables = routing_tables(spec)
    dst_ip = ipaddress.ip_address(dst)
    if src is None:
        src_ip = next(
            (a for i in ifaces[src_node] if (a := i.addr(dst_ip.version)) is not None),
            None,
        )
        if src_ip is None:
            raise ValueError(f"{src_node} has no IPv{dst_ip.version} address")
    else:
        src_ip = ipaddress.ip_address(src)
    paths = _paths(spec, tables, ifaces, src_node, dst_ip, max_ttl)
    target = _owner(ifaces, dst_ip)
    names = name_map(spec)
    by_ttl: dict[int, tuple[set[str], bool, bool]] = {}
    for path in paths:
        for ttl, (node, in_if) in enumerate(path, start=1):
            addrs, silent, dest = by_ttl.get(ttl, (set(), False, False))
            if node == target:
                addrs.add(str(dst_ip))
                dest = True
            elif spec.node(node).silent or not spec.node(node).router:
                silent = True  # silent router, or a host that drops transit packets
            else:
                addrs.update(_answer_addrs(ifaces, tables, node, in_if, src_ip))
            by_ttl[ttl] = (addrs, silent, dest)
    hops = tuple(
        TruthHop(
            ttl,
            tuple(sorted(addrs, key=_addr_key)),
            silent,
            dest,
            MappingProxyType({a: names[a] for a in sorted(addrs) if a in names}),
        )
        for ttl, (addrs, silent, dest) in sorted(by_ttl.items())
    )
    return Truth(src_node, str(src_ip), str(dst_ip), hops, len(paths))


def _answer_addrs(
    ifaces: Mapping[str, list[Iface]],
    tables: Mapping[str, list[RouteEntry]],
    node: str,
    in_if: str,
    src: IPAddress,
) -> set[str]:
    by_name = {i.name: i for i in ifaces[node]}
    if src.version == 4:
        addr = by_name[in_if].addr(4)
        return {str(addr)} if addr is not None else set()
    entry = lookup(tables[node], src)
    if entry is None:
        return set()
    out = set()
    for hop in entry.nexthops:
        addr = by_name[hop.dev].addr(6)
        if addr is not None:
            out.add(str(addr))
    return out


def _addr_key(addr: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(addr)
    return (ip.version, int(ip))


def name_map(spec: LabSpec) -> dict[str, str]:
    """address → host name, from :attr:`Node.hostname` and :attr:`LabSpec.names`."""
    out: dict[str, str] = {}
    for node, lst in _ifaces(spec).items():
        hostname = spec.node(node).hostname
        if hostname:
            for iface in lst:
                for addr in iface.addrs:
                    out[str(addr.ip)] = hostname
    out.update(spec.names)
    return out


def hosts_file(spec: LabSpec) -> str:
    """Text of the lab's ``/etc/hosts`` (same in every namespace)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for addr, name in sorted(name_map(spec).items(), key=lambda kv: _addr_key(kv[0])):
        lines.append(f"{addr}\t{name}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# System helpers
# --------------------------------------------------------------------------


def _run(
    argv: Sequence[str], *, input: str | None = None, timeout: float = 30, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), input=input, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def _ip_json(ns: str, *args: str) -> list[dict[str, Any]]:
    out = _run(["ip", "-n", ns, "-j", *args]).stdout.strip()
    data = json.loads(out) if out else []
    return [d for d in data if d]  # iproute2 emits {} for some empty entries


def lab_available() -> str | None:
    """None if labs can be built here, else the reason why not."""
    if os.geteuid() != 0:
        return "network-namespace lab needs root"
    if shutil.which("ip") is None:
        return "ip (iproute2) not installed"
    try:
        proc = _run(["ip", "netns", "list"], check=False, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"ip netns unavailable: {exc}"
    if proc.returncode != 0:
        return f"ip netns unavailable: {proc.stderr.strip()}"
    return None


def list_netns() -> list[str]:
    """Names of all named network namespaces (``ip netns list``)."""
    out = _run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def assert_isolated(
    ns: str, lab_namespaces: Collection[str], allowed_links: Collection[str] | None = None
) -> None:
    """Raise :class:`IsolationError` unless namespace ``ns`` is sealed off.

    Sealed off means: its links are only ``lo`` and veths (named in
    ``allowed_links`` if given) whose peer lies in one of ``lab_namespaces``
    (never the host namespace), and every route (all tables, IPv4 and IPv6)
    goes out of one of those links.

    Example (root needed)::

        assert_isolated("topo-1-0-src", {"topo-1-0-src", "topo-1-0-r1"})
    """
    nsids = {str(d["nsid"]): d.get("name") for d in _ip_json(ns, "netns", "list-id")}
    ok_links = {"lo"}
    for link in _ip_json(ns, "-d", "link", "show"):
        name = link.get("ifname", "?")
        if name == "lo" and link.get("link_type") == "loopback":
            continue
        kind = link.get("linkinfo", {}).get("info_kind")
        if kind != "veth":
            raise IsolationError(
                f"{ns}: link {name} is a {kind or link.get('link_type')}, not a lab veth"
            )
        if allowed_links is not None and name not in allowed_links:
            raise IsolationError(f"{ns}: veth {name} is not a lab link")
        peer_id = link.get("link_netnsid")
        peer_ns = nsids.get(str(peer_id)) if peer_id is not None else ns
        if peer_ns not in lab_namespaces:
            raise IsolationError(f"{ns}: veth {name} has its peer outside the lab (nsid {peer_id})")
        ok_links.add(name)
    for family in ("-4", "-6"):
        for route in _ip_json(ns, family, "route", "show", "table", "all"):
            devs = [route.get("dev")] + [h.get("dev") for h in route.get("nexthops", [])]
            devs = [d for d in devs if d is not None]
            if not devs and route.get("type") not in ("unreachable", "blackhole", "prohibit"):
                raise IsolationError(f"{ns}: route {route.get('dst')} has no lab device")
            for dev in devs:
                if dev not in ok_links:
                    raise IsolationError(
                        f"{ns}: route {route.get('dst')} goes out of {dev}, not a lab link"
                    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_ns_processes(ns: str) -> None:
    proc = _run(["ip", "netns", "pids", ns], check=False, timeout=10)
    for word in proc.stdout.split():
        if word.isdigit() and int(word) != os.getpid():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(word), signal.SIGKILL)


def _delete_ns(ns: str) -> None:
    if ns in list_netns():
        _kill_ns_processes(ns)
        _run(["ip", "netns", "del", ns], check=False, timeout=30)
    shutil.rmtree(NETNS_ETC / ns, ignore_errors=True)


def cleanup_stale() -> list[str]:
    """Delete namespaces (and ``/etc/netns`` dirs) left by dead processes.

    Only names of the form ``topo-<pid>-<n>-…`` whose ``<pid>`` no longer runs
    are touched.  Returns the names removed.
    """
    removed = []
    names = set(list_netns())
    if NETNS_ETC.is_dir():
        names.update(p.name for p in NETNS_ETC.iterdir())
    for name in sorted(names):
        match = _STALE_RE.match(name)
        if match and not _pid_alive(int(match.group(1))):
            _delete_ns(name)
            removed.append(name)
    return removed


# --------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------

_COUNTER = itertools.count()
_OPEN: set[Lab] = set()
_OPEN_LOCK = threading.Lock()


def _close_all() -> None:
    with _OPEN_LOCK:
        labs = list(_OPEN)
    for lab in labs:
        lab.close()


atexit.register(_close_all)


class Lab:
    """A built topology of network namespaces; use as a context manager.

    Namespaces are called ``<prefix><node>`` with a unique prefix
    ``topo-<pid>-<n>-``; :meth:`close` (idempotent, also run at exit) removes
    exactly those namespaces and their ``/etc/netns`` dirs.

    Example (root needed)::

        with Lab(spec) as lab:
            assert lab.exec("src", ["ping", "-c1", "13.208.0.2"]).returncode == 0
    """

    def __init__(self, spec: LabSpec, *, prefix: str | None = None) -> None:
        self.spec = spec
        self.prefix = prefix or f"{NS_PREFIX}{os.getpid()}-{next(_COUNTER)}-"
        self.ifaces = _ifaces(spec)
        self.tables = routing_tables(spec)
        self._created: list[str] = []
        self._built = False
        self._closed = False
        self.timings: dict[str, float] = {}

    # -- naming ------------------------------------------------------------

    def ns(self, node: str) -> str:
        """Full namespace name of ``node``."""
        self.spec.node(node)
        return self.prefix + node

    @property
    def namespaces(self) -> tuple[str, ...]:
        """All namespace names of this lab."""
        return tuple(self.prefix + n.name for n in self.spec.nodes)

    def addr(self, node: str, version: int = 4, *, toward: str | None = None) -> str:
        """An address of ``node`` (the one on the link to ``toward`` if given)."""
        for iface in self.ifaces[node]:
            if toward is not None and iface.peer_node != toward:
                continue
            addr = iface.addr(version)
            if addr is not None:
                return str(addr)
        raise LabError(
            f"{node} has no IPv{version} address" + (f" toward {toward}" if toward else "")
        )

    def truth(self, src_node: str, dst: str, *, src: str | None = None, max_ttl: int = 30) -> Truth:
        """Expected hops from ``src_node`` to ``dst`` (see :func:`compute_truth`)."""
        return compute_truth(self.spec, src_node, dst, src=src, max_ttl=max_ttl)

    # -- lifecycle ----------------------------------------------------------

    def __enter__(self) -> Lab:
        return self.build()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def build(self) -> Lab:
        """Create everything; on any failure tear down what exists and re-raise."""
        if self._built:
            return self
        if self._closed:
            raise LabError("lab already closed")
        with _OPEN_LOCK:
            _OPEN.add(self)
        try:
            self._timed("namespaces", self._add_namespaces)
            self._timed("sysctls", self._set_sysctls)
            self._timed("links", self._add_links)
            self._timed("addresses", self._add_addresses)
            self._timed("routes", self._add_routes)
            self._timed("nft", self._add_nft)
            self._timed("hosts", self._write_etc)
            self._timed("isolation", self.assert_isolated)
        except BaseException:
            self.close()
            raise
        self._built = True
        return self

    def close(self) -> None:
        """Remove this lab's namespaces and ``/etc/netns`` dirs (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            # Only namespaces this lab created itself (never one that already
            # existed under the same name).
            while self._created:
                _delete_ns(self._created.pop())
        finally:
            with _OPEN_LOCK:
                _OPEN.discard(self)

    def _timed(self, what: str, func: Callable[[], None]) -> None:
        start = time.monotonic()
        func()
        self.timings[what] = time.monotonic() - start

    def _ip_batch(self, node: str, commands: Sequence[str]) -> None:
        if commands:
            _run(["ip", "-n", self.ns(node), "-batch", "-"], input="\n".join(commands) + "\n")

    def _add_namespaces(self) -> None:
        existing = set(list_netns())
        for ns in self.namespaces:
            if ns in existing:
                raise LabError(f"namespace {ns} already exists")
            _run(["ip", "netns", "add", ns])
            self._created.append(ns)

    def _set_sysctls(self) -> None:
        for node in self.spec.nodes:
            pairs = COMMON_SYSCTLS + (ROUTER_SYSCTLS if node.router else ())
            argv = ["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in pairs)]
            _run(["ip", "netns", "exec", self.ns(node.name), *argv])

    def _add_links(self) -> None:
        # Each veth is created inside namespace ``a`` with its peer placed
        # directly in namespace ``b``: no interface ever exists in the host.
        commands: dict[str, list[str]] = {n.name: [] for n in self.spec.nodes}
        for link, (a_if, b_if) in zip(self.spec.links, link_ifnames(self.spec), strict=True):
            commands[link.a].append(
                f"link add name {a_if} type veth peer name {b_if} netns {self.ns(link.b)}"
            )
        for node, cmds in commands.items():
            self._ip_batch(node, cmds)

    def _add_addresses(self) -> None:
        for node, lst in self.ifaces.items():
            cmds = ["link set lo up"]
            for iface in lst:
                for addr in iface.addrs:
                    nodad = " nodad" if addr.version == 6 else ""
                    cmds.append(f"addr add {addr} dev {iface.name}{nodad}")
                cmds.append(f"link set {iface.name} up")
            self._ip_batch(node, cmds)

    def _add_routes(self) -> None:
        for node, table in self.tables.items():
            cmds = []
            for entry in table:
                if entry.connected:
                    continue
                if len(entry.nexthops) == 1:
                    hop = entry.nexthops[0]
                    cmds.append(f"route add {entry.prefix} via {hop.via} dev {hop.dev}")
                else:
                    hops = " ".join(f"nexthop via {h.via} dev {h.dev}" for h in entry.nexthops)
                    cmds.append(f"route add {entry.prefix} {hops}")
            self._ip_batch(node, cmds)

    def _add_nft(self) -> None:
        """Silent routers drop their own ICMP time-exceeded (nftables)."""
        for node in self.spec.nodes:
            if node.silent:
                _run(
                    ["ip", "netns", "exec", self.ns(node.name), "nft", "-f", "-"], input=_NFT_SILENT
                )

    def _write_etc(self) -> None:
        hosts = hosts_file(self.spec)
        nsswitch = _nsswitch_files_only()
        for ns in self.namespaces:
            etc = NETNS_ETC / ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts)
            # DNS never leaves the namespace: names come from hosts only, and
            # a resolver fallback would hit the namespace's own loopback.
            (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
            (etc / "nsswitch.conf").write_text(nsswitch)

    # -- use ------------------------------------------------------------------

    def assert_isolated(self, node: str | None = None) -> None:
        """Check one node's namespace (or all) with :func:`assert_isolated`."""
        nodes = [node] if node is not None else [n.name for n in self.spec.nodes]
        for name in nodes:
            links = {i.name for i in self.ifaces[name]}
            assert_isolated(self.ns(name), set(self.namespaces), links)

    def exec(
        self,
        node: str,
        argv: Sequence[str],
        *,
        timeout: float = 60,
        check: bool = False,
        input: str | None = None,
        isolated: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``ip netns exec <ns> argv`` and return the completed process.

        With ``isolated`` (default) the namespace is checked first with
        :meth:`assert_isolated`.  Output is text, with ``LC_ALL=C``.
        Raises :class:`subprocess.TimeoutExpired` after killing the command.
        """
        if not self._built or self._closed:
            raise LabError("lab is not built (or already closed)")
        if isolated:
            self.assert_isolated(node)
        env = dict(os.environ, LC_ALL="C", LANG="C")
        return subprocess.run(
            ["ip", "netns", "exec", self.ns(node), *argv],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            env=env,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.namespaces)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "built" if self._built else "new"
        return f"<Lab {self.prefix}* {len(self.spec.nodes)} nodes {state}>"


def _nsswitch_files_only() -> str:
    try:
        text = Path("/etc/nsswitch.conf").read_text()
    except OSError:
        text = ""
    lines = [ln for ln in text.splitlines() if not ln.startswith(("hosts:", "networks:"))]
    lines += ["hosts:          files", "networks:       files"]
    return "\n".join(lines) + "\n"
