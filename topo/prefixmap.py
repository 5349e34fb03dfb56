"""Longest-prefix match over many networks, flattened once into sorted disjoint intervals.

Nested prefixes become a sequence of ``[start, next start)`` intervals, each carrying the
most specific network that covers it (or nothing), so a lookup is one ``bisect``. Building
is one sort and a sweep with a stack (prefixes are either nested or disjoint), so tens of
thousands of published cloud prefixes load in milliseconds. ``pytricia``/``py-radix`` do
the same in C, but need a compiler on some platforms; this is fast enough for topo's
tables and has no dependency.

>>> table = PrefixMap([("10.0.0.0/8", "big"), ("10.1.0.0/16", "small"), ("2001:db8::/32", "v6")])
>>> table.lookup("10.1.2.3"), table.lookup("10.2.0.1")[1], table.lookup("192.0.2.1")
((IPv4Network('10.1.0.0/16'), 'small'), 'big', None)
>>> table.lookup("2001:db8::9")[1]
'v6'
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from topo.addresses import address_to_int

T = TypeVar("T")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Match = tuple[IPNetwork, T]
_TOP = {4: 2**32 - 1, 6: 2**128 - 1}


class _Flat(Generic[T]):
    """One address family: interval starts and the match valid from each start."""

    def __init__(self, networks: Iterable[tuple[IPNetwork, T]], top: int):
        self.starts: list[int] = [0]
        self.values: list[tuple[IPNetwork, T] | None] = [None]
        ordered = sorted(
            networks, key=lambda item: (int(item[0].network_address), item[0].prefixlen)
        )
        stack: list[tuple[int, tuple[IPNetwork, T]]] = []
        for network, value in ordered:
            start = int(network.network_address)
            while stack and stack[-1][0] < start:
                self._close(stack, top)
            self._emit(start, (network, value))
            stack.append((int(network.broadcast_address), (network, value)))
        while stack:
            self._close(stack, top)

    def _close(self, stack: list[tuple[int, tuple[IPNetwork, T]]], top: int) -> None:
        end, _ = stack.pop()
        if end < top:
            self._emit(end + 1, stack[-1][1] if stack else None)

    def _emit(self, start: int, value: tuple[IPNetwork, T] | None) -> None:
        if self.starts[-1] == start:
            self.values[-1] = value
        else:
            self.starts.append(start)
            self.values.append(value)

    def lookup(self, number: int) -> tuple[IPNetwork, T] | None:
        return self.values[bisect_right(self.starts, number) - 1]


class PrefixMap(Generic[T]):
    """Map networks to values; :meth:`lookup` returns the most specific covering network.

    Duplicate networks are combined with ``merge(old, new)`` (default: the later wins).
    """

    def __init__(
        self,
        items: Iterable[tuple[IPNetwork | str, T]],
        *,
        merge: Callable[[T, T], T] | None = None,
    ):
        combined: dict[IPNetwork, T] = {}
        for key, value in items:
            network = ipaddress.ip_network(key, strict=False) if isinstance(key, str) else key
            if network in combined and merge is not None:
                value = merge(combined[network], value)
            combined[network] = value
        self._items = combined
        self._tables = {
            version: _Flat(
                ((n, v) for n, v in combined.items() if n.version == version), _TOP[version]
            )
            for version in (4, 6)
        }

    def __len__(self) -> int:
        return len(self._items)

    def lookup(self, addr: str) -> Match[T] | None:
        """``(network, value)`` of the most specific network holding ``addr``, or ``None``.

        Raises :class:`~topo.errors.InvalidAddressError` for a string that is no address.
        """
        version, number = address_to_int(addr)
        return self._tables[version].lookup(number)

    def items(self) -> Iterator[Match[T]]:
        """Every (network, value) the map was built from."""
        yield from self._items.items()

    def intervals(self, version: int) -> tuple[list[int], list[Match[T] | None]]:
        """The flattened table of one family: interval starts and their matches (bulk use)."""
        table = self._tables[version]
        return table.starts, table.values
