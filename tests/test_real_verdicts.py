"""Verdicts on real traceroutes from cloud instances, offline (issue 23).

The traces were run and published by engineers on EC2 and Lightsail (provenance in
``tests/data/cloud/SOURCES.md`` and ``tests/data/besttrace/SOURCES.md``). The expected exits
below were read from the traces by hand: the last provider hop, then the first hop of the
network the path enters (by its printed AS column where the tool printed one, else by the
registry's holder of the address).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import topo
from topo.classify import classify_address
from topo.cli import cli
from topo.owners import OwnerResolver, ResolverConfig
from topo.owners.model import AddressHints
from topo.topology.infer import TraceVerdict

from .conftest import DATA

CLOUD = DATA / "cloud"
BESTTRACE = DATA / "besttrace"
ROOT = DATA.parent.parent

#: file -> per trace: (verdict, exit TTL, exit address, exit owner), read from the trace.
EXITS: dict[Path, list[tuple[str, int, str, str]]] = {
    CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt": [
        ("left-provider", 14, "172.67.69.208", "Cloudflare"),
    ],
    CLOUD / "ec2-eu-west-1-to-cloudflare-b.txt": [
        ("left-provider", 26, "104.26.11.229", "Cloudflare"),
    ],
    CLOUD / "ec2-eu-west-2-ipv6-to-google-mtr.txt": [
        ("left-provider", 22, "2001:4860:0:1::50a2", "Google"),
    ],
    BESTTRACE / "lightsail-ap-southeast-1-to-china-carriers-besttrace.txt": [
        ("left-provider", 11, "183.91.56.81", "China Telecom"),
        ("left-provider", 11, "183.91.56.81", "China Telecom"),
        ("left-provider", 11, "203.215.233.21", "China Telecom"),
        ("left-provider", 12, "219.158.23.241", "China Unicom"),
        ("left-provider", 12, "219.158.17.165", "China Unicom"),
        ("left-provider", 12, "219.158.102.137", "China Unicom"),
        ("left-provider", 11, "223.119.2.213", "China Mobile"),
        ("left-provider", 12, "223.120.3.153", "China Mobile"),
        ("left-provider", 10, "223.119.2.209", "China Mobile"),
        ("left-provider", 10, "62.115.41.178", "Arelion"),
    ],
    BESTTRACE / "lightsail-ap-northeast-1-to-china-carriers-besttrace.txt": [
        ("left-provider", 19, "203.215.236.33", "China Telecom"),
        ("left-provider", 19, "203.215.236.33", "China Telecom"),
        ("left-provider", 20, "154.54.87.253", "Cogent"),
        ("left-provider", 20, "219.158.24.57", "China Unicom"),
        ("left-provider", 20, "219.158.16.253", "China Unicom"),
        ("left-provider", 20, "219.158.13.193", "China Unicom"),
        ("left-provider", 19, "223.120.2.245", "China Mobile"),
        ("left-provider", 19, "223.120.2.245", "China Mobile"),
        ("left-provider", 19, "223.120.2.189", "China Mobile"),
        ("left-provider", 18, "63.218.251.181", "PCCW"),
    ],
}


def traces_of(path: Path) -> tuple[TraceVerdict, ...]:
    topology = topo.analyze([path])  # offline, no cache: the default
    assert all(e.line == 1 for e in topology.errors)  # the shell prompts some published
    return topology.traces


@pytest.mark.parametrize("path", sorted(EXITS), ids=lambda p: p.name)
def test_a_path_that_enters_another_network_left_the_provider_at_its_first_hop(
    path: Path,
) -> None:
    verdicts = traces_of(path)
    found = [
        (v.verdict, v.exit["to_ttl"], v.exit["to_addr"], v.exit["to_owner"])
        if v.exit
        else (v.verdict, None, None, None)
        for v in verdicts
    ]
    assert found == EXITS[path]
    for verdict in verdicts:
        assert verdict.provider == "Amazon"
        assert verdict.exit is not None and verdict.exit["from_addr"] is not None
        # the exit is never a reserved address, on either side
        assert not classify_address(verdict.exit["to_addr"]).special
        assert not classify_address(verdict.exit["from_addr"]).special


def test_a_hop_line_with_a_reserved_and_a_public_address_counts_each_for_what_it_is() -> None:
    """TTL 14 of trace A printed the destination (Cloudflare) and a CGNAT responder."""
    [verdict] = traces_of(CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt")
    listed = [str(r) for r in verdict.reasons]
    assert not any("100.92.9.3" in text for text in listed)
    assert verdict.exit is not None and verdict.exit["to_addr"] == "172.67.69.208"
    assert "Cloudflare [172.67.69.208]" in verdict.strip
    assert "1 reserved hop (3 addresses: 3 CGNAT)" in verdict.strip  # TTL 13


def test_an_unreached_destination_outside_the_provider_makes_the_trace_incomplete() -> None:
    """The published trace stops after 3 hops inside AWS, on its way to Cloudflare: nothing
    says where it left AWS, and 'the last answer is Amazon's' proves nothing."""
    [verdict] = traces_of(CLOUD / "ec2-eu-west-1-to-cloudflare-partial.txt")
    assert verdict.verdict == "incomplete"
    [reason] = [r for r in verdict.reasons if r.code == "unreached-destination"]
    assert reason["dst"] == "172.67.27.10" and reason["owner"] == "Cloudflare"
    assert "Cloudflare" in str(reason) and "not Amazon" in str(reason)


def test_an_unreached_destination_of_unknown_owner_says_it_is_unknown() -> None:
    trace = topo.Trace(
        dst="203.0.113.77",  # documentation space: nobody owns it
        hops=(
            topo.Hop(1, (topo.Reply("13.208.0.67", 0.4),)),
            topo.Hop(2, (topo.Reply("52.95.31.166", 8.0),)),
        ),
    )
    [verdict] = topo.analyze([trace]).traces
    assert verdict.verdict == "incomplete"
    assert "owner is unknown" in " ".join(map(str, verdict.reasons))


def test_a_reserved_run_after_the_provider_s_last_answer_is_an_open_segment() -> None:
    [verdict] = traces_of(CLOUD / "ec2-eu-west-1-to-cloudflare-partial.txt")
    [segment] = verdict.segments
    assert segment.kind == "open" and segment.ttls == (2, 3)
    assert segment.from_region == "eu-west-1" and segment.to_region is None
    assert {a.split(".")[0] for a in segment.addrs} == {"100"}
    # least RTT of TTL 3 (13.644) against the least of TTL 1 (6.540)
    assert segment.rtt_delta_ms == pytest.approx(13.644 - 6.540, abs=0.001)
    assert segment.fibre_km == round((13.644 - 6.540) * 100)
    assert segment.directness is None and segment.rtt_bound_ms is None
    assert not any(r.code == "unbracketed-reserved" for r in verdict.reasons)


def test_a_private_run_at_the_vantage_point_is_its_own_network_not_an_interconnect() -> None:
    """A lab capture (traceroute -n) whose first hop is the vantage's 192.168.1.1 gateway."""
    [verdict] = traces_of(DATA / "linux-traceroute" / "udp_n.txt")
    assert all("192.168.1.1" not in s.addrs for s in verdict.segments)
    [reason] = [r for r in verdict.reasons if r.code == "vantage-network"]
    assert reason["addrs"] == ("192.168.1.1",) and "not an interconnect" in str(reason)
    for segment in verdict.segments:  # within one region: no bound, no directness of 0.0
        assert segment.directness != 0.0


def test_no_segment_within_one_region_claims_a_directness() -> None:
    [verdict] = traces_of(CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt")
    inside = [s for s in verdict.segments if s.kind == "intra-region"]
    assert inside and all(s.directness is None for s in inside)


def test_without_a_provider_the_words_say_so_never_none() -> None:
    files = sorted(
        p
        for p in DATA.glob("*/*")
        if p.is_file()
        and not p.name.endswith((".json", ".md", ".cmd"))
        and p.parent.name != "_captured"
    )
    topology = topo.analyze(files)
    nobody = [v for v in topology.traces if v.provider is None]
    assert nobody, "tests/data has traces with no provider (documentation-space labs)"
    for verdict in topology.traces:
        for reason in verdict.reasons:
            assert "None" not in str(reason), (verdict.origin, str(reason))
    assert all("no provider identified" in str(v.reasons[0]) for v in nobody)


def test_strips_count_hops_and_addresses_apart() -> None:
    [article] = topo.analyze([ROOT / "samples" / "aws-osaka-tokyo"]).traces
    assert "── 12 reserved hops (12 addresses: 8 CGNAT, 4 Class E) ──" in article.strip
    first = traces_of(BESTTRACE / "lightsail-ap-southeast-1-to-china-carriers-besttrace.txt")[0]
    # TTL 2-7: five silent hops, then one CGNAT address
    assert "── 1 reserved hop, 5 silent (1 address: 1 CGNAT) ──" in first.strip
    assert "China Telecom [183.91.56.81 … 202.97.97.221] ── 1 silent hop ── China Telecom" in (
        first.strip
    )  # TTL 16: a silent hop between two of China Telecom's is not a reserved one


def test_the_vantage_region_comes_from_evidence_and_a_disagreement_is_said(
    tmp_path: Path,
) -> None:
    [plain] = traces_of(CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt")
    assert plain.src_region == "eu-west-1"  # the first hop (its name and range) says so
    folder = tmp_path / "set"
    folder.mkdir()
    shutil.copy(CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt", folder / "trace.txt")
    (folder / "topo.toml").write_text('provider = "aws"\nsrc_region = "eu-west-2"\n')
    [told] = topo.analyze([folder]).traces
    assert told.src_region == "eu-west-2"  # the manifest wins
    [reason] = [r for r in told.reasons if r.code == "vantage-region"]
    assert (reason["region"], reason["other"]) == ("eu-west-2", "eu-west-1")
    assert "manifest" in str(reason) and "eu-west-1" in str(reason)


def test_hostnames_and_printed_as_numbers_answer_when_no_data_does() -> None:
    """Without the origin-AS data, a Telia router is still Arelion by its name and the AS
    BestTrace printed, and a China Telecom hop by its printed AS."""
    config = ResolverConfig(use_cache=False, origin_as=False)
    hints = {
        "62.115.41.178": AddressHints(("snge-b4-link.ip.twelve99.net",), (1299,)),
        "183.91.56.81": AddressHints((), (4134,)),
    }
    with OwnerResolver(config) as resolver:
        telia, telecom = resolver.resolve(list(hints), hints)
    assert telia.owner is not None and telia.owner.family == "Arelion"
    assert telia.owner.answered_by is not None
    assert set(telia.owner.answered_by.split("+")) == {"hostname", "trace-asn"}
    assert any("twelve99" in e for e in telia.owner.evidence)
    assert telecom.owner is not None and telecom.owner.family == "China Telecom"
    assert telecom.owner.answered_by == "trace-asn"


def test_registry_and_ranges_win_over_a_hostname_and_the_disagreement_is_kept() -> None:
    name = "arn09s22-in-f14.1e100.net"  # a Google name, on an address AWS publishes
    hints = {"13.208.0.67": AddressHints((name,), ())}
    with OwnerResolver(ResolverConfig(use_cache=False)) as resolver:
        [answer] = resolver.resolve(["13.208.0.67"], hints)
    assert answer.owner is not None and answer.owner.family == "Amazon"
    assert any(name in e and "Google" in e and "kept Amazon" in e for e in answer.owner.evidence)


def test_whois_answers_the_foreign_networks_offline() -> None:
    result = CliRunner().invoke(
        cli,
        ["whois", "142.251.55.118", "129.250.2.41", "63.218.250.169", "140.91.218.2",
         "--json", "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = {r["addr"]: r for r in map(json.loads, result.stdout.splitlines())}
    families = {addr: r["family"] for addr, r in records.items()}
    assert families == {
        "142.251.55.118": "Google",
        "129.250.2.41": "NTT",
        "63.218.250.169": "PCCW",
        "140.91.218.2": "Oracle",
    }
    for record in records.values():
        assert record["prefix"] and record["answered_by"]


def test_pages_and_reports_credit_the_origin_as_data_they_show(tmp_path: Path) -> None:
    """CC BY 4.0: a page or report showing answers of the origin-AS table credits it."""
    topology = topo.analyze([CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt"])
    page = topo.write_html(topology, tmp_path / "page.html").read_text(encoding="utf-8")
    assert "IP Geolocation by DB-IP" in page and "CC BY 4.0" in page
    topo.write_report(topology, tmp_path / "report.md")
    assert "IP Geolocation by DB-IP" in (tmp_path / "report.md").read_text(encoding="utf-8")
    bare = topo.analyze(
        [CLOUD / "ec2-eu-west-1-to-cloudflare-a.txt"],
        owners=ResolverConfig(use_cache=False, origin_as=False),
    )
    assert "DB-IP" not in topo.write_html(bare, tmp_path / "bare.html").read_text("utf-8")


def test_a_private_destination_is_the_end_of_the_path_and_a_table_may_own_it(
    tmp_path: Path,
) -> None:
    """OCI Osaka to a Jeddah instance's private address over the backbone: the answering
    private destination is not an open segment; silent, it is the provider's only when the
    user's table says whose the private space is."""
    hops = (
        topo.Hop(1, (topo.Reply("140.91.218.2", 0.5),)),
        topo.Hop(2, (topo.Reply("140.91.220.13", 336.0),)),
    )
    answered = topo.Trace(
        dst="10.3.1.2", hops=(*hops, topo.Hop(3, (topo.Reply("10.3.1.2", 337.0),)))
    )
    [verdict] = topo.analyze([answered]).traces
    assert verdict.verdict == "on-provider" and verdict.segments == ()
    assert not any(r.code == "unbracketed-reserved" for r in verdict.reasons)
    silent = topo.Trace(dst="10.3.1.2", hops=hops)
    [unsure] = topo.analyze([silent]).traces
    assert unsure.verdict == "incomplete"
    table = tmp_path / "vcn.csv"
    table.write_text("prefix,org\n10.3.0.0/16,Oracle Corporation\n")
    config = ResolverConfig(use_cache=False, owner_tables=(table,))
    [owned] = topo.analyze([silent], owners=config).traces
    assert owned.verdict == "on-provider", owned.reasons
