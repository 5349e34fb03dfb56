"""Loopback servers for online-lookup tests: RDAP over HTTP, whois, Team Cymru, and bad ones.

Everything listens on 127.0.0.1 on a port the OS picks, and stops when its ``with`` block
(or ``stop()``) ends: serving threads are joined, handlers that hang wait on the server's
stop event (at most :data:`MAX_HANG` seconds) and every client socket has a timeout.

- :class:`RdapServer`: registry-shaped RDAP JSON (ARIN style for ARIN networks, RIPE style
  for RIPE ones) at the paths a mirror gets: ``/{host}/{path}`` for
  ``https://{host}/{path}``. Bootstrap paths (``/rdap-bootstrap.arin.net/bootstrap/ip/A``)
  are answered directly or, with ``redirect=True``, redirected to the registry like the
  real bootstrap. Counts requests per path. ``mode`` (or ``modes`` per network prefix)
  makes it misbehave: ``"429"``, ``"429:N"`` (Retry-After N), ``"429-once:N"`` (first
  request per path only), ``"503"``, ``"malformed"``, ``"wrong-type"``, ``"truncated"``,
  ``"slow:N"`` (answer after N s), ``"hang"`` (never answer), ``"reset"``.
- :class:`WhoisServer`: RIPE- or ARIN-style text (by the network's registry); modes
  ``"hang"``, ``"close"`` (close without answering), ``"slow:N"``.
- :class:`CymruServer`: the bulk protocol (``begin``/``verbose``/addresses/``end``).
- :class:`SilentServer` accepts and never answers; :class:`BlackholeServer` listens and
  never accepts; :func:`closed_port` gives a port nothing listens on (connection refused).
- :func:`run_chaos`: an online lookup run against an RDAP server whose networks misbehave
  at random (:data:`CHAOS_MODES`, a fixed seed), what ``bench/robustness.py`` reports and
  ``tests/test_owners_online.py`` asserts.

>>> with RdapServer(default_networks()) as rdap:
...     rdap.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import ipaddress
import json
import math
import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

LOOPBACK = "127.0.0.1"
#: Longest a misbehaving handler keeps a connection (seconds), even if never stopped.
MAX_HANG = 30.0
#: Client sockets time out after this long (seconds).
CLIENT_TIMEOUT = 5.0
#: Most lines a whois/Cymru handler reads from one client.
MAX_LINES = 100_000

REGISTRY_HOSTS = {
    "arin": ("rdap.arin.net", "/registry/ip/"),
    "ripe": ("rdap.db.ripe.net", "/ip/"),
    "apnic": ("rdap.apnic.net", "/ip/"),
}


@dataclass(frozen=True)
class Net:
    """One network the servers know: its registry data and its origin AS."""

    prefix: str
    org: str
    registry: str = "arin"
    asn: int | None = None
    as_name: str | None = None
    country: str = "US"
    name: str = "EXAMPLE-NET"
    handle: str = "EX"

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.prefix)


AMAZON_OSAKA = Net(
    "13.208.0.0/16",
    "Amazon Data Services Osaka",
    asn=16509,
    as_name="AMAZON-02",
    country="JP",
    name="AMAZON-KIX",
    handle="ADSO",
)
AMAZON_TECH = Net(
    "15.230.0.0/16",
    "Amazon Technologies Inc.",
    asn=16509,
    as_name="AMAZON-02",
    name="AMAZON-2011L",
    handle="AT-88-Z",
)
RIPE_NCC = Net(
    "193.0.0.0/21",
    "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
    registry="ripe",
    asn=3333,
    as_name="RIPE-NCC-AS Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
    country="NL",
    name="RIPE-NCC",
    handle="ORG-RIEN1-RIPE",
)
AMAZON_V6 = Net(
    "2600:1f00::/24",
    "Amazon.com, Inc.",
    asn=16509,
    as_name="AMAZON-02",
    name="AMAZON-IPV6",
    handle="AMAZO-4",
)


def default_networks() -> list[Net]:
    """The named networks (two ARIN Amazon /16s, RIPE NCC, an ARIN IPv6 block)."""
    return [AMAZON_OSAKA, AMAZON_TECH, RIPE_NCC, AMAZON_V6]


def generated_networks(count: int, *, first_octet: int = 45) -> list[Net]:
    """``count`` ARIN networks: /16s at ``{first_octet}.{i}.0.0`` named "Example Org i"."""
    return [
        Net(
            f"{first_octet}.{i}.0.0/16",
            f"Example Org {i}",
            asn=64500 + i,
            as_name=f"EXAMPLE-{i}",
            name=f"EXAMPLE-{i}",
            handle=f"EO-{i}",
        )
        for i in range(count)
    ]


def _vcard(fn: str, kind: str) -> list[Any]:
    return [
        "vcard",
        [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", fn],
            ["kind", {}, "text", kind],
        ],
    ]


def _range(net: Net) -> tuple[str, str]:
    network = net.network
    return str(network.network_address), str(network.broadcast_address)


def arin_rdap(net: Net) -> dict[str, Any]:
    """An answer shaped like ARIN's (registrant org entity nesting its abuse contact)."""
    start, end = _range(net)
    network = net.network
    key = "v4prefix" if network.version == 4 else "v6prefix"
    return {
        "rdapConformance": ["nro_rdap_profile_0", "rdap_level_0", "cidr0", "arin_originas0"],
        "notices": [{"title": "Terms of Service", "description": ["By using the ARIN RDAP..."]}],
        "handle": f"NET-{start.replace('.', '-').replace(':', '-')}-1",
        "startAddress": start,
        "endAddress": end,
        "ipVersion": f"v{network.version}",
        "name": net.name,
        "type": "DIRECT ALLOCATION",
        "parentHandle": "NET-PARENT",
        "entities": [
            {
                "handle": net.handle,
                "vcardArray": _vcard(net.org, "org"),
                "roles": ["registrant"],
                "objectClassName": "entity",
                "entities": [
                    {
                        "handle": "AEA8-ARIN",
                        "vcardArray": _vcard("Amazon EC2 Abuse", "group"),
                        "roles": ["abuse"],
                        "objectClassName": "entity",
                    },
                    {
                        "handle": "IPROU3-ARIN",
                        "vcardArray": _vcard("IP Routing", "group"),
                        "roles": ["technical"],
                        "objectClassName": "entity",
                    },
                ],
            }
        ],
        "port43": "whois.arin.net",
        "status": ["active"],
        "objectClassName": "ip network",
        "cidr0_cidrs": [{key: str(network.network_address), "length": network.prefixlen}],
    }


def ripe_rdap(net: Net) -> dict[str, Any]:
    """An answer shaped like RIPE's (abuse contact listed before the registrant org)."""
    start, end = _range(net)
    network = net.network
    key = "v4prefix" if network.version == 4 else "v6prefix"
    return {
        "rdapConformance": ["cidr0", "rdap_level_0", "nro_rdap_profile_0"],
        "objectClassName": "ip network",
        "handle": f"{start} - {end}",
        "startAddress": start,
        "endAddress": end,
        "ipVersion": f"v{network.version}",
        "name": net.name,
        "type": "ASSIGNED PA",
        "country": net.country,
        "entities": [
            {
                "handle": "RNCC-RIPE",
                "vcardArray": _vcard("RIPE NCC Abuse", "group"),
                "roles": ["abuse"],
                "objectClassName": "entity",
            },
            {
                "handle": net.handle,
                "vcardArray": _vcard(net.org, "org"),
                "roles": ["registrant"],
                "objectClassName": "entity",
            },
            {"handle": "BRD-RIPE", "roles": ["administrative", "technical"]},
        ],
        "remarks": [{"description": ["RIPE Network Coordination Centre"]}],
        "port43": "whois.ripe.net",
        "cidr0_cidrs": [{key: str(network.network_address), "length": network.prefixlen}],
    }


def rdap_answer(net: Net) -> dict[str, Any]:
    """The registry-shaped RDAP answer for ``net``."""
    return ripe_rdap(net) if net.registry == "ripe" else arin_rdap(net)


def whois_text(net: Net) -> str:
    """The whois answer for ``net``: ARIN style (parent network first) or RIPE style."""
    start, end = _range(net)
    if net.registry == "ripe":
        return (
            "% This is the RIPE Database query service.\n\n"
            f"inetnum:        {start} - {end}\n"
            f"netname:        {net.name}\n"
            "descr:          RIPE Network Coordination Centre\n"
            f"org:            {net.handle}\n"
            f"country:        {net.country}\n"
            "abuse-c:        RNCC-RIPE\n\n"
            f"organisation:   {net.handle}\n"
            f"org-name:       {net.org}\n"
            "org-type:       RIR\n\n"
            "role:           RIPE NCC Abuse\n"
            "abuse-mailbox:  abuse@example.invalid\n\n"
            f"route:          {net.prefix}\n"
            f"origin:         AS{net.asn}\n"
        )
    parent = net.network.supernet(new_prefix=8) if net.network.version == 4 else net.network
    return (
        "#\n# ARIN WHOIS data and services are subject to the Terms of Use\n#\n\n"
        f"NetRange:       {parent.network_address} - {parent.broadcast_address}\n"
        f"CIDR:           {parent}\n"
        "NetName:        PARENT-NET\n"
        "Organization:   Parent Holdings Inc. (PH-1)\n\n"
        f"NetRange:       {start} - {end}\n"
        f"CIDR:           {net.prefix}\n"
        f"NetName:        {net.name}\n"
        f"Organization:   {net.org} ({net.handle})\n"
        f"Country:        {net.country}\n\n"
        f"OrgName:        {net.org}\n"
        f"OrgId:          {net.handle}\n\n"
        "OrgAbuseName:   Abuse Desk\n"
    )


class _Base:
    """Start/stop plumbing shared by the servers (context manager)."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def count(self, key: str) -> None:
        with self.lock:
            self.requests[key] += 1

    @property
    def total(self) -> int:
        """Requests received (every path or query)."""
        with self.lock:
            return sum(self.requests.values())

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=MAX_HANG)

    def misbehave_wait(self, seconds: float = MAX_HANG) -> None:
        """Hold a connection until the server stops (at most ``seconds``)."""
        self.stop_event.wait(min(seconds, MAX_HANG))


def _find(networks: Sequence[Net], text: str) -> Net | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    covering = [n for n in networks if n.network.version == ip.version and ip in n.network]
    return max(covering, key=lambda n: n.network.prefixlen) if covering else None


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    owner: RdapServer


class _RdapHandler(BaseHTTPRequestHandler):
    server: _QuietHTTPServer
    timeout = CLIENT_TIMEOUT
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server.owner
        srv.count(self.path)
        host, _, rest = self.path.lstrip("/").partition("/")
        rest = "/" + rest
        addr: str | None = None
        if rest.startswith("/bootstrap/ip/"):
            addr = rest.rsplit("/", 1)[1]
            net = _find(srv.networks, addr)
            if srv.redirect and net is not None:
                reg_host, reg_path = REGISTRY_HOSTS.get(net.registry, REGISTRY_HOSTS["arin"])
                self.send_response(302)
                self.send_header("Location", f"https://{reg_host}{reg_path}{addr}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        elif any(rest.startswith(p) for _, p in REGISTRY_HOSTS.values()):
            addr = rest.rsplit("/", 1)[1]
        if addr is None:
            self._json(404, {"errorCode": 404, "title": "Not Found"})
            return
        srv.count_lookup(host)
        net = _find(srv.networks, addr)
        mode = srv.mode_for(net)
        if not self._misbehave(mode):
            return
        if net is None:
            self._json(404, {"errorCode": 404, "title": "Not Found", "description": [addr]})
            return
        self._json(200, rdap_answer(net))
        srv.count_served(net.prefix)  # the whole answer was written

    def _misbehave(self, mode: str) -> bool:
        """Act out ``mode``; True when the normal answer should follow."""
        srv = self.server.owner
        name, _, arg = mode.partition(":")
        if name == "ok":
            return True
        if name == "slow":
            srv.misbehave_wait(float(arg or 1))
            return True
        if name == "hang":
            srv.misbehave_wait()
            self.close_connection = True
            return False
        if name == "429-once":
            if srv.requests[self.path] > 1:
                return True
            name = "429"
        if name == "429":
            headers = {"Retry-After": arg} if arg else {}
            self._json(429, {"errorCode": 429, "title": "Too Many Requests"}, headers)
            return False
        if name == "503":
            self._json(503, {"errorCode": 503, "title": "Service Unavailable"})
            return False
        if name == "malformed":
            self._raw(200, b'{"handle": "NET-1", "startAddress": ', "application/rdap+json")
            return False
        if name == "wrong-type":
            self._raw(200, b"<html><body>Service page</body></html>", "text/html")
            return False
        if name == "truncated":
            body = json.dumps({"handle": "NET-1", "padding": "x" * 4000}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:200])
            self.wfile.flush()
            self.close_connection = True
            return False
        if name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return False
        raise ValueError(f"unknown mode {mode!r}")

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(data).encode(), "application/rdap+json", headers)

    def _raw(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class RdapServer(_Base):
    """A threaded HTTP server answering RDAP queries for ``networks`` (see module doc).

    ``requests`` counts every path; ``lookups`` counts IP lookups per registry host
    (bootstrap answers included when served directly, redirects not); ``served`` counts
    the good answers written in full, per network prefix.
    """

    def __init__(
        self,
        networks: Iterable[Net] = (),
        *,
        mode: str = "ok",
        modes: dict[str, str] | None = None,
        redirect: bool = False,
    ) -> None:
        super().__init__()
        self.networks = list(networks) or default_networks()
        self.mode = mode
        self.modes = dict(modes or {})
        self.redirect = redirect
        self.lookups: Counter[str] = Counter()
        self.served: Counter[str] = Counter()
        self._server: _QuietHTTPServer | None = None

    def mode_for(self, net: Net | None) -> str:
        """The mode for a request about ``net``."""
        return self.modes.get(net.prefix, self.mode) if net is not None else self.mode

    def count_lookup(self, host: str) -> None:
        with self.lock:
            self.lookups[host] += 1

    def count_served(self, prefix: str) -> None:
        with self.lock:
            self.served[prefix] += 1

    @property
    def ip_lookups(self) -> int:
        """IP lookups answered or attempted (bootstrap redirects not counted)."""
        with self.lock:
            return sum(self.lookups.values())

    @property
    def url(self) -> str:
        """The mirror base URL to put in ``OnlineConfig.rdap_url``."""
        assert self._server is not None
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> Self:
        server = _QuietHTTPServer((LOOPBACK, 0), _RdapHandler)
        server.owner = self
        self._server = server
        self._spawn(server.serve_forever, 0.05)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # joins the handler threads (bounded by MAX_HANG)
        self._join()


class _LineServer(socketserver.ThreadingTCPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    owner: _TextServer


class _LineHandler(socketserver.BaseRequestHandler):
    server: _LineServer

    def handle(self) -> None:
        self.request.settimeout(CLIENT_TIMEOUT)
        self.server.owner.serve(self.request)


class _TextServer(_Base):
    """A threaded TCP server: one query per connection, answer, close."""

    def __init__(self, networks: Iterable[Net] = (), *, mode: str = "ok") -> None:
        super().__init__()
        self.networks = list(networks) or default_networks()
        self.mode = mode
        self._server: _LineServer | None = None

    @property
    def address(self) -> str:
        """``host:port`` to put in ``OnlineConfig``."""
        assert self._server is not None
        return f"{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> Self:
        server = _LineServer((LOOPBACK, 0), _LineHandler)
        server.owner = self
        self._server = server
        self._spawn(server.serve_forever, 0.05)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._join()

    def read_lines(self, sock: socket.socket, until: str | None) -> list[str]:
        """Lines from the client: one, or up to a line equal to ``until`` (bounded)."""
        data = b""
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while time.monotonic() < deadline and data.count(b"\n") < MAX_LINES:
            if until is None and b"\n" in data:
                break
            if until is not None and f"\n{until}\n".encode() in b"\n" + data.replace(b"\r", b""):
                break
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        return [line.strip() for line in data.decode("utf-8", "replace").splitlines()]

    def serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def _act(self, sock: socket.socket) -> bool:
        name, _, arg = self.mode.partition(":")
        if name == "hang":
            self.misbehave_wait()
            return False
        if name == "close":
            return False
        if name == "slow":
            self.misbehave_wait(float(arg or 1))
        return True


class WhoisServer(_TextServer):
    """Whois on loopback: ARIN-style text for ARIN networks, RIPE-style for RIPE ones."""

    def serve(self, sock: socket.socket) -> None:
        lines = self.read_lines(sock, None)
        query = lines[0] if lines else ""
        self.count(query)
        if not self._act(sock):
            return
        addr = query.split()[-1] if query.split() else ""
        net = _find(self.networks, addr)
        text = whois_text(net) if net is not None else f"% No entries found for {addr}\n"
        sock.sendall(text.encode())


class CymruServer(_TextServer):
    """Team Cymru's bulk whois: ``begin``, ``verbose``, addresses, ``end``."""

    def serve(self, sock: socket.socket) -> None:
        lines = self.read_lines(sock, "end")
        self.count("bulk")
        if not self._act(sock):
            return
        out = ["Bulk mode; whois.cymru.com [2024-05-01 10:00:00 +0000]"]
        for line in lines:
            if line in ("begin", "end", "verbose", "noasname", "") or line.startswith("-"):
                continue
            net = _find(self.networks, line)
            if net is None or net.asn is None:
                out.append(f"NA      | {line:<16} | NA | NA | NA | NA | NA")
                continue
            name = f"{net.as_name}, {net.country}"
            out.append(
                f"{net.asn:<7} | {line:<16} | {net.prefix:<18} | {net.country} | "
                f"{net.registry:<8} | 2016-08-09 | {name}"
            )
        sock.sendall(("\n".join(out) + "\n").encode())


class SilentServer(_Base):
    """Accepts connections and never answers (until stopped)."""

    def __init__(self) -> None:
        super().__init__()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._held: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self._spawn(self._accept)
        return self

    def _accept(self) -> None:
        deadline = time.monotonic() + 10 * MAX_HANG
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.count("accept")
            self._held.append(conn)

    def stop(self) -> None:
        self.stop_event.set()
        self._join()
        for conn in self._held:
            conn.close()
        self._sock.close()


class BlackholeServer(_Base):
    """Listens and never accepts: connects hang (or sit in the backlog) until timeout."""

    def __init__(self) -> None:
        super().__init__()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(0)
        return self

    def stop(self) -> None:
        self._sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


#: How the chaos RDAP server's networks misbehave (each at least once, the rest drawn at
#: random): answering at once, late (``slow``, a random delay under half the timeout) or
#: after one 429 with Retry-After (``429-once``), and every way of failing.
CHAOS_MODES = ("ok", "slow", "429-once:1", "429", "429:30", "503", "malformed", "wrong-type",
               "truncated", "reset", "hang")  # fmt: skip
#: The modes whose answer is a good one, sooner or later.
GOOD_CHAOS_MODES = frozenset({"ok", "slow", "429-once"})


@dataclass
class ChaosRun:
    """One :func:`run_chaos`: what each network did and what the resolver made of it."""

    networks: list[Net]
    modes: dict[str, str]  # network prefix -> mode
    results: dict[str, Any]  # address -> Owner or LookupFailure
    warnings: list[str]
    elapsed: float  # seconds
    served: Counter[str]  # network prefix -> good RDAP answers written in full
    config: Any  # the OnlineConfig

    def network(self, addr: str) -> Net:
        net = _find(self.networks, addr)
        assert net is not None, addr
        return net

    def good(self, net: Net) -> bool:
        """Whether the network's RDAP answer was a good one (sooner or later)."""
        return self.modes[net.prefix].partition(":")[0] in GOOD_CHAOS_MODES

    def budget(self) -> float:
        """The longest the run may take (seconds), from its configuration: one lookup per
        coalescing group (a /16 here), ``concurrency`` at a time, each within one RDAP and
        one whois ``timeout`` (Retry-After waits included), at most two RDAP requests per
        group behind the per-registry rate limit; Team Cymru in parallel."""
        from topo.owners.whois import cymru_budget

        config = self.config
        groups = len({ipaddress.ip_network(f"{a}/16", strict=False) for a in self.results})
        lookups = 2 * config.timeout * math.ceil(groups / config.concurrency)
        rate = config.rate_per_registry
        waiting = 2 * groups / rate if rate else 0.0
        return max(lookups + waiting, cymru_budget(config.timeout, len(self.results)) + 1.0)


def chaos_modes(networks: Sequence[Net], rng: random.Random, timeout: float) -> dict[str, str]:
    """A mode per network: every one of :data:`CHAOS_MODES`, then random ones, shuffled."""
    names = list(CHAOS_MODES)
    names += [rng.choice(CHAOS_MODES) for _ in range(len(networks) - len(names))]
    rng.shuffle(names)
    return {
        net.prefix: f"slow:{rng.uniform(0.05, timeout / 2):.2f}" if mode == "slow" else mode
        for net, mode in zip(networks, names, strict=False)
    }


def run_chaos(
    addresses: int, *, timeout: float, seed: int, networks: int = 40, **config: Any
) -> ChaosRun:
    """Resolve ``addresses`` random addresses in ``networks`` networks online against an
    RDAP server whose networks misbehave (:func:`chaos_modes`), with well-behaved whois
    and Team Cymru servers, all on loopback. ``config``: more :class:`OnlineConfig` fields
    (``whois_fallback=False`` asks RDAP only)."""
    from topo.owners.online import OnlineConfig, OnlineResolver

    assert networks >= len(CHAOS_MODES)
    rng = random.Random(seed)
    nets = generated_networks(networks)
    modes = chaos_modes(nets, rng, timeout)
    addrs = [f"45.{rng.randrange(networks)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
             for _ in range(addresses)]  # fmt: skip
    with (
        RdapServer(nets, modes=modes) as rdap,
        WhoisServer(nets) as whois,
        CymruServer(nets) as cymru,
    ):
        settings = OnlineConfig(rdap_url=rdap.url, whois_server=whois.address,
                                cymru_server=cymru.address, timeout=timeout,
                                **config)  # fmt: skip
        warnings: list[str] = []
        started = time.monotonic()
        results = OnlineResolver(settings, warn=warnings.append).lookup_many(addrs)
        elapsed = time.monotonic() - started
        served = Counter(rdap.served)
    return ChaosRun(nets, modes, dict(results), warnings, elapsed, served, settings)
