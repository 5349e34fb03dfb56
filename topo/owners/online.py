"""Online owner lookups (``--online``): RDAP, whois as fallback, Team Cymru for origin ASNs.

Offline is topo's default; this module runs only when the user asks. For a batch of
public addresses :class:`OnlineResolver` answers who holds each one's network:

- **Coalescing.** Addresses are sorted and grouped per /16 (IPv4) or /32 (IPv6); a group
  has at most one lookup in flight, and when an answer arrives every pending address
  inside its prefix is answered from it. 1,000 addresses in 20 networks cost 20 lookups.
  A failure is shared the same way: within the failed address's /24 (/48), or its whole
  group when it is ``temporary`` (the server, not the address, is the problem).
- **Bounded.** At most ``concurrency`` lookups at a time, a token bucket per registry host
  (``rate_per_registry``), one ``timeout`` budget per lookup.
- **Circuit breakers** (one for RDAP, one for whois): open after ``failures_to_open``
  consecutive service failures, or when a service gave nothing for a whole ``timeout``;
  a dead server therefore costs one timeout for the run, not one per address. When RDAP
  is open the remaining addresses go to whois; when nothing is left no new lookup starts,
  those in flight end (each within its own budget, a good answer still counting), every
  address left gets ``LookupFailure("circuit open: ...")`` and :func:`warn` is called
  once. Answers already obtained are kept.
- **Team Cymru** is asked once per run (bulk whois) for every address's origin AS, AS name
  and country, in parallel with the registry lookups.

Special-purpose addresses are refused (:class:`SpecialAddressRefused`): the owner chain
filters them before calling, this is the assertion.

>>> OnlineConfig(timeout=2.0).timeout, LookupFailure("HTTP 429").reason
(2.0, 'HTTP 429')
>>> resolver = OnlineResolver(OnlineConfig(rdap_url="http://127.0.0.1:8080",
...                                        whois_server="127.0.0.1:4343",
...                                        cymru_server="127.0.0.1:4344"))
>>> resolver.lookup_many(["13.208.0.67"])  # doctest: +SKIP
{'13.208.0.67': Owner(prefix='13.208.0.0/16', org='Amazon Data Services Osaka',
                      asn=16509, asn_name='AMAZON-02', country='JP', answered_by='rdap')}
>>> resolver.lookup_many(["10.1.2.3"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
topo.owners.online.SpecialAddressRefused: 10.1.2.3 is a special-purpose address (private): ...
"""

from __future__ import annotations

import ipaddress
import queue
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from topo.classify import classify_address
from topo.errors import InvalidAddressError, TopoError, UsageError
from topo.owners.breaker import CircuitBreaker, OnlineError, RateLimiter
from topo.owners.model import Owner
from topo.owners.rdap import lookup_rdap
from topo.owners.whois import (
    IANA_WHOIS,
    CymruRow,
    cymru_budget,
    cymru_bulk,
    parse_whois,
    rir_query,
    whois_query,
    whois_referral,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Prefix lengths of the coalescing groups (one lookup in flight per group).
GROUP_PREFIX = {4: 16, 6: 32}
#: Prefix lengths a failure is shared within.
FAILURE_PREFIX = {4: 24, 6: 48}
#: How often the scheduler looks at the breakers while lookups are in flight (seconds).
_TICK = 0.05


class SpecialAddressRefused(TopoError, ValueError):
    """A special-purpose address was handed to the online resolver (a caller's bug)."""


@dataclass(frozen=True)
class OnlineConfig:
    """Where and how fast online lookups go. Defaults are the public services.

    ``rdap_url`` is a mirror: ``https://HOST/PATH`` is fetched as ``{rdap_url}/HOST/PATH``.
    ``whois_server`` (``host[:port]``) receives every whois query (otherwise IANA's whois
    refers to the registry); ``whois_fallback=False`` never uses whois. ``cymru_server``
    ``None`` skips origin-AS lookups. ``timeout`` is both the budget of one lookup and
    what a dead server may cost the whole run. ``rate_per_registry`` 0 means unlimited.

    >>> OnlineConfig(whois_server="127.0.0.1:4343").concurrency
    8
    >>> OnlineConfig(timeout=0)
    Traceback (most recent call last):
        ...
    topo.errors.UsageError: online timeout must be positive, not 0
    """

    rdap_url: str | None = None
    whois_server: str | None = None
    cymru_server: str | None = "whois.cymru.com:43"
    timeout: float = 5.0
    concurrency: int = 8
    rate_per_registry: float = 5.0
    failures_to_open: int = 3
    whois_fallback: bool = True

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise UsageError(f"online timeout must be positive, not {self.timeout}")
        if self.concurrency < 1 or self.failures_to_open < 1:
            raise UsageError("online concurrency and failures_to_open must be at least 1")
        if self.rate_per_registry < 0:
            raise UsageError("rate_per_registry must not be negative (0: unlimited)")

    def hosts(self) -> list[str]:
        """Every host this configuration may contact (for tests and ``--verbose``).

        >>> OnlineConfig(rdap_url="http://127.0.0.1:1", whois_server="127.0.0.1:2",
        ...              cymru_server=None).hosts()
        ['127.0.0.1', '127.0.0.1']
        """
        from urllib.parse import urlsplit

        from topo.owners.whois import split_server

        hosts = [
            urlsplit(self.rdap_url).hostname or "" if self.rdap_url else "rdap-bootstrap.arin.net"
        ]
        if self.whois_fallback:
            hosts.append(split_server(self.whois_server)[0] if self.whois_server else IANA_WHOIS)
        if self.cymru_server:
            hosts.append(split_server(self.cymru_server)[0])
        return hosts


@dataclass(frozen=True)
class LookupFailure:
    """Why an address has no online answer (``"timeout after 2.0 s"``, ``"HTTP 429"``...).

    ``temporary`` is True when the failure says nothing about the address (a timeout,
    a refused connection, HTTP 429/5xx, an open circuit): worth retrying later, not worth
    caching as "unknown".

    >>> LookupFailure("circuit open: switched to offline after 3 network failures").reason[:12]
    'circuit open'
    """

    reason: str
    temporary: bool = False


Answer = Owner | LookupFailure


def _warn_stderr(message: str) -> None:
    print(f"topo: warning: {message}", file=sys.stderr)


def _group(ip: IPAddress, lengths: dict[int, int]) -> IPNetwork:
    return ipaddress.ip_network(f"{ip}/{lengths[ip.version]}", strict=False)


class OnlineResolver:
    """Resolve batches of public addresses online (see the module docstring).

    ``requests_made`` counts every request sent (``requests_by_kind``: ``rdap`` HTTP
    requests, redirects included; ``whois`` queries; ``cymru`` bulk queries).
    ``warn`` receives one line per breaker that opens and per Cymru failure; ``progress``
    ``(done, total)`` as answers arrive.
    """

    def __init__(
        self,
        config: OnlineConfig,
        *,
        warn: Callable[[str], None] = _warn_stderr,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.config = config
        self.warn = warn
        self.progress = progress
        self.requests_by_kind: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._limiter = RateLimiter(config.rate_per_registry)
        self._referrals: dict[IPNetwork, str] = {}
        self._referral_lock = threading.Lock()
        self.rdap_breaker = self._breaker("rdap")
        self.whois_breaker = self._breaker("whois")

    def _breaker(self, name: str) -> CircuitBreaker:
        return CircuitBreaker(
            name, failures_to_open=self.config.failures_to_open, dead_time=self.config.timeout
        )

    @property
    def requests_made(self) -> int:
        """Requests sent so far, every kind together."""
        with self._count_lock:
            return sum(self.requests_by_kind.values())

    def _counter(self, kind: str) -> Callable[[], None]:
        def count() -> None:
            with self._count_lock:
                self.requests_by_kind[kind] += 1

        return count

    # -- one address ---------------------------------------------------------------

    def _whois_server_for(self, ip: IPAddress, cancel: threading.Event) -> str:
        if self.config.whois_server:
            return self.config.whois_server
        block = _group(ip, {4: 8, 6: 16})
        with self._referral_lock:
            known = self._referrals.get(block)
        if known:
            return known
        text = whois_query(
            IANA_WHOIS,
            str(ip),
            timeout=self.config.timeout,
            limiter=self._limiter,
            cancel=cancel,
            count=self._counter("whois"),
        )
        server = whois_referral(text)
        if server is None:
            raise OnlineError(f"IANA has no whois referral for {ip}")
        with self._referral_lock:
            self._referrals[block] = server
        return server

    def _whois(self, ip: IPAddress, cancel: threading.Event) -> Owner:
        server = self._whois_server_for(ip, cancel)
        text = whois_query(
            server,
            rir_query(server, str(ip)),
            timeout=self.config.timeout,
            limiter=self._limiter,
            cancel=cancel,
            count=self._counter("whois"),
        )
        owner = parse_whois(text, str(ip))
        if owner is None:
            raise OnlineError(f"no network for {ip} in the answer of {server}")
        return owner

    def _step(
        self, breaker: CircuitBreaker, run: Callable[[], Owner], reasons: list[tuple[str, bool]]
    ) -> Owner | None:
        if breaker.is_open:
            reasons.append((breaker.reason, True))
            return None
        started = time.monotonic()
        try:
            owner = run()
        except OnlineError as err:
            reasons.append((err.reason, err.service_down or err.reason == "cancelled"))
            if err.service_down:
                breaker.failure(started=started, reason=err.reason)
            elif err.reason != "cancelled":
                breaker.success()
            return None
        breaker.success()
        return owner

    def _resolve(self, ip: IPAddress, cancel: threading.Event) -> Answer:
        addr = str(ip)
        reasons: list[tuple[str, bool]] = []
        owner = self._step(
            self.rdap_breaker,
            lambda: lookup_rdap(
                addr,
                mirror=self.config.rdap_url,
                timeout=self.config.timeout,
                limiter=self._limiter,
                cancel=cancel,
                count=self._counter("rdap"),
            ),
            reasons,
        )
        if owner is None and self.config.whois_fallback and not cancel.is_set():
            whois_reasons: list[tuple[str, bool]] = []
            owner = self._step(self.whois_breaker, lambda: self._whois(ip, cancel), whois_reasons)
            reasons = [(f"rdap: {r}", t) for r, t in reasons]
            reasons += [(f"whois: {r}", t) for r, t in whois_reasons]
        if owner is not None:
            return owner
        return LookupFailure("; ".join(r for r, _ in reasons), temporary=any(t for _, t in reasons))

    # -- the batch -----------------------------------------------------------------

    def _offline(self) -> CircuitBreaker | None:
        """The breaker that took the run offline, if every registry service is open."""
        if not self.rdap_breaker.is_open:
            return None
        if self.config.whois_fallback and not self.whois_breaker.is_open:
            return None
        return self.whois_breaker if self.config.whois_fallback else self.rdap_breaker

    def _cymru(
        self, addrs: list[str], cancel: threading.Event, out: dict[str, CymruRow | OnlineError]
    ) -> None:
        server = self.config.cymru_server
        if not server or not addrs:
            return
        try:
            out.update(
                cymru_bulk(
                    server,
                    addrs,
                    timeout=self.config.timeout,
                    limiter=self._limiter,
                    cancel=cancel,
                    count=self._counter("cymru"),
                )
            )
        except OnlineError as err:
            out["__error__"] = err

    def lookup_many(self, addrs: Sequence[str]) -> dict[str, Answer]:
        """An :class:`Owner` or a :class:`LookupFailure` for every address of ``addrs``.

        Keys are the strings given. Raises :class:`~topo.errors.InvalidAddressError` for a
        string that is no address and :class:`SpecialAddressRefused` for a special-purpose
        address, before anything is sent.
        """
        given: dict[IPAddress, list[str]] = {}
        for text in addrs:
            try:
                ip = ipaddress.ip_address(text.strip())
            except ValueError as exc:
                raise InvalidAddressError(f"not an IP address: {text!r}") from exc
            klass = classify_address(str(ip))
            if klass.special:
                raise SpecialAddressRefused(
                    f"{ip} is a special-purpose address ({klass.category}): never looked up"
                )
            given.setdefault(ip, []).append(text)
        ordered = sorted(given, key=lambda ip: (ip.version, int(ip)))
        answers = self._run(ordered)
        return {text: answers[ip] for ip, texts in given.items() for text in texts}

    def _run(self, ordered: list[IPAddress]) -> dict[IPAddress, Answer]:
        total = len(ordered)
        results: dict[IPAddress, Answer] = {}
        if not ordered:
            return results
        cancel = threading.Event()
        cymru: dict[str, CymruRow | OnlineError] = {}
        cymru_thread = threading.Thread(
            target=self._cymru, args=([str(ip) for ip in ordered], cancel, cymru), daemon=True
        )
        cymru_thread.start()
        cymru_deadline = time.monotonic() + cymru_budget(self.config.timeout, total) + 1.0

        pending: dict[IPNetwork, deque[IPAddress]] = {}
        for ip in ordered:
            pending.setdefault(_group(ip, GROUP_PREFIX), deque()).append(ip)
        known: list[IPNetwork] = []
        owners: dict[IPNetwork, Owner] = {}
        in_flight: dict[IPNetwork, IPAddress] = {}
        done: queue.Queue[tuple[IPAddress, Answer]] = queue.Queue()
        warned: set[str] = set()
        reported = 0

        def settle(ip: IPAddress, answer: Answer) -> None:
            results[ip] = answer

        def cover(ip: IPAddress) -> Owner | None:
            for net in known:
                if net.version == ip.version and ip in net:
                    return owners[net]
            return None

        def worker(ip: IPAddress) -> None:
            done.put((ip, self._resolve(ip, cancel)))

        def spread(ip: IPAddress, answer: Answer) -> None:
            """Answer the pending addresses the new answer covers."""
            if isinstance(answer, Owner):
                if not answer.prefix:
                    return
                net = ipaddress.ip_network(answer.prefix, strict=False)
                if net not in owners:
                    known.append(net)
                    known.sort(key=lambda n: -n.prefixlen)  # most specific first
                owners[net] = answer
            else:  # server trouble repeats for the group; "not found" only nearby
                net = _group(ip, GROUP_PREFIX if answer.temporary else FAILURE_PREFIX)
            for group in [g for g in pending if g.version == net.version and g.overlaps(net)]:
                queue_ = pending[group]
                keep = deque(p for p in queue_ if p not in net)
                for other in queue_:
                    if other in net:
                        settle(other, answer)
                if keep:
                    pending[group] = keep
                else:
                    del pending[group]

        def receive(wait: float) -> None:
            """Take the answers that arrive within ``wait`` seconds (at least one poll)."""
            deadline = time.monotonic() + wait
            while True:
                try:
                    ip, answer = done.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    return
                in_flight.pop(_group(ip, GROUP_PREFIX), None)
                settle(ip, answer)
                spread(ip, answer)
                deadline = time.monotonic()

        def warn_whois_only() -> None:
            usable = "offline" not in warned  # when all stopped, that warning says it all
            if usable and self.rdap_breaker.is_open and self.config.whois_fallback:
                self._warn_once(
                    warned,
                    "rdap",
                    f"RDAP {self.rdap_breaker.reason} "
                    f"(last: {self.rdap_breaker.last_reason}); using whois only",
                )

        try:
            while pending or in_flight:
                offline = self._offline()
                if offline is not None:
                    self._warn_once(warned, "offline", self._offline_message(offline, total))
                    failure = LookupFailure(offline.reason, temporary=True)
                    # Nothing new starts. What is in flight ends within its own budget and
                    # its answer (a good one may still come) serves its group's addresses.
                    for group in [g for g in pending if g not in in_flight]:
                        for ip in pending.pop(group):
                            settle(ip, failure)
                    deadline = time.monotonic() + 2 * self.config.timeout + 1.0  # RDAP, whois
                    while in_flight and time.monotonic() < deadline:
                        receive(_TICK)
                    for ip in [*in_flight.values(), *(p for q in pending.values() for p in q)]:
                        settle(ip, cover(ip) or failure)
                    pending.clear()
                    in_flight.clear()
                    break
                warn_whois_only()
                for group in list(pending):
                    if len(in_flight) >= max(1, self.config.concurrency):
                        break
                    if group in in_flight:
                        continue
                    queue_ = pending[group]
                    while queue_:
                        ip = queue_.popleft()
                        hit = cover(ip)
                        if hit is None:
                            in_flight[group] = ip
                            threading.Thread(target=worker, args=(ip,), daemon=True).start()
                            break
                        settle(ip, hit)
                    if not queue_:
                        del pending[group]
                receive(_TICK)
                if self.progress is not None and len(results) != reported:
                    reported = len(results)
                    self.progress(reported, total)
        finally:
            cancel.set()
        # the breaker may open while the last lookups are in flight, after the loop's check
        warn_whois_only()
        cymru_thread.join(max(0.0, cymru_deadline - time.monotonic()))
        error = cymru.get("__error__")
        if isinstance(error, OnlineError):
            self.warn(f"Team Cymru origin-AS lookup failed ({error.reason}); no ASNs")
        merged = {ip: self._with_asn(answer, cymru.get(str(ip))) for ip, answer in results.items()}
        if self.progress is not None and reported != total:
            self.progress(total, total)
        return merged

    def _warn_once(self, warned: set[str], key: str, message: str) -> None:
        if key not in warned:
            warned.add(key)
            self.warn(message)

    def _offline_message(self, breaker: CircuitBreaker, total: int) -> str:
        return (
            f"online lookups stopped: {breaker.reason} (last: {breaker.last_reason}); "
            f"the remaining addresses of {total} stay unresolved"
        )

    @staticmethod
    def _with_asn(answer: Answer, row: CymruRow | OnlineError | None) -> Answer:
        if not isinstance(answer, Owner) or not isinstance(row, CymruRow):
            return answer
        return replace(
            answer,
            asn=row.asn if row.asn is not None else answer.asn,
            asn_name=row.as_name or answer.asn_name,
            country=row.country or answer.country,
        )
