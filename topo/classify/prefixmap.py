"""Longest-prefix match over many networks, flattened once into sorted disjoint intervals.

Nested prefixes become a sequence of ``[start, next start)`` intervals, each carrying the
most specific network that covers it (or nothing), so a lookup is one ``bisect``. Building
is one sort and a sweep with a stack (prefixes are either nested or disjoint), so tens of
thousands of published cloud prefixes load in milliseconds. ``pytricia``/``py-radix`` do
the same in C, but need a compiler on some platforms; this is fast enough for topo's
tables and has no dependency.

Construction works on integers: a ``"a.b.c.d/n"`` or ``"x::/n"`` string is parsed with
``socket.inet_pton`` (anything else goes through :func:`ipaddress.ip_network`, so the
accepted forms and the errors are the stdlib's), each family's intervals are built on its
first lookup, and the :mod:`ipaddress` network of a match is only made when a lookup
returns it. Making an ``ipaddress`` object for each of the ~19,000 published cloud
prefixes used to be most of ``topo``'s start-up time.

>>> table = PrefixMap([("10.0.0.0/8", "big"), ("10.1.0.0/16", "small"), ("2001:db8::/32", "v6")])
>>> table.lookup("10.1.2.3"), table.lookup("10.2.0.1")[1], table.lookup("192.0.2.1")
((IPv4Network('10.1.0.0/16'), 'small'), 'big', None)
>>> table.lookup("2001:db8::9")[1]
'v6'
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from topo.classify.addresses import address_to_int

T = TypeVar("T")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Match = tuple[IPNetwork, T]
_BITS = {4: 32, 6: 128}
_AF4, _AF6, _pton = socket.AF_INET, socket.AF_INET6, socket.inet_pton
#: ``(version, first address as an integer, prefix length)``: a network without the object.
Key = tuple[int, int, int]


def _parse(text: str) -> Key | None:
    """The key of a plain ``address/length`` string, or ``None`` for any other text.

    Host bits are cleared as ``ip_network(text, strict=False)`` does. ``inet_pton`` and
    :mod:`ipaddress` accept the same addresses, except IPv6 zones (``%eth0``), which
    ``inet_pton`` refuses: those, like every other form (no length, a netmask) and every
    invalid text, are left to :func:`ipaddress.ip_network`.
    """
    addr, slash, length = text.partition("/")
    if not (slash and length.isdigit() and length.isascii()):
        return None
    version, bits, family = (6, 128, _AF6) if ":" in addr else (4, 32, _AF4)
    try:
        packed = _pton(family, addr)
    except (OSError, ValueError):
        return None
    prefixlen = int(length)
    if prefixlen > bits:
        return None
    host = bits - prefixlen
    return version, int.from_bytes(packed, "big") >> host << host, prefixlen


def _key_of(key: IPNetwork | str) -> tuple[Key, IPNetwork]:
    """The key of anything else: a network object, or what ``ip_network`` makes of it."""
    if isinstance(key, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network = key
    else:
        network = ipaddress.ip_network(key, strict=False)
    return (network.version, int(network.network_address), network.prefixlen), network


def _flatten(rows: list[tuple[int, int, int]], bits: int) -> tuple[list[int], list[int]]:
    """Sorted ``(start, prefixlen, index)`` rows of one family → interval starts and indexes.

    The index of an interval is the row of its most specific covering network, ``-1`` for
    none. Rows must be distinct networks (so they are either nested or disjoint).
    """
    top = (1 << bits) - 1
    starts: list[int] = [0]
    found: list[int] = [-1]
    stack: list[tuple[int, int]] = []  # (last address, index) of the open networks

    def emit(start: int, index: int) -> None:
        if starts[-1] == start:
            found[-1] = index
        else:
            starts.append(start)
            found.append(index)

    for start, prefixlen, index in rows:
        while stack and stack[-1][0] < start:
            end = stack.pop()[0]
            if end < top:
                emit(end + 1, stack[-1][1] if stack else -1)
        emit(start, index)
        stack.append((start | ((1 << (bits - prefixlen)) - 1), index))
    while stack:
        end = stack.pop()[0]
        if end < top:
            emit(end + 1, stack[-1][1] if stack else -1)
    return starts, found


class _Flat:
    """One address family: interval starts and the row valid from each start (``-1``: none)."""

    __slots__ = ("found", "starts")

    def __init__(self, starts: list[int], found: list[int]):
        self.starts = starts
        self.found = found


#: A built map without its values, in plain types (``marshal``-able): the family (4 or 6),
#: first address and prefix length of each network, and each family's interval starts and
#: network indexes (see :meth:`PrefixMap.compiled`).
Compiled = tuple[bytes, list[int], bytes, dict[int, tuple[list[int], list[int]]]]


class PrefixMap(Generic[T]):
    """Map networks to values; :meth:`lookup` returns the most specific covering network.

    Duplicate networks are combined with ``merge(old, new)`` (default: the later wins).
    Invalid keys raise :class:`ValueError` as :func:`ipaddress.ip_network` does.
    """

    def __init__(
        self,
        items: Iterable[tuple[IPNetwork | str, T]],
        *,
        merge: Callable[[T, T], T] | None = None,
    ):
        where: dict[Key, int] = {}
        networks: list[IPNetwork | None] = []
        values: list[T] = []
        for key, value in items:
            parsed = _parse(key) if isinstance(key, str) else None
            network: IPNetwork | None = None
            if parsed is None:
                parsed, network = _key_of(key)
            index = where.get(parsed)
            if index is None:
                where[parsed] = len(values)
                networks.append(network)
                values.append(value)
            else:
                values[index] = value if merge is None else merge(values[index], value)
        self._versions: Sequence[int] = [key[0] for key in where]
        self._firsts: Sequence[int] = [key[1] for key in where]
        self._lengths: Sequence[int] = [key[2] for key in where]
        self._networks = networks
        self._value_of: Callable[[int], T] = values.__getitem__
        self._matches: list[Match[T] | None] = [None] * len(values)
        self._tables: dict[int, _Flat] = {}

    @classmethod
    def from_compiled(cls, compiled: Compiled, value_of: Callable[[int], T]) -> PrefixMap[T]:
        """A map rebuilt from :meth:`compiled`, with ``value_of(index)`` giving each value.

        ``value_of`` is called once per network, on the first lookup that returns it, so
        values can be made lazily. Raises :class:`ValueError` when the parts do not fit.
        """
        versions, firsts, lengths, tables = compiled
        count = len(firsts)
        if not (len(versions) == len(lengths) == count and set(tables) == {4, 6}):
            raise ValueError("compiled prefix map: inconsistent sizes")
        flats: dict[int, _Flat] = {}
        for version, (starts, found) in tables.items():
            if not (
                len(starts) == len(found) > 0
                and starts[0] == 0
                and min(found) >= -1
                and max(found) < count
            ):
                raise ValueError(f"compiled prefix map: bad IPv{version} table")
            flats[version] = _Flat(list(starts), list(found))
        built = cls.__new__(cls)
        built._versions, built._firsts, built._lengths = versions, list(firsts), lengths
        built._networks = [None] * count
        built._value_of = value_of
        built._matches = [None] * count
        built._tables = flats
        return built

    def compiled(self) -> Compiled:
        """The built map in plain types, for :meth:`from_compiled` (values not included)."""
        tables = {}
        for version in (4, 6):
            table = self._table(version)
            tables[version] = (list(table.starts), list(table.found))
        return bytes(self._versions), list(self._firsts), bytes(self._lengths), tables

    def values(self) -> list[T]:
        """Every value, in the order of the networks (first appearance)."""
        return [self._value_of(index) for index in range(len(self))]

    def _table(self, version: int) -> _Flat:
        table = self._tables.get(version)
        if table is None:
            firsts, lengths = self._firsts, self._lengths
            rows = sorted(
                (firsts[index], lengths[index], index)
                for index, family in enumerate(self._versions)
                if family == version
            )
            table = self._tables[version] = _Flat(*_flatten(rows, _BITS[version]))
        return table

    def _match(self, index: int) -> Match[T]:
        match = self._matches[index]
        if match is None:
            network = self._networks[index]
            if network is None:
                first, length = self._firsts[index], self._lengths[index]
                if self._versions[index] == 4:
                    network = ipaddress.IPv4Network((first, length))
                else:
                    network = ipaddress.IPv6Network((first, length))
                self._networks[index] = network
            match = self._matches[index] = (network, self._value_of(index))
        return match

    def __len__(self) -> int:
        return len(self._matches)

    def lookup(self, addr: str) -> Match[T] | None:
        """``(network, value)`` of the most specific network holding ``addr``, or ``None``.

        Raises :class:`~topo.errors.InvalidAddressError` for a string that is no address.
        """
        version, number = address_to_int(addr)
        table = self._table(version)
        index = table.found[bisect_right(table.starts, number) - 1]
        return None if index < 0 else self._match(index)

    def items(self) -> Iterator[Match[T]]:
        """Every (network, value) the map was built from."""
        for index in range(len(self)):
            yield self._match(index)

    def intervals(self, version: int) -> tuple[list[int], list[Match[T] | None]]:
        """The flattened table of one family: interval starts and their matches (bulk use)."""
        table = self._table(version)
        return table.starts, [None if i < 0 else self._match(i) for i in table.found]
