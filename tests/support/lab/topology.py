"""Ready-made lab topologies (specs only; build them with :class:`~tests.support.lab.netns.Lab`).

>>> spec = chain_spec()
>>> [n.name for n in spec.nodes]
['src', 'r1', 'r2', 'r3', 'r4', 'r5', 'dst']

Address plan of :func:`chain_spec` (TTL → answering address from ``src``)::

    1 r1  203.0.113.1      public (TEST-NET-3)     r1.example.net
    2 r2  100.65.0.2       CGNAT (RFC 6598)
    3 r3  240.1.0.2        Class E (240/4)
    4 r4  100.66.0.2       CGNAT
    5 r5  13.208.0.2       public-looking
    6 dst 13.209.0.10      destination             dst.example.net

:func:`ecmp_spec` adds an RFC 1918 home gateway, an ECMP pair (``r4a``/``r4b``),
a Class E join router and a silent router::

    1 r1  192.168.1.1           RFC 1918               gw.home.lan
    2 r2  100.64.0.2            CGNAT                  cgnat.isp.example
    3 r3  13.208.0.2            public, splits ECMP
    4 r4a 13.208.1.2 | r4b 13.208.2.2                   r4a/r4b.example.net
    5 r5  240.0.1.2 | 240.0.2.2 Class E (joins the pair)
    6 r6  *                     silent router
    7 dst 13.209.0.10           destination            dst.example.net

Both are dual-stack: link ``i`` also carries ``2001:db8:<i>::/64``
(``::1`` on the ``a`` side, ``::2`` on the ``b`` side).
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.lab.netns import LabSpec, Link, Node

__all__ = ["chain_spec", "ecmp_spec", "spec_from_links"]


def spec_from_links(
    nodes: Sequence[Node],
    links: Sequence[tuple[str, str, str, str]],
    *,
    ipv6: bool = True,
    names: dict[str, str] | None = None,
) -> LabSpec:
    """Spec from ``(a, b, a_addr, b_addr)`` tuples; with ``ipv6`` link ``i``
    also gets ``2001:db8:<i+1>::1/64`` (a) and ``::2/64`` (b).

    >>> s = spec_from_links([Node("a"), Node("b")], [("a", "b", "10.0.0.1/30", "10.0.0.2/30")])
    >>> s.links[0].b_addrs
    ('10.0.0.2/30', '2001:db8:1::2/64')
    """
    out = []
    for i, (a, b, a_addr, b_addr) in enumerate(links, start=1):
        a_addrs = [a_addr]
        b_addrs = [b_addr]
        if ipv6:
            a_addrs.append(f"2001:db8:{i:x}::1/64")
            b_addrs.append(f"2001:db8:{i:x}::2/64")
        out.append(Link(a, b, tuple(a_addrs), tuple(b_addrs)))
    return LabSpec(nodes=tuple(nodes), links=tuple(out), names=names or {})


def chain_spec(*, ipv6: bool = True) -> LabSpec:
    """src → r1 public → r2 CGNAT → r3 Class E → r4 CGNAT → r5 public → dst."""
    nodes = [
        Node("src", hostname="src.example.net"),
        Node("r1", router=True, hostname="r1.example.net"),
        Node("r2", router=True),
        Node("r3", router=True),
        Node("r4", router=True),
        Node("r5", router=True),
        Node("dst", hostname="dst.example.net"),
    ]
    links = [
        ("src", "r1", "203.0.113.2/30", "203.0.113.1/30"),
        ("r1", "r2", "100.65.0.1/30", "100.65.0.2/30"),
        ("r2", "r3", "240.1.0.1/30", "240.1.0.2/30"),
        ("r3", "r4", "100.66.0.1/30", "100.66.0.2/30"),
        ("r4", "r5", "13.208.0.1/30", "13.208.0.2/30"),
        ("r5", "dst", "13.209.0.9/29", "13.209.0.10/29"),
    ]
    return spec_from_links(nodes, links, ipv6=ipv6)


def ecmp_spec(*, ipv6: bool = True) -> LabSpec:
    """Home gateway, CGNAT, an ECMP pair joined at a Class E router, a silent
    router, then the destination (9 namespaces)."""
    nodes = [
        Node("src", hostname="src.home.lan"),
        Node("r1", router=True, hostname="gw.home.lan"),
        Node("r2", router=True, hostname="cgnat.isp.example"),
        Node("r3", router=True),
        Node("r4a", router=True, hostname="r4a.example.net"),
        Node("r4b", router=True, hostname="r4b.example.net"),
        Node("r5", router=True),
        Node("r6", router=True, silent=True, hostname="silent.example.net"),
        Node("dst", hostname="dst.example.net"),
    ]
    links = [
        ("src", "r1", "192.168.1.10/24", "192.168.1.1/24"),
        ("r1", "r2", "100.64.0.1/30", "100.64.0.2/30"),
        ("r2", "r3", "13.208.0.1/30", "13.208.0.2/30"),
        ("r3", "r4a", "13.208.1.1/30", "13.208.1.2/30"),
        ("r3", "r4b", "13.208.2.1/30", "13.208.2.2/30"),
        ("r4a", "r5", "240.0.1.1/30", "240.0.1.2/30"),
        ("r4b", "r5", "240.0.2.1/30", "240.0.2.2/30"),
        ("r5", "r6", "100.127.0.1/30", "100.127.0.2/30"),
        ("r6", "dst", "13.209.0.9/29", "13.209.0.10/29"),
    ]
    return spec_from_links(nodes, links, ipv6=ipv6)
