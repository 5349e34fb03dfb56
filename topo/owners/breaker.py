"""Flow control for online owner lookups: failures, a circuit breaker, per-host rate limits.

:class:`OnlineError` is the one error every online step raises: ``reason`` is the text a
``LookupFailure`` carries, ``service_down`` says whether it counts against the service
(timeouts, refused or reset connections, truncated answers, HTTP 429/5xx) or only
against the address (HTTP 404, malformed JSON, a wrong content type).

:class:`CircuitBreaker` opens after ``failures_to_open`` consecutive service failures, or
as soon as the service has given nothing useful for a whole ``dead_time`` (so a silently
dropping server costs one timeout for the whole run, not one per address).
:class:`RateLimiter` is a token bucket per host contacted.

>>> breaker = CircuitBreaker("rdap", failures_to_open=2, dead_time=5.0, clock=lambda: 10.0)
>>> breaker.failure(started=9.9), breaker.failure(started=9.9), breaker.is_open
(False, True, True)
>>> breaker.reason
'circuit open: switched to offline after 2 network failures'
>>> describe_network_error(ConnectionRefusedError(), "127.0.0.1:9", 2.0).reason
'connection refused by 127.0.0.1:9'
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from topo.errors import TopoError

Clock = Callable[[], float]


class OnlineError(TopoError):
    """One online step failed; ``reason`` is the one-line text reported for the address.

    >>> err = OnlineError("HTTP 503 from rdap.arin.net", service_down=True)
    >>> err.reason, err.service_down, err.retry_after
    ('HTTP 503 from rdap.arin.net', True, None)
    """

    def __init__(
        self, reason: str, *, service_down: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.service_down = service_down
        self.retry_after = retry_after


def describe_network_error(exc: BaseException, where: str, timeout: float) -> OnlineError:
    """The :class:`OnlineError` for a socket-level exception talking to ``where``.

    >>> describe_network_error(TimeoutError(), "whois.arin.net:43", 2.0).reason
    'timeout after 2.0 s (whois.arin.net:43)'
    """
    if isinstance(exc, TimeoutError | socket.timeout):
        return OnlineError(f"timeout after {timeout:.1f} s ({where})", service_down=True)
    if isinstance(exc, ConnectionRefusedError):
        return OnlineError(f"connection refused by {where}", service_down=True)
    if isinstance(exc, http.client.IncompleteRead):
        got = len(exc.partial)
        return OnlineError(f"truncated response from {where} ({got} bytes)", service_down=True)
    if isinstance(exc, ConnectionResetError | BrokenPipeError | http.client.RemoteDisconnected):
        return OnlineError(f"connection reset by {where}", service_down=True)
    if isinstance(exc, ssl.SSLError):
        return OnlineError(f"TLS error with {where}: {exc}", service_down=True)
    if isinstance(exc, socket.gaierror):
        return OnlineError(f"cannot resolve {where}: {exc.strerror or exc}", service_down=True)
    if isinstance(exc, http.client.HTTPException):
        return OnlineError(f"bad HTTP response from {where}: {exc!r}", service_down=True)
    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc) or type(exc).__name__
        return OnlineError(f"network error with {where}: {detail}", service_down=True)
    return OnlineError(f"error with {where}: {exc!r}", service_down=True)


class CircuitBreaker:
    """Opens after consecutive service failures or a whole ``dead_time`` without an answer.

    Thread-safe. ``failure(started=...)`` takes the start time of the failed request: the
    service counts as dead when no request succeeded since the earliest failure of the
    current streak began and that is ``dead_time`` ago. Returns True when *this* call
    opened the breaker.

    >>> now = [0.0]
    >>> b = CircuitBreaker("whois", failures_to_open=3, dead_time=2.0, clock=lambda: now[0])
    >>> now[0] = 2.1
    >>> b.failure(started=0.0)   # one timeout of a full dead_time opens it
    True
    """

    def __init__(
        self,
        name: str,
        *,
        failures_to_open: int,
        dead_time: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.failures_to_open = max(1, failures_to_open)
        self.dead_time = dead_time
        self._clock = clock
        self._lock = threading.Lock()
        self._streak = 0
        self._streak_start: float | None = None
        self._last_success = float("-inf")
        self._open = False
        self.failures = 0
        self.last_reason: str | None = None

    @property
    def is_open(self) -> bool:
        """True once the breaker has opened (it stays open for the rest of the run)."""
        return self._open

    @property
    def reason(self) -> str:
        """The ``LookupFailure`` reason for addresses refused because the breaker is open."""
        return f"circuit open: switched to offline after {self.failures} network failures"

    def success(self) -> None:
        """The service answered (even "not found"): the failure streak ends."""
        with self._lock:
            self._streak = 0
            self._streak_start = None
            self._last_success = self._clock()

    def failure(self, *, started: float, reason: str | None = None) -> bool:
        """Record a service failure of a request started at ``started``."""
        with self._lock:
            self.failures += 1
            self.last_reason = reason or self.last_reason
            if self._open:
                return False
            self._streak += 1
            first = started if self._streak_start is None else min(self._streak_start, started)
            self._streak_start = first
            dead_for = self._clock() - max(first, self._last_success)
            if self._streak >= self.failures_to_open or dead_for >= self.dead_time:
                self._open = True
                return True
            return False


@dataclass
class _Bucket:
    tokens: float
    last: float
    paused_until: float = 0.0


class RateLimiter:
    """A token bucket per host: ``rate`` requests per second, bursts of ``max(1, rate)``.

    ``acquire(host, cancel)`` blocks until a token is free (returning False if ``cancel``
    is set first); ``pause(host, seconds)`` honours a server's Retry-After for every
    later request to that host.

    >>> limiter = RateLimiter(rate=1000.0)
    >>> limiter.acquire("rdap.arin.net", threading.Event())
    True
    """

    def __init__(self, rate: float, *, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _reserve(self, host: str) -> float:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(host, _Bucket(tokens=self.capacity, last=now))
            if self.rate > 0:
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.last) * self.rate)
            bucket.last = now
            bucket.tokens -= 1.0
            wait = -bucket.tokens / self.rate if bucket.tokens < 0 and self.rate > 0 else 0.0
            return max(wait, bucket.paused_until - now, 0.0)

    def acquire(self, host: str, cancel: threading.Event) -> bool:
        """Wait for a token for ``host``; False when ``cancel`` was set meanwhile."""
        if self.rate <= 0:
            return not cancel.is_set()
        wait = self._reserve(host)
        if wait > 0:
            return not cancel.wait(wait)
        return not cancel.is_set()

    def pause(self, host: str, seconds: float) -> None:
        """No request to ``host`` before ``seconds`` from now (a Retry-After)."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(host, _Bucket(tokens=self.capacity, last=now))
            bucket.paused_until = max(bucket.paused_until, now + seconds)
