"""The owner chain online, end to end, against RDAP/whois/Cymru servers on loopback only.

Acceptance checks of the owners issue: 1,000 addresses in 20 networks cost at most 20 RDAP
requests and a second run (same cache) costs none; a silently dropping server costs the
configured timeout (plus a small constant) for the whole run; registry names merge with
the published cloud ranges into one owner.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from tests.servers import CymruServer, RdapServer, SilentServer, WhoisServer, generated_networks
from tests.test_owners_online import addresses_in, blocked, loopback_only
from topo.cli import cli
from topo.owners import OwnerResolver, ResolverConfig
from topo.owners.online import OnlineConfig

__all__ = ["blocked", "loopback_only"]  # the loopback guard fixtures, applied to these tests


def resolver(tmp_path: Path, rdap: str, whois: str, cymru: str) -> OwnerResolver:
    config = OnlineConfig(
        rdap_url=rdap, whois_server=whois, cymru_server=cymru, rate_per_registry=1000.0
    )
    settings = ResolverConfig(
        online=True,
        cache_path=tmp_path / "owners.sqlite",
        online_config=config,
        data_dir=tmp_path / "data",
    )
    return OwnerResolver(settings)


def test_thousand_addresses_twenty_networks_then_zero(tmp_path: Path) -> None:
    networks = generated_networks(20)
    addrs = [a for net in networks for a in addresses_in(net, 50, seed=7)]
    assert len(addrs) == 1000
    with (
        RdapServer(networks) as rdap,
        WhoisServer(networks) as whois,
        CymruServer(networks) as cymru,
    ):
        first = resolver(tmp_path, rdap.url, whois.address, cymru.address)
        answers = first.resolve(addrs)
        first.close()
        assert rdap.ip_lookups <= 20
        assert all(
            a.owner and a.owner.org and a.owner.org.startswith("Example Org") for a in answers
        )
        assert answers[0].owner is not None and answers[0].owner.family == "Example Org 0"
        assert answers[0].owner.asn == 64500 and answers[0].owner.answered_by is not None
        before = rdap.ip_lookups
        second = resolver(tmp_path, rdap.url, whois.address, cymru.address)
        again = second.resolve(addrs)
        second.close()
        assert rdap.ip_lookups == before, "the second run must be answered by the cache"
        assert [a.owner.org for a in again if a.owner] == [a.owner.org for a in answers if a.owner]
        assert all("cache(" in (a.owner.answered_by or "") for a in again if a.owner)


def test_registry_answer_merges_with_published_ranges(tmp_path: Path) -> None:
    with RdapServer() as rdap, WhoisServer() as whois, CymruServer() as cymru:
        answers = resolver(tmp_path, rdap.url, whois.address, cymru.address).resolve(
            ["13.208.0.67", "100.65.1.9"]
        )
        assert rdap.ip_lookups == 1, "special-purpose addresses are never looked up"
    owner = answers[0].owner
    assert owner is not None
    assert (owner.org, owner.family, owner.region, owner.provider) == (
        "Amazon Data Services Osaka",
        "Amazon",
        "ap-northeast-3",
        "aws",
    )
    assert owner.answered_by is not None and owner.answered_by.startswith("rdap")
    assert answers[1].owner is None and answers[1].classification.category == "cgnat"


def test_silent_server_costs_one_timeout_for_the_whole_run(tmp_path: Path) -> None:
    addrs = [f"45.{i}.1.1" for i in range(40)]
    with SilentServer() as silent, WhoisServer() as whois, CymruServer() as cymru:
        args = ["whois", *addrs, "--json", "--no-cache", "--timeout", "1",
                "--rdap-url", silent.url, "--whois-server", silent.address,
                "--cymru-server", cymru.address]  # fmt: skip
        del whois
        started = time.monotonic()
        result = CliRunner().invoke(cli, args)
        elapsed = time.monotonic() - started
    assert elapsed < 1.0 * 2 + 3.0, f"took {elapsed:.1f} s"  # RDAP + whois budgets + slack
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 40 and all(r["org"] is None and r["error"] for r in records)
    assert "unresolved" in result.stderr
