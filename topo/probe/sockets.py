"""Raw sockets: send probes, receive answers with kernel timestamps (Linux).

Why not scapy's ``conf.L3socket``: that one routes with scapy's own copy of the routing
table (read when scapy is imported) and resolves link addresses itself. Here the kernel does
both, in the network namespace the process runs in: probes leave through an ``IPPROTO_RAW``
socket (the IP header built by :mod:`topo.probe.packets`), and answers arrive on raw
ICMP/ICMPv6 (and TCP) sockets, which the kernel fills only with those protocols, each
packet stamped with its arrival time (``SO_TIMESTAMPNS``). IPv6 raw sockets strip the IP
header; :meth:`RawChannel.receive` puts one back (source, destination, hop limit) so the
decoder reads both families the same way.

Opening raw sockets needs root or ``CAP_NET_RAW``: :func:`check_privilege` says so with
a :class:`~topo.errors.PrivilegeError` (exit code 77) before anything is sent.

Example (root needed)::

    with RawChannel(4, "udp") as channel:
        sent_at = channel.send(packet, "198.51.100.7")
        for data, received_at in channel.receive(timeout=1.0):
            ...
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import select
import socket
import struct
import time
from types import TracebackType

from topo.errors import PrivilegeError, TopoError

__all__ = ["PRIVILEGE_MESSAGE", "NoRouteError", "RawChannel", "check_privilege", "source_address"]

PRIVILEGE_MESSAGE = (
    "tracing needs raw sockets: run as root, or give the Python interpreter CAP_NET_RAW "
    "(sudo setcap cap_net_raw+ep <python>)"
)

_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
_IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
_RCVBUF = 4 << 20


def _raw_socket(family: int, proto: int) -> socket.socket:
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    try:
        return socket.socket(af, socket.SOCK_RAW, proto)
    except PermissionError as err:
        raise PrivilegeError(PRIVILEGE_MESSAGE) from err


def check_privilege() -> None:
    """Raise :class:`~topo.errors.PrivilegeError` unless raw sockets can be opened."""
    _raw_socket(4, socket.IPPROTO_ICMP).close()


class NoRouteError(TopoError):
    """The kernel has no route to the target (``reason``: why, in a few words)."""

    def __init__(self, dst: str, reason: str) -> None:
        super().__init__(f"no route to {dst} ({reason})")
        self.reason = reason


#: What connecting says for the routes that refuse a destination (Linux): a ``blackhole``
#: route gives EINVAL, a ``prohibit`` one EACCES (read as a privilege problem otherwise).
_ROUTE_ERRORS = {errno.EINVAL: "a blackhole route", errno.EACCES: "a prohibit route"}


def source_address(dst: str) -> str:
    """The address the kernel would send from to reach ``dst`` (no packet is sent);
    :class:`NoRouteError` when there is no route.

    >>> source_address("127.0.0.1")
    '127.0.0.1'
    """
    family = ipaddress.ip_address(dst).version
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    with socket.socket(af, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((dst, 33434))
        except OSError as err:
            reason = _ROUTE_ERRORS.get(err.errno or 0) or err.strerror or str(err)
            raise NoRouteError(dst, reason) from err
        return str(probe.getsockname()[0]).split("%")[0]


class RawChannel:
    """One send socket and the receive sockets for one address family and protocol."""

    def __init__(self, family: int, proto: str) -> None:
        self.family = family
        self._sockets: list[socket.socket] = []
        try:
            self._out = self._own(_raw_socket(family, socket.IPPROTO_RAW))
            icmp = socket.IPPROTO_ICMP if family == 4 else socket.IPPROTO_ICMPV6
            self._ins = [self._own(_raw_socket(family, icmp))]
            if proto == "tcp":
                self._ins.append(self._own(_raw_socket(family, socket.IPPROTO_TCP)))
            for sock in self._ins:
                sock.setblocking(False)
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
                if family == 6:
                    sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVHOPLIMIT, 1)
        except BaseException:
            self.close()
            raise

    def _own(self, sock: socket.socket) -> socket.socket:
        self._sockets.append(sock)
        return sock

    def send(self, packet: bytes, dst: str) -> float:
        """Send a whole IP packet; returns the wall-clock time just before it left."""
        sent_at = time.time()
        self._out.sendto(packet, (dst, 0))
        return sent_at

    def receive(self, timeout: float) -> list[tuple[bytes, float]]:
        """Packets that arrive within ``timeout`` seconds (all that are queued once one
        has), each as a whole IP packet with its kernel arrival time."""
        readable, _, _ = select.select(self._ins, [], [], max(0.0, timeout))
        out: list[tuple[bytes, float]] = []
        for sock in readable:
            while True:
                try:
                    data, ancillary, _, address = sock.recvmsg(65535, 256)
                except (BlockingIOError, InterruptedError):
                    break
                out.append(self._packet(sock, data, ancillary, address))
        return out

    def _packet(
        self,
        sock: socket.socket,
        data: bytes,
        ancillary: list[tuple[int, int, bytes]],
        address: tuple[str, ...],
    ) -> tuple[bytes, float]:
        stamp = time.time()
        hop_limit = 0
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("@qq", value[:16])
                stamp = sec + nsec / 1e9
            elif level == socket.IPPROTO_IPV6 and kind == _IPV6_HOPLIMIT and len(value) >= 4:
                hop_limit = struct.unpack("@i", value[:4])[0]
        if self.family == 6:
            src = ipaddress.IPv6Address(address[0].split("%")[0]).packed
            header = struct.pack(
                "!IHBB16s16s", 6 << 28, len(data), sock.proto, hop_limit, src, bytes(16)
            )
            data = header + data
        return data, stamp

    def close(self) -> None:
        """Close every socket (idempotent)."""
        while self._sockets:
            self._sockets.pop().close()

    def __enter__(self) -> RawChannel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
