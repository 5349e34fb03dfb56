"""Whois (port 43) for topo: plain sockets, one budget per query, bounded reads.

Not through ipwhois, whose whois step resolves names with the system resolver and ignores
its timeout. Three things live here:

- :func:`whois_query`: send one line, read the answer until EOF within a time budget and
  at most :data:`MAX_ANSWER` bytes;
- :func:`parse_whois`: the owner from RIPE/APNIC-style (``inetnum``, ``descr``,
  ``org-name``, ``route``) or ARIN-style (``NetRange``, ``CIDR``, ``Organization``,
  ``OrgName``) text: the most specific network covering the address, and its organisation;
- :func:`cymru_bulk` and :func:`parse_cymru`: Team Cymru's bulk whois
  (``begin``/``verbose``/addresses/``end``), one connection for every address of a run.

>>> text = '''inetnum:        193.0.0.0 - 193.0.7.255
... netname:        RIPE-NCC
... descr:          RIPE Network Coordination Centre
... org:            ORG-RIEN1-RIPE
... country:        NL
...
... organisation:   ORG-RIEN1-RIPE
... org-name:       Reseaux IP Europeens Network Coordination Centre (RIPE NCC)
... '''
>>> owner = parse_whois(text, "193.0.6.139")
>>> owner.prefix, owner.org, owner.country, owner.answered_by
('193.0.0.0/21', 'Reseaux IP Europeens Network Coordination Centre (RIPE NCC)', 'NL', 'whois')
>>> rows = parse_cymru("16509 | 13.208.0.67 | 13.208.0.0/16 | JP | arin | 2016-08-09 | "
...                    "AMAZON-02, US")
>>> rows["13.208.0.67"]
CymruRow(asn=16509, prefix='13.208.0.0/16', country='JP', registry='arin', as_name='AMAZON-02')
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from topo.owners.breaker import OnlineError, RateLimiter, describe_network_error
from topo.owners.model import Owner

#: Largest whois answer read (bytes).
MAX_ANSWER = 1024 * 1024
IANA_WHOIS = "whois.iana.org"
_NETWORK_KEYS = ("inetnum", "inet6num", "netrange", "cidr")
_ROUTE_KEYS = ("route", "route6")
_HANDLE = re.compile(r"\s*\(([^()]+)\)\s*$")
_CC_SUFFIX = re.compile(r",\s*[A-Z]{2}$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def split_server(server: str, default_port: int = 43) -> tuple[str, int]:
    """``"host[:port]"`` (IPv6 as ``[addr]:port``) as ``(host, port)``.

    >>> split_server("127.0.0.1:4343"), split_server("whois.arin.net")
    (('127.0.0.1', 4343), ('whois.arin.net', 43))
    >>> split_server("[::1]:43")
    ('::1', 43)
    """
    text = server.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, default_port


def whois_query(
    server: str,
    query: str,
    *,
    timeout: float,
    idle_timeout: float | None = None,
    limiter: RateLimiter | None = None,
    cancel: threading.Event | None = None,
    count: Callable[[], None] = lambda: None,
) -> str:
    """Send ``query`` to ``server`` (``host[:port]``) and read the answer until EOF.

    The whole exchange (connect, send, every read) must end within ``timeout`` seconds,
    and with ``idle_timeout`` no wait for the server may last longer than that; answers
    longer than :data:`MAX_ANSWER` bytes are cut there.

    Example (needs a whois server; tests/test_owners_online.py runs one on loopback)::

        whois_query("127.0.0.1:4343", "193.0.6.139", timeout=2.0)
        # 'inetnum:        193.0.0.0 - 193.0.7.255\\n...'
    """
    host, port = split_server(server)
    where = f"{host}:{port}"
    stop = cancel or threading.Event()
    if limiter is not None and not limiter.acquire(host, stop):
        raise OnlineError("cancelled")
    idle = min(timeout, idle_timeout or timeout)
    deadline = time.monotonic() + timeout
    count()
    chunks: list[bytes] = []
    size = 0
    try:
        with socket.create_connection((host, port), timeout=idle) as sock:
            sock.settimeout(max(0.001, min(idle, deadline - time.monotonic())))
            sock.sendall(query.encode("utf-8") + b"\r\n")
            while size < MAX_ANSWER:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(min(idle, left))
                chunk = sock.recv(min(65536, MAX_ANSWER - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except OSError as exc:
        raise describe_network_error(exc, where, idle) from exc
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _records(text: str) -> list[list[tuple[str, str]]]:
    """Blank-line separated objects of ``key: value`` lines; comments dropped."""
    records: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if current:
                records.append(current)
                current = []
            continue
        if stripped[0] in "%#":
            continue
        key, sep, value = stripped.partition(":")
        if sep and key and " " not in key.strip():
            current.append((key.strip().lower(), value.strip()))
    if current:
        records.append(current)
    return records


def _first(record: list[tuple[str, str]], *keys: str) -> str | None:
    for key, value in record:
        if key in keys and value:
            return value
    return None


def _networks(value: str, key: str) -> list[IPNetwork]:
    try:
        if key in ("inetnum", "inet6num", "netrange") and " - " in value:
            start_text, _, end_text = value.partition(" - ")
            start, end = (
                ipaddress.ip_address(start_text.strip()),
                ipaddress.ip_address(end_text.strip()),
            )
            return list(ipaddress.summarize_address_range(start, end))
        return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",")]
    except (TypeError, ValueError):
        return []


def _covering(
    record: list[tuple[str, str]], ip: IPAddress, keys: Iterable[str]
) -> IPNetwork | None:
    wanted = tuple(keys)
    best: IPNetwork | None = None
    for key, value in record:
        if key not in wanted:
            continue
        for net in _networks(value, key):
            if (
                net.version == ip.version
                and ip in net
                and (best is None or net.prefixlen > best.prefixlen)
            ):
                best = net
    return best


def _org_of(record: list[tuple[str, str]], records: list[list[tuple[str, str]]]) -> str | None:
    organization = _first(record, "organization")  # ARIN: "Amazon Data Services Osaka (ADSO)"
    if organization:
        return _HANDLE.sub("", organization) or organization
    handle = _first(record, "org", "orgid")
    for other in records:
        if handle and _first(other, "organisation", "orgid") == handle:
            name = _first(other, "org-name", "orgname")
            if name:
                return name
    return _first(record, "orgname", "org-name", "descr", "owner") or _first(record, "netname")


def parse_whois(text: str, addr: str) -> Owner | None:
    """The :class:`Owner` a whois answer gives for ``addr`` (None: no covering network).

    ARIN lists the parent network first; the most specific one covering ``addr`` wins.

    >>> arin = '''NetRange:       13.0.0.0 - 13.255.255.255
    ... CIDR:           13.0.0.0/8
    ... Organization:   Amazon Technologies Inc. (AT-88-Z)
    ...
    ... NetRange:       13.208.0.0 - 13.208.255.255
    ... CIDR:           13.208.0.0/16
    ... NetName:        AMAZON-KIX
    ... Organization:   Amazon Data Services Osaka (ADSO)
    ... '''
    >>> parse_whois(arin, "13.208.0.67").org
    'Amazon Data Services Osaka'
    """
    ip = ipaddress.ip_address(addr)
    records = _records(text)
    best: tuple[IPNetwork, list[tuple[str, str]]] | None = None
    for keys in (_NETWORK_KEYS, _ROUTE_KEYS):
        for record in records:
            net = _covering(record, ip, keys)
            if net is not None and (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, record)
        if best is not None:
            break
    if best is None:
        return None
    net, record = best
    country = _first(record, "country")
    return Owner(
        prefix=str(net),
        org=_org_of(record, records),
        country=country.upper() if country and len(country) == 2 else None,
        answered_by="whois",
    )


def whois_referral(text: str) -> str | None:
    """The server IANA's whois refers to (``refer:`` or ``whois:``), if any.

    >>> whois_referral("% IANA WHOIS server\\nrefer:        whois.arin.net\\n")
    'whois.arin.net'
    """
    for record in _records(text):
        found = _first(record, "refer", "whois")
        if found:
            return found.split()[0]
    return None


def rir_query(server: str, addr: str) -> str:
    """The query text a registry's whois wants (ARIN needs ``n + ADDR`` for networks).

    >>> rir_query("whois.arin.net", "13.208.0.67"), rir_query("whois.ripe.net", "193.0.6.1")
    ('n + 13.208.0.67', '193.0.6.1')
    """
    return f"n + {addr}" if split_server(server)[0].lower() == "whois.arin.net" else addr


@dataclass(frozen=True, slots=True)
class CymruRow:
    """One answer line of Team Cymru's bulk whois (``as_name`` without its ``, CC``)."""

    asn: int | None
    prefix: str | None
    country: str | None
    registry: str | None
    as_name: str | None


def parse_cymru(text: str) -> dict[str, CymruRow]:
    """Rows of a verbose bulk answer, keyed by the address (normalised).

    ``AS | IP | BGP Prefix | CC | Registry | Allocated | AS Name``; ``NA`` means unknown.

    >>> parse_cymru("Bulk mode; whois.cymru.com [2024-05-01 10:00:00 +0000]\\n"
    ...             "NA | 45.0.0.1 | NA | US | arin | 2014-01-01 | NA")["45.0.0.1"].asn is None
    True
    """
    rows: dict[str, CymruRow] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 3 or cells[0].upper() == "AS":
            continue
        try:
            addr = str(ipaddress.ip_address(cells[1]))
        except ValueError:
            continue

        def cell(index: int, cells: list[str] = cells) -> str | None:
            value = cells[index] if index < len(cells) else ""
            return value if value and value.upper() != "NA" else None

        first_as = (cell(0) or "").split()
        asn = int(first_as[0]) if first_as and first_as[0].isdigit() else None
        name = cell(6)
        rows[addr] = CymruRow(
            asn=asn,
            prefix=cell(2),
            country=(cell(3) or "").upper() or None,
            registry=cell(4),
            as_name=_CC_SUFFIX.sub("", name) if name else None,
        )
    return rows


def cymru_budget(timeout: float, count: int) -> float:
    """Total seconds a bulk query of ``count`` addresses may take.

    >>> cymru_budget(5.0, 2000)
    15.0
    """
    return timeout * (1 + count / 1000)


def cymru_bulk(
    server: str,
    addrs: Iterable[str],
    *,
    timeout: float,
    limiter: RateLimiter | None = None,
    cancel: threading.Event | None = None,
    count: Callable[[], None] = lambda: None,
) -> dict[str, CymruRow]:
    """Origin AS, BGP prefix, country and AS name of ``addrs`` in one bulk query.

    A silent server costs ``timeout``; one that keeps answering may take
    ``timeout`` more per 1,000 addresses.

    Example (needs a Cymru-style server; the tests run one on loopback)::

        cymru_bulk("127.0.0.1:4344", ["13.208.0.67"], timeout=2.0)
        # {'13.208.0.67': CymruRow(asn=16509, prefix='13.208.0.0/16', ...)}
    """
    wanted = list(addrs)
    body = "\n".join(["begin", "verbose", *wanted, "end"])
    text = whois_query(
        server,
        body,
        timeout=cymru_budget(timeout, len(wanted)),
        idle_timeout=timeout,
        limiter=limiter,
        cancel=cancel,
        count=count,
    )
    return parse_cymru(text)
