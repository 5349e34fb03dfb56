"""Provider infrastructure blocks (topo/owners/infrastructure.py and its shipped table)."""

from __future__ import annotations

import ipaddress
from importlib import resources

import pytest

from topo.errors import ParseError
from topo.owners.families import load_families
from topo.owners.infrastructure import COLUMNS, load_infrastructure, read_infrastructure

HEADER = ",".join(COLUMNS) + "\n"


@pytest.mark.parametrize(
    ("addr", "family", "provider", "prefix"),
    [
        ("52.93.8.1", "Amazon", "aws", "52.93.0.0/16"),
        ("52.93.135.81", "Amazon", "aws", "52.93.0.0/16"),
        ("150.222.3.1", "Amazon", "aws", "150.222.0.0/16"),
        ("150.222.241.85", "Amazon", "aws", "150.222.0.0/16"),
        ("15.230.204.48", "Amazon", "aws", "15.230.0.0/16"),
        ("99.83.69.207", "Amazon", "aws", "99.83.0.0/16"),
        ("140.91.218.2", "Oracle", "oracle", "140.91.0.0/16"),
        ("140.91.198.153", "Oracle", "oracle", "140.91.0.0/16"),
        ("54.222.1.1", "Amazon", "aws", "54.222.0.0/15"),
        ("2a01:578:0:9003::21", "Amazon", "aws", "2a01:578::/32"),
        ("2620:107:4000:2210:8000:0:3438:55", "Amazon", "aws", "2620:107:4000::/36"),
    ],
)
def test_infrastructure_addresses_answer(
    addr: str, family: str, provider: str, prefix: str
) -> None:
    owner = load_infrastructure().lookup(addr)
    assert owner is not None
    assert (owner.family, owner.provider, owner.prefix) == (family, provider, prefix)
    assert owner.answered_by == "infrastructure-table" and owner.evidence


def test_region_and_asn_only_where_the_table_gives_them() -> None:
    table = load_infrastructure()
    china, oracle, backbone = (
        table.lookup(a) for a in ("54.223.0.62", "140.91.220.3", "52.93.8.1")
    )
    assert china is not None and china.region == "cn-north-1" and china.asn is None
    assert oracle is not None and oracle.asn == 31898 and oracle.region is None
    assert backbone is not None and backbone.region is None and backbone.asn is None


@pytest.mark.parametrize("addr", ["192.0.2.1", "8.8.8.8", "52.94.0.1", "2001:db8::1"])
def test_other_addresses_do_not(addr: str) -> None:
    assert load_infrastructure().lookup(addr) is None


def test_every_row_is_a_valid_sourced_network_of_a_known_family() -> None:
    text = resources.files("topo.data.owners").joinpath("infrastructure.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table = load_infrastructure()
    assert len(table) == len(rows) - 1 > 0  # every row but the header parsed
    assert "2026-12-07" in text
    names = {f.name for f in load_families().families}
    providers = {f.provider for f in load_families().families if f.provider}
    for block in table.blocks:
        network = ipaddress.ip_network(block.prefix)  # strict: no host bits
        assert str(network) == block.prefix
        assert not (network.is_private or network.is_reserved or network.is_multicast)
        assert block.family in names and block.provider in providers | {None}
        assert block.source and block.note
        assert load_families().family_of(provider=block.provider) in (block.family, None)


def test_no_block_overlaps_one_of_another_family() -> None:
    blocks = load_infrastructure().blocks
    networks = [(ipaddress.ip_network(b.prefix), b) for b in blocks]
    assert len({n for n, _ in networks}) == len(networks), "a prefix is listed twice"
    for i, (net, block) in enumerate(networks):
        for other_net, other in networks[i + 1 :]:
            if net.version == other_net.version and net.overlaps(other_net):
                assert block.family == other.family, (block.prefix, other.prefix)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("10.0.0.1/8,Example,,,,n,s\n", 3, "not a network"),
        ("banana,Example,,,,n,s\n", 3, "not a network"),
        ("10.0.0.0/8,Example,,,ASx,n,s\n", 3, "not an AS number"),
        ("10.0.0.0/8,,,,,n,s\n", 3, "a family and a source"),
        ("10.0.0.0/8,Example,,,\n", 3, "needs 7 fields"),
        ("10.0.0.0/8,Example,,,,n,s,extra\n", 3, "needs 7 fields"),
    ],
)
def test_bad_rows_say_where(body: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        read_infrastructure("# c\n" + HEADER + body, source="t.csv")
    assert caught.value.line == line and message in caught.value.message


def test_a_wrong_header_is_refused_and_an_empty_table_is_empty() -> None:
    with pytest.raises(ParseError, match="header"):
        read_infrastructure("prefix,org\n", source="t.csv")
    assert len(read_infrastructure("# only comments\n\n", source="t.csv")) == 0
