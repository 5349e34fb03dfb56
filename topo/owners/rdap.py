"""RDAP lookups through ipwhois, with a fetcher that enforces topo's budgets.

ipwhois builds the URL (``https://rdap-bootstrap.arin.net/bootstrap/ip/ADDR`` with
``bootstrap=True``, so no Team Cymru query through the system resolver) and follows the
bootstrap's redirect to the registry; every HTTP request goes through
:class:`RdapHandler`, handed to ipwhois as its ``proxy_opener``. The handler

- rewrites ``https://HOST/PATH`` to ``{mirror}/HOST/PATH`` when a mirror is configured;
- waits for the per-host token bucket, then fetches with ``http.client`` against one time
  budget for the whole lookup (connect, headers, body, redirects), reads at most
  :data:`MAX_BODY` bytes and notices truncated bodies;
- turns HTTP 429 (with its Retry-After), 5xx, 404, wrong content types and malformed JSON
  into :class:`OnlineError` with a clear reason (ipwhois would hide them behind a bare
  ``HTTPLookupError``, and would *sleep* on 429: it is called with ``retry_count=0``).

:func:`parse_rdap` reads the answer itself: the covering prefix from ``cidr0_cidrs`` or
``startAddress``/``endAddress``, the organisation from the registrant entity's vCard
``fn`` (never the abuse contact), else the description remark, else the network name.

>>> answer = {"handle": "NET-13-208-0-0-1", "startAddress": "13.208.0.0",
...           "endAddress": "13.208.255.255", "name": "AMAZON-KIX",
...           "entities": [{"handle": "ADSO", "roles": ["registrant"],
...                         "vcardArray": ["vcard", [["fn", {}, "text",
...                                                   "Amazon Data Services Osaka"]]]}]}
>>> owner = parse_rdap(answer, "13.208.0.67")
>>> owner.prefix, owner.org, owner.answered_by
('13.208.0.0/16', 'Amazon Data Services Osaka', 'rdap')
>>> lookup_rdap("13.208.0.67", mirror="http://127.0.0.1:8080", timeout=2.0,
...             limiter=RateLimiter(5.0), cancel=threading.Event())  # doctest: +SKIP
Owner(prefix='13.208.0.0/16', org='Amazon Data Services Osaka', ..., answered_by='rdap')
"""

from __future__ import annotations

import email.utils
import http.client
import io
import ipaddress
import json
import ssl
import threading
import time
import urllib.request
import urllib.response
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from topo.owners.breaker import OnlineError, RateLimiter, describe_network_error
from topo.owners.model import Owner

#: Largest RDAP answer read (bytes); bigger answers fail the lookup.
MAX_BODY = 2 * 1024 * 1024
#: Most Retry-After waits honoured within one lookup.
MAX_RATE_LIMIT_RETRIES = 2
_ACCEPT = "application/rdap+json, application/json;q=0.9"
_USER_AGENT = "topo (+https://example.invalid/topo)"
_IGNORED_ROLES = frozenset({"abuse", "technical", "administrative", "noc", "routing"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class RequestBudget:
    """The network time one lookup may spend; rate-limit waits do not count.

    >>> budget = RequestBudget(2.0)
    >>> budget.used += 0.5
    >>> budget.remaining()
    1.5
    """

    total: float
    used: float = 0.0

    def remaining(self) -> float:
        """Seconds left (may be negative once spent)."""
        return self.total - self.used


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date).

    >>> retry_after_seconds("3"), retry_after_seconds(None), retry_after_seconds("soon")
    (3.0, None, None)
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class RdapHandler(urllib.request.BaseHandler):
    """The urllib handler ipwhois fetches through (see the module docstring).

    ``error`` keeps the last :class:`OnlineError` raised, because ipwhois replaces every
    exception by a generic one; ``count`` is called once per HTTP request sent.
    """

    handler_order = 100

    def __init__(
        self,
        *,
        mirror: str | None,
        budget: RequestBudget,
        limiter: RateLimiter,
        cancel: threading.Event,
        count: Callable[[], None],
    ) -> None:
        self.mirror = mirror.rstrip("/") if mirror else None
        self.budget = budget
        self.limiter = limiter
        self.cancel = cancel
        self.count = count
        self.error: OnlineError | None = None
        self.last_host: str | None = None

    def target(self, url: str) -> tuple[str, str]:
        """``(host the request is for, URL actually fetched)`` for ``url``.

        >>> handler = RdapHandler(mirror="http://127.0.0.1:8080/", budget=RequestBudget(1.0),
        ...                       limiter=RateLimiter(1.0), cancel=threading.Event(),
        ...                       count=lambda: None)
        >>> handler.target("https://rdap.arin.net/registry/ip/13.208.0.67")
        ('rdap.arin.net', 'http://127.0.0.1:8080/rdap.arin.net/registry/ip/13.208.0.67')
        >>> handler.target("http://127.0.0.1:8080/rdap.arin.net/registry/ip/13.208.0.67")[0]
        'rdap.arin.net'
        """
        if self.mirror is None:
            return urlsplit(url).hostname or "?", url
        if url.startswith(self.mirror + "/"):
            host = url[len(self.mirror) + 1 :].split("/", 1)[0]
            return host, url
        parts = urlsplit(url)
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return parts.hostname or "?", f"{self.mirror}/{parts.netloc}{rest}"

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        """Fetch an ``http://`` URL (see :meth:`fetch`)."""
        return self.fetch(req)

    def https_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        """Fetch an ``https://`` URL (see :meth:`fetch`)."""
        return self.fetch(req)

    def fetch(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        """One HTTP GET within the budget; 2xx and 3xx answers go back to urllib."""
        try:
            return self._fetch(req)
        except OnlineError as err:
            self.error = err
            raise

    def _fetch(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        host, url = self.target(req.full_url)
        self.last_host = host
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OnlineError(f"unsupported RDAP URL {url!r}")
        if not self.limiter.acquire(host, self.cancel):
            raise OnlineError("cancelled")
        remaining = self.budget.remaining()
        if remaining <= 0:
            reason = f"timeout after {self.budget.total:.1f} s ({host})"
            raise OnlineError(reason, service_down=True)
        where = host if self.mirror is None else f"{host} via {parts.netloc}"
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=remaining, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        started = time.monotonic()
        deadline = started + remaining
        self.count()
        try:
            conn.request("GET", path, headers={"Accept": _ACCEPT, "User-Agent": _USER_AGENT})
            resp = conn.getresponse()
            body = _read_body(conn, resp, deadline, where)
        except (OSError, http.client.HTTPException) as exc:
            raise describe_network_error(exc, where, self.budget.total) from exc
        finally:
            conn.close()
            self.budget.used += time.monotonic() - started
        return self._answer(req, resp, body, where)

    def _answer(
        self, req: urllib.request.Request, resp: http.client.HTTPResponse, body: bytes, where: str
    ) -> urllib.response.addinfourl:
        status = resp.status
        if status == 429:
            wait = retry_after_seconds(resp.getheader("Retry-After"))
            raise OnlineError(f"HTTP 429 from {where}", service_down=True, retry_after=wait)
        if status >= 500:
            raise OnlineError(f"HTTP {status} from {where}", service_down=True)
        if status == 404:
            raise OnlineError(f"no RDAP record (HTTP 404 from {where})")
        if status >= 400:
            raise OnlineError(f"HTTP {status} from {where}")
        if 200 <= status < 300:
            ctype = (resp.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            if not ctype.endswith("json"):
                raise OnlineError(f"wrong content type {ctype or 'none'!r} from {where}")
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise OnlineError(f"malformed RDAP JSON from {where}") from exc
            if not isinstance(data, dict):
                raise OnlineError(f"malformed RDAP JSON from {where} (not an object)")
        answer = urllib.response.addinfourl(io.BytesIO(body), resp.headers, req.full_url, status)
        answer.msg = resp.reason  # type: ignore[attr-defined]
        return answer


def _read_body(
    conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, deadline: float, where: str
) -> bytes:
    expected = resp.getheader("Content-Length")
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if conn.sock is not None:
            conn.sock.settimeout(left)
        chunk = resp.read1(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY:
            raise OnlineError(f"RDAP answer from {where} larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    if expected is not None and expected.strip().isdigit() and size < int(expected):
        raise http.client.IncompleteRead(b"".join(chunks), int(expected) - size)
    return b"".join(chunks)


def _opener(handler: RdapHandler) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for extra in (
        handler,
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(extra)
    return opener


def _ipwhois_rdap(addr: str, handler: RdapHandler, timeout: float) -> dict[str, Any]:
    from ipwhois import IPWhois  # heavy import (dnspython): only when online

    try:
        result = IPWhois(addr, timeout=timeout, proxy_opener=_opener(handler)).lookup_rdap(
            inc_raw=True,
            retry_count=0,
            depth=0,
            bootstrap=True,
            rate_limit_timeout=0,
            inc_nir=False,
            asn_methods=["http"],
            get_asn_description=False,
            root_ent_check=False,
        )
    except Exception as exc:  # ipwhois hides the cause; the handler kept it
        if handler.error is not None:
            raise handler.error from exc
        name = type(exc).__name__
        if name.startswith("Invalid"):
            raise OnlineError(f"malformed RDAP answer: {exc}") from exc
        raise OnlineError(f"RDAP lookup failed: {name}: {exc}") from exc
    raw = result.get("raw") if isinstance(result, dict) else None
    if not isinstance(raw, dict):
        raise OnlineError("malformed RDAP JSON (no network object)")
    return raw


def lookup_rdap(
    addr: str,
    *,
    mirror: str | None,
    timeout: float,
    limiter: RateLimiter,
    cancel: threading.Event,
    count: Callable[[], None] = lambda: None,
) -> Owner:
    """The owner of ``addr``'s network from RDAP, or :class:`OnlineError`.

    ``timeout`` is the budget of the whole lookup (redirects and honoured Retry-After
    waits included); a 429 whose Retry-After does not fit in what is left fails at once.
    """
    budget = RequestBudget(timeout)
    for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
        handler = RdapHandler(
            mirror=mirror, budget=budget, limiter=limiter, cancel=cancel, count=count
        )
        try:
            return parse_rdap(_ipwhois_rdap(addr, handler, timeout), addr)
        except OnlineError as err:
            if err.retry_after is None:
                if err.reason.startswith("HTTP 429"):
                    raise OnlineError(f"{err.reason} (no Retry-After)", service_down=True) from err
                raise
            left = budget.remaining()
            if err.retry_after > left:
                raise OnlineError(
                    f"{err.reason}: Retry-After {err.retry_after:g} s exceeds the remaining "
                    f"{max(left, 0.0):.1f} s budget",
                    service_down=True,
                ) from err
            if handler.last_host:
                limiter.pause(handler.last_host, err.retry_after)
            if cancel.wait(err.retry_after):
                raise OnlineError("cancelled") from err
            budget.used += err.retry_after
    raise OnlineError(
        f"HTTP 429: still rate limited after {MAX_RATE_LIMIT_RETRIES} Retry-After waits",
        service_down=True,
    )


def _address(text: str, version: int) -> IPAddress:
    if version == 4 and "." in text:  # RDAP may zero-pad IPv4 octets
        text = ".".join(str(int(part)) for part in text.strip().split("."))
    return ipaddress.ip_address(text.strip())


def _most_specific(networks: list[IPNetwork], ip: IPAddress) -> IPNetwork | None:
    covering = [net for net in networks if net.version == ip.version and ip in net]
    return max(covering, key=lambda net: net.prefixlen) if covering else None


def rdap_prefix(data: Mapping[str, Any], ip: IPAddress) -> str | None:
    """The CIDR of the RDAP network covering ``ip`` (``cidr0_cidrs``, else the range).

    >>> rdap_prefix({"cidr0_cidrs": [{"v4prefix": "15.230.0.0", "length": 16}]},
    ...             ipaddress.ip_address("15.230.1.1"))
    '15.230.0.0/16'
    >>> rdap_prefix({"startAddress": "193.0.0.0", "endAddress": "193.0.11.255"},
    ...             ipaddress.ip_address("193.0.9.1"))
    '193.0.8.0/22'
    """
    networks: list[IPNetwork] = []
    for item in data.get("cidr0_cidrs") or ():
        if not isinstance(item, Mapping):
            continue
        base = item.get("v4prefix") or item.get("v6prefix")
        try:
            length = int(str(item.get("length")))
            networks.append(ipaddress.ip_network(f"{base}/{length}", strict=False))
        except (TypeError, ValueError):
            continue
    found = _most_specific(networks, ip)
    if found is None:
        try:
            start = _address(str(data["startAddress"]), ip.version)
            end = _address(str(data["endAddress"]), ip.version)
            blocks: list[IPNetwork] = list(ipaddress.summarize_address_range(start, end))
        except (KeyError, TypeError, ValueError):
            return None
        found = _most_specific(blocks, ip)
    return str(found) if found is not None else None


def vcard_value(entity: Mapping[str, Any], name: str) -> str | None:
    """The first ``name`` property (``fn``, ``kind``, ...) of an entity's vCard.

    >>> vcard_value({"vcardArray": ["vcard", [["fn", {}, "text", "RIPE NCC"]]]}, "fn")
    'RIPE NCC'
    """
    card = entity.get("vcardArray")
    if not isinstance(card, list) or len(card) < 2 or not isinstance(card[1], list):
        return None
    for prop in card[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == name:
            value = prop[3]
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _entities(data: Mapping[str, Any], depth: int = 3) -> Iterator[Mapping[str, Any]]:
    """Entities breadth first: the network's own, then the ones they nest."""
    level = [e for e in data.get("entities") or () if isinstance(e, Mapping)]
    for _ in range(depth):
        yield from level
        level = [
            child
            for entity in level
            for child in entity.get("entities") or ()
            if isinstance(child, Mapping)
        ]


def rdap_org(data: Mapping[str, Any]) -> str | None:
    """The organisation holding an RDAP network (registrant, not abuse contact).

    >>> rdap_org({"remarks": [{"title": "description",
    ...                        "description": ["Amazon Data Services Japan"]}],
    ...           "entities": [{"roles": ["abuse"], "vcardArray": ["vcard",
    ...                         [["fn", {}, "text", "Abuse desk"]]]}], "name": "AMAZON-AP"})
    'Amazon Data Services Japan'
    """
    entities = list(_entities(data))
    for entity in entities:
        roles = {str(r).lower() for r in entity.get("roles") or ()}
        if "registrant" in roles and (name := vcard_value(entity, "fn")):
            return name
    for remark in data.get("remarks") or ():
        if not isinstance(remark, Mapping):
            continue
        title = str(remark.get("title") or "description").lower()
        lines = [str(x).strip() for x in remark.get("description") or () if str(x).strip()]
        if title in ("description", "descr") and lines:
            return lines[0]
    for entity in entities:
        roles = {str(r).lower() for r in entity.get("roles") or ()}
        kind = (vcard_value(entity, "kind") or "").lower()
        if kind == "org" and not roles & _IGNORED_ROLES and (name := vcard_value(entity, "fn")):
            return name
    name = data.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def parse_rdap(data: Mapping[str, Any], addr: str) -> Owner:
    """The :class:`Owner` an RDAP ip-network answer gives for ``addr``."""
    ip = ipaddress.ip_address(addr)
    prefix = rdap_prefix(data, ip)
    if prefix is None:
        raise OnlineError(f"malformed RDAP JSON: no network covering {addr}")
    country = data.get("country")
    return Owner(
        prefix=prefix,
        org=rdap_org(data),
        country=country.strip().upper() if isinstance(country, str) and country.strip() else None,
        answered_by="rdap",
    )
