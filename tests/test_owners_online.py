"""Online owner lookups against loopback servers: answers, coalescing, misbehaving servers.

Nothing leaves 127.0.0.1: every resolver is built by :func:`make_resolver`, which checks
that each configured host is loopback, and an autouse fixture makes ``getaddrinfo`` and
``create_connection`` refuse (and record) any other host. Timings are asserted generously
(``timeout + 2 s``): they guard against hangs, not for speed.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import (
    AMAZON_OSAKA,
    AMAZON_TECH,
    CHAOS_MODES,
    RIPE_NCC,
    BlackholeServer,
    CymruServer,
    Net,
    RdapServer,
    SilentServer,
    WhoisServer,
    closed_port,
    default_networks,
    generated_networks,
    run_chaos,
)
from topo.errors import InvalidAddressError
from topo.owners.breaker import CircuitBreaker, RateLimiter
from topo.owners.model import Owner
from topo.owners.online import (
    LookupFailure,
    OnlineConfig,
    OnlineResolver,
    SpecialAddressRefused,
)
from topo.owners.whois import parse_whois

TIMEOUT = 1.0  # for the tests of dead and slow servers
RELAXED = 5.0  # everywhere else: a loaded machine must not fail a test
SLACK = 2.0

_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


class NonLoopbackError(OSError):
    """A test tried to reach a host that is not 127.0.0.1."""


def _loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return str(host) == "localhost"


@pytest.fixture
def blocked() -> list[str]:
    """Non-loopback hosts the code tried to reach (the guard refused them)."""
    return []


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch, blocked: list[str]) -> Iterator[None]:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            blocked.append(str(host))
            raise NonLoopbackError(f"test tried to resolve {host!r}")
        return _real_getaddrinfo(host, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _loopback(address[0]):
            blocked.append(str(address[0]))
            raise NonLoopbackError(f"test tried to connect to {address!r}")
        return _real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield
    assert blocked == [], f"tests must stay on loopback, tried {blocked}"


def make_resolver(
    *,
    rdap: str,
    whois: str | None = None,
    cymru: str | None = None,
    **overrides: Any,
) -> tuple[OnlineResolver, list[str], list[tuple[int, int]]]:
    """A resolver on loopback servers, with its warnings and progress calls recorded."""
    settings: dict[str, Any] = {
        "rdap_url": rdap,
        "whois_server": whois,
        "whois_fallback": whois is not None,
        "cymru_server": cymru,
        "timeout": RELAXED,
        "rate_per_registry": 1000.0,
        **overrides,
    }
    config = OnlineConfig(**settings)
    assert all(_loopback(host) for host in config.hosts()), config
    warnings: list[str] = []
    progress: list[tuple[int, int]] = []
    resolver = OnlineResolver(
        config, warn=warnings.append, progress=lambda done, total: progress.append((done, total))
    )
    return resolver, warnings, progress


def addresses_in(net: Net, count: int, seed: int = 1) -> list[str]:
    network = net.network
    rng = random.Random(seed)
    size = network.num_addresses
    return [str(network.network_address + rng.randrange(1, size - 1)) for _ in range(count)]


# -- correct answers ---------------------------------------------------------------------


@pytest.mark.parametrize("redirect", [False, True], ids=["direct", "bootstrap-redirect"])
def test_served_networks_resolve(redirect: bool) -> None:
    with (
        RdapServer(default_networks(), redirect=redirect) as rdap,
        CymruServer(default_networks()) as cymru,
    ):
        resolver, warnings, _ = make_resolver(rdap=rdap.url, cymru=cymru.address)
        got = resolver.lookup_many(["13.208.0.67", "15.230.39.1", "193.0.6.139", "2600:1f00::5"])
    osaka = got["13.208.0.67"]
    assert isinstance(osaka, Owner)
    assert (osaka.prefix, osaka.org, osaka.asn, osaka.asn_name, osaka.country) == (
        "13.208.0.0/16",
        "Amazon Data Services Osaka",
        16509,
        "AMAZON-02",
        "JP",
    )
    assert osaka.answered_by == "rdap" and osaka.family is None
    tech = got["15.230.39.1"]
    assert isinstance(tech, Owner)
    assert (tech.prefix, tech.org) == ("15.230.0.0/16", "Amazon Technologies Inc.")
    ripe = got["193.0.6.139"]
    assert isinstance(ripe, Owner)
    assert ripe.org == RIPE_NCC.org  # the registrant org, not the abuse contact listed first
    assert (ripe.prefix, ripe.asn) == ("193.0.0.0/21", 3333)
    v6 = got["2600:1f00::5"]
    assert isinstance(v6, Owner)
    assert (v6.prefix, v6.org) == ("2600:1f00::/24", "Amazon.com, Inc.")
    assert warnings == []
    assert resolver.requests_by_kind["cymru"] == 1
    if redirect:  # bootstrap answered with a redirect, the registry with the network
        assert rdap.lookups["rdap.arin.net"] == 3 and rdap.lookups["rdap.db.ripe.net"] == 1


def test_keys_are_the_strings_given_and_duplicates_are_looked_up_once() -> None:
    with RdapServer() as rdap:
        resolver, _, _ = make_resolver(rdap=rdap.url)
        got = resolver.lookup_many(["13.208.0.67", "13.208.0.67", "2600:1F00::5"])
    assert set(got) == {"13.208.0.67", "2600:1F00::5"}
    assert rdap.ip_lookups == 2


def test_thousand_addresses_in_twenty_networks_cost_at_most_twenty_requests() -> None:
    networks = generated_networks(20)
    addrs = [a for i, net in enumerate(networks) for a in addresses_in(net, 50, seed=i)]
    random.Random(7).shuffle(addrs)
    with RdapServer(networks) as rdap, CymruServer(networks) as cymru:
        resolver, warnings, progress = make_resolver(rdap=rdap.url, cymru=cymru.address)
        got = resolver.lookup_many(addrs)
    assert len(got) == len(set(addrs))
    assert rdap.ip_lookups <= 20 and resolver.requests_by_kind["rdap"] <= 20
    assert cymru.total == 1
    for addr, answer in got.items():
        assert isinstance(answer, Owner), (addr, answer)
        index = int(addr.split(".")[1])
        assert (answer.org, answer.asn) == (f"Example Org {index}", 64500 + index)
        assert answer.prefix == f"45.{index}.0.0/16"
    assert warnings == []
    dones = [done for done, _ in progress]
    assert dones == sorted(dones) and progress[-1] == (len(got), len(got))


def test_small_networks_in_one_slash16_are_coalesced_too() -> None:
    networks = [
        Net(f"45.7.{i * 4}.0/24", f"Tenant {i}", asn=64512 + i, handle=f"T{i}") for i in range(20)
    ]
    addrs = [a for i, net in enumerate(networks) for a in addresses_in(net, 10, seed=i)]
    with RdapServer(networks) as rdap:
        resolver, _, _ = make_resolver(rdap=rdap.url)
        got = resolver.lookup_many(addrs)
    assert rdap.ip_lookups <= 20
    assert all(isinstance(a, Owner) and a.org.startswith("Tenant") for a in got.values())  # type: ignore[union-attr]


# -- misbehaving servers -----------------------------------------------------------------

BAD_MODES = {
    "hang": "timeout after 1.0 s",
    "slow:10": "timeout after 1.0 s",
    "429": "no Retry-After",
    "429:30": "Retry-After 30 s exceeds",
    "503": "HTTP 503",
    "malformed": "malformed RDAP JSON",
    "wrong-type": "wrong content type 'text/html'",
    "truncated": "truncated response",
    "reset": "connection reset",
}


@pytest.mark.parametrize("mode", list(BAD_MODES))
def test_misbehaving_network_fails_alone_and_quickly(mode: str) -> None:
    good = addresses_in(AMAZON_OSAKA, 5)
    bad = addresses_in(AMAZON_TECH, 3)
    with (
        RdapServer(default_networks(), modes={AMAZON_TECH.prefix: mode}) as rdap,
        CymruServer() as cymru,
    ):
        resolver, _, _ = make_resolver(rdap=rdap.url, cymru=cymru.address, timeout=TIMEOUT)
        started = time.monotonic()
        got = resolver.lookup_many(good + bad)
        elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + SLACK
    for addr in good:
        answer = got[addr]
        assert isinstance(answer, Owner) and answer.org == AMAZON_OSAKA.org
        assert answer.asn == 16509
    for addr in bad:
        failure = got[addr]
        assert isinstance(failure, LookupFailure)
        assert BAD_MODES[mode] in failure.reason or "circuit open" in failure.reason
    assert any(BAD_MODES[mode] in got[a].reason for a in bad)  # type: ignore[union-attr]


#: What a chaos network's failure says (a lookup refused once the breaker opened says
#: "circuit open" instead); the chaos run's timeout is 2 s.
CHAOS_REASONS = {mode: why for mode, why in BAD_MODES.items() if mode in CHAOS_MODES} | {
    "hang": "timeout after 2.0 s"
}


@pytest.mark.parametrize("whois", [False, True], ids=["rdap-only", "whois-fallback"])
def test_chaos_rdap_server_run_keeps_every_good_answer_within_its_budget(whois: bool) -> None:
    """24 networks whose RDAP answers come at once, late (random delays) or after a 429 with
    Retry-After, or never well: hangs, resets, 429 (without Retry-After, or one too long),
    503, truncated and malformed JSON, a wrong content type (each at least once, seed 7).
    The run ends within the budget its configuration allows; every address of a network
    whose good answer was served has its owner, no owner is wrong, and every failure says
    why. With whois as fallback (and the breaker's default 3 failures), every address gets
    its owner. RDAP alone, the breaker is set not to open on failures: each network is
    asked."""
    config: dict[str, Any] = {"rate_per_registry": 20.0, "whois_fallback": whois}
    if not whois:
        config["failures_to_open"] = 1000
    run = run_chaos(300, timeout=2.0, seed=7, networks=24, **config)
    assert run.elapsed < run.budget() + SLACK, (run.elapsed, run.budget())
    assert run.budget() < 30  # the bound is a real one
    assert {m.partition(":")[0] for m in run.modes.values()} >= {"ok", "slow", "429-once"}
    assert set(CHAOS_REASONS) <= set(run.modes.values())
    for addr, answer in run.results.items():
        net = run.network(addr)
        mode = run.modes[net.prefix]
        if isinstance(answer, Owner):
            assert answer.org == net.org and answer.prefix == net.prefix, (addr, mode)
            assert answer.answered_by == "whois" or run.good(net), (addr, mode)
            continue
        assert not whois, (addr, mode, answer)
        assert not run.served[net.prefix], (addr, mode, answer)  # a good answer was lost
        # a good network fails only when its answer did not come within the budget (behind
        # the rate limit and the Retry-After pauses of other networks)
        why = (
            ("timeout after", "exceeds the remaining") if run.good(net) else (CHAOS_REASONS[mode],)
        )
        assert any(w in answer.reason for w in ("circuit open", *why)), (addr, mode, answer)
    good = [a for a in run.results if run.good(run.network(a))]
    assert sum(isinstance(run.results[a], Owner) for a in good) >= len(good) * 3 // 4
    reasons = {r.reason for r in run.results.values() if isinstance(r, LookupFailure)}
    assert whois or all(any(why in r for r in reasons) for why in CHAOS_REASONS.values())


def test_retry_after_that_fits_the_budget_is_honoured() -> None:
    with RdapServer(modes={AMAZON_OSAKA.prefix: "429-once:1"}) as rdap:
        resolver, _, _ = make_resolver(rdap=rdap.url, timeout=3.0)
        started = time.monotonic()
        got = resolver.lookup_many(["13.208.0.67"])
        elapsed = time.monotonic() - started
    answer = got["13.208.0.67"]
    assert isinstance(answer, Owner) and answer.org == AMAZON_OSAKA.org
    assert rdap.ip_lookups == 2 and 0.9 < elapsed < 3.0 + SLACK


DEAD = ["refused", "silent", "blackhole", "hang-all"]


@pytest.mark.parametrize("kind", DEAD)
def test_dead_rdap_server_costs_one_timeout_for_the_whole_run(kind: str) -> None:
    networks = generated_networks(40)
    addrs = [a for net in networks for a in addresses_in(net, 5)]
    if kind == "refused":
        server: Any = None
        url = f"http://127.0.0.1:{closed_port()}"
    elif kind == "hang-all":
        server = RdapServer(networks, mode="hang").start()
        url = server.url
    else:
        server = (SilentServer() if kind == "silent" else BlackholeServer()).start()
        url = server.url
    try:
        resolver, warnings, progress = make_resolver(rdap=url, failures_to_open=3, timeout=TIMEOUT)
        started = time.monotonic()
        got = resolver.lookup_many(addrs)
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.stop()
    assert elapsed < TIMEOUT + SLACK
    assert all(isinstance(a, LookupFailure) for a in got.values())
    reasons = [a.reason for a in got.values() if isinstance(a, LookupFailure)]
    # Only the networks actually asked (one wave in flight when the breaker opened, each
    # lookup serving its network's 5 addresses) fail for their own reason; the rest say why
    # they were never asked.
    asked = resolver.requests_by_kind["rdap"]
    assert asked <= 8 + 3  # one wave of in-flight lookups
    assert sum("circuit open" in r for r in reasons) >= len(addrs) - 5 * asked
    assert len(warnings) == 1 and "circuit open" in warnings[0]
    assert progress[-1] == (len(got), len(got))


def test_breaker_keeps_the_answers_already_obtained() -> None:
    networks = generated_networks(30)
    modes = {net.prefix: "hang" for net in networks[5:]}
    addrs = [a for net in networks for a in addresses_in(net, 3)]
    with RdapServer(networks, modes=modes) as rdap:
        resolver, warnings, _ = make_resolver(rdap=rdap.url, concurrency=4, timeout=TIMEOUT)
        started = time.monotonic()
        got = resolver.lookup_many(addrs)
        elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + SLACK
    answered = {a for a, v in got.items() if isinstance(v, Owner)}
    assert answered == {a for net in networks[:5] for a in addresses_in(net, 3)}
    assert len(warnings) == 1


def test_a_good_answer_in_flight_when_the_breaker_opens_is_kept() -> None:
    """Four lookups start at once: three fail at once (HTTP 503) and open the breaker, the
    fourth is answered 0.5 s later. It is waited for (within its budget), not dropped."""
    late, *failing = generated_networks(4)
    modes = {late.prefix: "slow:0.5"} | {n.prefix: "503" for n in failing}
    addrs = [a for n in (late, *failing) for a in addresses_in(n, 2)]
    with RdapServer([late, *failing], modes=modes) as rdap:
        resolver, warnings, _ = make_resolver(rdap=rdap.url, concurrency=4, timeout=TIMEOUT)
        started = time.monotonic()
        got = resolver.lookup_many(addrs)
        elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + SLACK
    for addr in addresses_in(late, 2):
        answer = got[addr]
        assert isinstance(answer, Owner) and answer.org == late.org, answer
    for net in failing:
        for addr in addresses_in(net, 2):
            failure = got[addr]
            assert isinstance(failure, LookupFailure) and "HTTP 503" in failure.reason
    assert rdap.served == {late.prefix: 1}
    assert len(warnings) == 1 and "online lookups stopped" in warnings[0]


def test_whois_fallback_answers_when_rdap_is_down() -> None:
    with WhoisServer() as whois, CymruServer() as cymru:
        resolver, warnings, _ = make_resolver(
            rdap=f"http://127.0.0.1:{closed_port()}", whois=whois.address, cymru=cymru.address
        )
        addrs = ["13.208.0.67", "15.230.1.2", "193.0.6.139", "13.208.7.7", "45.0.0.1"]
        got = resolver.lookup_many(addrs)
    osaka = got["13.208.0.67"]
    assert isinstance(osaka, Owner)
    assert (osaka.answered_by, osaka.prefix, osaka.org, osaka.asn) == (
        "whois",
        "13.208.0.0/16",  # the most specific network, not ARIN's parent /8
        "Amazon Data Services Osaka",
        16509,
    )
    ripe = got["193.0.6.139"]
    assert isinstance(ripe, Owner) and ripe.org == RIPE_NCC.org and ripe.prefix == "193.0.0.0/21"
    unknown = got["45.0.0.1"]
    assert isinstance(unknown, LookupFailure) and "whois: no network" in unknown.reason
    assert len(warnings) == 1 and "using whois only" in warnings[0]
    assert whois.total == 4  # 13.208.7.7 came from the 13.208.0.0/16 answer


def test_whois_fallback_per_address_when_rdap_answers_badly() -> None:
    with RdapServer(mode="503") as rdap, WhoisServer() as whois:
        resolver, _, _ = make_resolver(rdap=rdap.url, whois=whois.address, failures_to_open=100)
        got = resolver.lookup_many(["15.230.1.2"])
    answer = got["15.230.1.2"]
    assert isinstance(answer, Owner) and answer.answered_by == "whois"
    assert answer.org == AMAZON_TECH.org


def test_rdap_and_whois_both_dead() -> None:
    with SilentServer() as rdap, SilentServer() as whois:
        resolver, warnings, _ = make_resolver(rdap=rdap.url, whois=whois.address, timeout=TIMEOUT)
        started = time.monotonic()
        got = resolver.lookup_many([a for n in generated_networks(20) for a in addresses_in(n, 2)])
        elapsed = time.monotonic() - started
    assert elapsed < 2 * TIMEOUT + SLACK  # one timeout per dead service, not per address
    assert all(isinstance(a, LookupFailure) for a in got.values())
    assert 1 <= len(warnings) <= 2 and "online lookups stopped" in warnings[-1]


@pytest.mark.parametrize("mode", ["silent", "close"])
def test_dead_cymru_keeps_the_owners(mode: str) -> None:
    with RdapServer() as rdap:
        cymru: Any = SilentServer() if mode == "silent" else CymruServer(mode="close")
        with cymru:
            resolver, warnings, _ = make_resolver(
                rdap=rdap.url, cymru=cymru.address, timeout=TIMEOUT
            )
            started = time.monotonic()
            got = resolver.lookup_many(["13.208.0.67"])
            elapsed = time.monotonic() - started
    answer = got["13.208.0.67"]
    assert isinstance(answer, Owner) and answer.org == AMAZON_OSAKA.org
    assert elapsed < TIMEOUT + SLACK
    if mode == "silent":
        assert answer.asn is None
        assert len(warnings) == 1 and "Team Cymru" in warnings[0]


# -- refusals and the loopback guard -----------------------------------------------------


@pytest.mark.parametrize(
    "addr", ["10.0.0.1", "100.64.3.4", "240.1.52.17", "192.168.1.1", "fe80::1", "ff02::1"]
)
def test_special_addresses_are_refused_before_any_request(addr: str) -> None:
    with RdapServer() as rdap:
        resolver, _, _ = make_resolver(rdap=rdap.url)
        with pytest.raises(SpecialAddressRefused, match="special-purpose"):
            resolver.lookup_many(["13.208.0.67", addr])
    assert rdap.total == 0 and resolver.requests_made == 0


def test_invalid_address_is_refused() -> None:
    resolver, _, _ = make_resolver(rdap="http://127.0.0.1:9")
    with pytest.raises(InvalidAddressError):
        resolver.lookup_many(["not-an-address"])


def test_empty_batch_sends_nothing() -> None:
    resolver, _, _ = make_resolver(rdap="http://127.0.0.1:9", cymru="127.0.0.1:9")
    assert resolver.lookup_many([]) == {} and resolver.requests_made == 0


def test_default_config_would_leave_loopback_and_the_guard_stops_it(blocked: list[str]) -> None:
    config = OnlineConfig(timeout=TIMEOUT)
    assert not all(_loopback(host) for host in config.hosts())
    resolver = OnlineResolver(config, warn=lambda message: None)
    started = time.monotonic()
    got = resolver.lookup_many(["13.208.0.67"])
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert isinstance(got["13.208.0.67"], LookupFailure)
    assert {"rdap-bootstrap.arin.net", "whois.iana.org", "whois.cymru.com"} <= set(blocked)
    blocked.clear()  # expected here: the guard refused them


# -- building blocks ---------------------------------------------------------------------


def test_rate_limiter_is_per_host() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, clock=lambda: now[0])
    waits = [limiter._reserve("rdap.arin.net") for _ in range(4)]
    assert waits == [0.0, 0.0, 0.5, 1.0]
    assert limiter._reserve("rdap.db.ripe.net") == 0.0
    limiter.pause("rdap.db.ripe.net", 3.0)
    assert limiter._reserve("rdap.db.ripe.net") == 3.0
    cancel = threading.Event()
    cancel.set()
    assert limiter.acquire("rdap.arin.net", cancel) is False


def test_rate_limit_slows_one_host_for_real() -> None:
    networks = generated_networks(4)
    with RdapServer(networks) as rdap:
        resolver, _, _ = make_resolver(rdap=rdap.url, rate_per_registry=2.0)
        started = time.monotonic()
        resolver.lookup_many([str(n.network.network_address + 1) for n in networks])
        elapsed = time.monotonic() - started
    assert elapsed >= 0.8  # 2 in the burst, then one every 0.5 s


def test_breaker_success_resets_the_streak() -> None:
    now = [0.0]
    breaker = CircuitBreaker("rdap", failures_to_open=3, dead_time=5.0, clock=lambda: now[0])
    assert not breaker.failure(started=0.0)
    assert not breaker.failure(started=0.0)
    breaker.success()
    assert not breaker.failure(started=0.0) and not breaker.failure(started=0.0)
    assert breaker.failure(started=0.0) and breaker.is_open
    assert not breaker.failure(started=0.0)  # opens once


def test_breaker_dead_time_counts_from_the_last_success() -> None:
    now = [0.0]
    breaker = CircuitBreaker("rdap", failures_to_open=10, dead_time=2.0, clock=lambda: now[0])
    now[0] = 1.5
    breaker.success()
    now[0] = 2.1  # a request started at 0 timed out, but the server answered at 1.5
    assert not breaker.failure(started=0.0)
    now[0] = 3.6
    assert breaker.failure(started=1.6)


def test_whois_prefers_the_most_specific_network_and_its_org() -> None:
    text = (
        "NetRange: 15.0.0.0 - 15.255.255.255\nCIDR: 15.0.0.0/8\n"
        "Organization: HP Inc. (HPI-1)\n\n"
        "NetRange: 15.230.0.0 - 15.230.255.255\nCIDR: 15.230.0.0/16\n"
        "Organization: Amazon Technologies Inc. (AT-88-Z)\n"
    )
    owner = parse_whois(text, "15.230.1.1")
    assert owner is not None and (owner.prefix, owner.org) == (
        "15.230.0.0/16",
        "Amazon Technologies Inc.",
    )
    assert parse_whois("% no entries\n", "15.230.1.1") is None
