"""Internet checksums, and the two payload bytes that make a checksum come out as chosen.

Paris traceroute keeps every header field a load balancer may hash constant within a flow
and still tells its probes apart: a UDP probe carries its number *in its checksum* (two
payload bytes are chosen to make the checksum equal that number), an ICMP echo probe carries
it in its sequence number while two payload bytes keep the checksum constant.

>>> data = bytes.fromhex("0800000012340001") + b"\\x00\\x00"
>>> fix = compensation(ones_sum(data), target=0xBEEF)
>>> internet_checksum(data[:-2] + fix) == 0xBEEF
True
"""

from __future__ import annotations

import struct

__all__ = ["compensation", "fold", "internet_checksum", "ones_sum"]


def fold(total: int) -> int:
    """Fold a sum of 16-bit words into 16 bits with end-around carry.

    >>> hex(fold(0x1FFFE))
    '0xffff'
    """
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def ones_sum(data: bytes) -> int:
    """The folded one's-complement sum of ``data`` (zero-padded to an even length).

    >>> hex(ones_sum(b"\\x12\\x34\\x56"))
    '0x6834'
    """
    if len(data) % 2:
        data += b"\x00"
    return fold(sum(struct.unpack(f"!{len(data) // 2}H", data)))


def internet_checksum(data: bytes) -> int:
    """RFC 1071 checksum of ``data`` (its checksum field must hold what is sent).

    >>> hex(internet_checksum(bytes.fromhex("450000730000400040110000c0a80001c0a800c7")))
    '0xb861'
    """
    return ~ones_sum(data) & 0xFFFF


def compensation(partial: int, target: int) -> bytes:
    """Two bytes that, added to data whose one's-complement sum is ``partial``, make its
    checksum ``target``.

    ``partial`` is :func:`ones_sum` of everything the checksum covers (pseudo-header
    included) with the checksum field and the two bytes set to zero; the two bytes must sit
    at an even offset. ``target`` is 0..0xFFFE.

    >>> fix = compensation(0x1234, target=0x0001)
    >>> ~(0x1234 + int.from_bytes(fix)) & 0xFFFF
    1
    """
    if not 0 <= target < 0xFFFF:
        # a computed checksum is 0xFFFF only for all-zero data (one's-complement sum 0)
        raise ValueError(f"checksum {target:#x} cannot be made (0..0xfffe)")
    word = fold((~target & 0xFFFF) + (~partial & 0xFFFF))
    if fold(partial + word) != (~target & 0xFFFF):
        word = 0xFFFF if word == 0 else 0  # the other one's-complement zero
    return struct.pack("!H", word)
