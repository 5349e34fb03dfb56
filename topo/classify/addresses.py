"""Strict address parsing shared by the classifier, the prefix tables and the parsers.

>>> address_to_int("100.64.0.1"), is_address("fe80::1%eth0"), is_address("host.example")
((4, 1681915905), True, False)
"""

from __future__ import annotations

import socket

from topo.errors import InvalidAddressError


def address_to_int(addr: str) -> tuple[int, int]:
    """``(version, integer)`` of an address string, strictly parsed.

    >>> address_to_int("100.64.0.1")
    (4, 1681915905)
    """
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, addr), "big")
    except (OSError, TypeError, ValueError):
        pass
    text = addr.split("%", 1)[0] if isinstance(addr, str) else addr
    try:
        return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, TypeError, ValueError):
        raise InvalidAddressError(f"not an IP address: {addr!r}") from None


def is_address(text: str) -> bool:
    """True when ``text`` is an IPv4 or IPv6 address (a zone suffix is allowed).

    >>> is_address("2001:db8::1"), is_address("fe80::1%eth0"), is_address("host.example")
    (True, True, False)
    """
    try:
        address_to_int(text)
    except InvalidAddressError:
        return False
    return True


def sort_key(addr: str) -> tuple[int, int]:
    """Numeric sort key: IPv4 before IPv6, then by value (the article's table order).

    >>> sorted(["100.66.0.45", "15.230.24.168", "100.65.1.9"], key=sort_key)
    ['15.230.24.168', '100.65.1.9', '100.66.0.45']
    """
    return address_to_int(addr)
