"""Address classification against the IANA registries: the article's table, edge rows, and a
property test comparing the bulk path with a slow reference built from the registry rows."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topo.classify import (
    PUBLIC,
    AddressClass,
    Classifier,
    RegistryEntry,
    address_to_int,
    classify_address,
    classify_many,
    clean_rfc,
    default_classifier,
    is_special,
    load_registry_entries,
    read_registry,
    sort_key,
)
from topo.errors import InvalidAddressError

from .conftest import DATA

ARTICLE = json.loads((DATA / "article-osaka-tokyo.json").read_text(encoding="utf-8"))
ENTRIES = load_registry_entries()


def reference_classify(addr: str) -> AddressClass:
    """The slow, obvious way: every registry row, most specific containing row wins."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    best: RegistryEntry | None = None
    for entry in ENTRIES:
        if entry.network.version != ip.version or ip not in entry.network:
            continue
        if best is None or entry.network.prefixlen > best.network.prefixlen:
            best = entry
    if best is None:
        return PUBLIC
    return AddressClass(best.category, best.name, best.rfc, best.special, str(best.network))


@pytest.mark.parametrize(
    ("addr", "name", "rfc"), [tuple(r) for r in ARTICLE["special_address_table"]]
)
def test_article_special_table(addr: str, name: str, rfc: str) -> None:
    found = classify_address(addr)
    assert (found.name, found.rfc, found.special) == (name, rfc, True)


@pytest.mark.parametrize("addr", sorted({a for a, _ in ARTICLE["whois_orgname_table"]}))
def test_article_public_addresses(addr: str) -> None:
    assert classify_address(addr) == PUBLIC
    assert not is_special(addr)


@pytest.mark.parametrize(
    ("addr", "category", "name", "rfc"),
    [
        ("100.65.1.9", "cgnat", "Shared Address Space", "RFC6598"),
        ("240.1.52.17", "class-e", "Reserved", "RFC1112, Section 4"),
        ("255.255.255.255", "broadcast", "Limited Broadcast", "RFC8190, RFC919, Section 7"),
        ("255.255.255.254", "class-e", "Reserved", "RFC1112, Section 4"),
        ("fe80::1", "link-local", "Link-Local Unicast", "RFC4291"),
        ("fe80::1%eth0", "link-local", "Link-Local Unicast", "RFC4291"),
        ("10.1.2.3", "private", "Private-Use", "RFC1918"),
        ("127.0.0.1", "loopback", "Loopback", "RFC1122, Section 3.2.1.3"),
        ("0.0.0.0", "this-network", "This host on this network", "RFC1122, Section 3.2.1.3"),
        ("0.1.2.3", "this-network", "This network", "RFC791, Section 3.2"),
        ("169.254.9.9", "link-local", "Link Local", "RFC3927"),
        ("192.0.2.55", "documentation", "Documentation (TEST-NET-1)", "RFC5737"),
        ("198.19.0.1", "benchmarking", "Benchmarking", "RFC2544"),
        ("224.0.0.5", "multicast", "Multicast", "RFC5771"),
        ("ff02::1", "multicast", "Multicast", "RFC4291"),
        ("192.0.0.171", "ietf-protocol", "NAT64/DNS64 Discovery", "RFC8880, RFC7050, Section 2.2"),
        ("2001:db8::1", "documentation", "Documentation", "RFC3849"),
        ("fd00::1", "unique-local", "Unique-Local", "RFC4193, RFC8190"),
        ("2001:2::1", "benchmarking", "Benchmarking", "RFC5180, RFC Errata 1752"),
    ],
)
def test_special_rows(addr: str, category: str, name: str, rfc: str) -> None:
    found = classify_address(addr)
    assert (found.category, found.name, found.rfc, found.special) == (category, name, rfc, True)


@pytest.mark.parametrize(
    ("addr", "name"),
    [
        ("192.31.196.1", "AS112-v4"),  # globally reachable row: public, name kept
        ("192.52.193.7", "AMT"),
        ("192.0.0.9", "Port Control Protocol Anycast"),  # more specific than 192.0.0.0/24
        ("64:ff9b::808:808", "IPv4-IPv6 Translat."),
        ("2001::1", "TEREDO"),  # Globally Reachable N/A: not special
        ("13.208.0.67", None),
        ("2406:da14::1", None),
    ],
)
def test_public_rows(addr: str, name: str | None) -> None:
    found = classify_address(addr)
    assert (found.category, found.name, found.special) == ("public", name, False)


def test_terminated_row_is_ignored() -> None:
    # 192.88.99.0/24 (6to4 relay anycast) was terminated in 2015; only .2/32 is still listed
    assert classify_address("192.88.99.1") == PUBLIC
    assert classify_address("192.88.99.2").name == "6a44-relay anycast address"


def test_registry_cells_are_cleaned() -> None:
    blocks = {str(e.network) for e in ENTRIES}
    assert {"192.0.0.170/32", "192.0.0.171/32", "192.0.0.0/24", "2002::/16"} <= blocks
    assert "192.88.99.0/24" not in blocks
    assert all("[" not in e.rfc and "\n" not in e.rfc for e in ENTRIES)
    assert clean_rfc("[RFC8880][RFC7050], Section 2.2") == "RFC8880, RFC7050, Section 2.2"


def test_new_registry_row_gets_a_slug_category() -> None:
    header = (
        "Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,"
        "Forwardable,Globally Reachable,Reserved-by-Protocol\n"
    )
    rows = read_registry(
        header + '198.51.99.0/24,"Future Thing",[RFC9999],2030-01,N/A,True,True,True,False,False\n',
        "test",
    )
    assert (rows[0].category, rows[0].special, rows[0].rfc) == ("future-thing", True, "RFC9999")


@pytest.mark.parametrize(
    "bad", ["", "1.2.3", "256.1.1.1", "01.2.3.4", "host.example", "::g", "1.2.3.4 "]
)
def test_invalid_addresses_raise(bad: str) -> None:
    with pytest.raises(InvalidAddressError):
        classify_address(bad)
    with pytest.raises(InvalidAddressError):
        classify_many(["1.1.1.1", bad])


def test_sort_key_is_numeric() -> None:
    addrs = [a for a, _, _ in ARTICLE["special_address_table"]]
    ordered = sorted(addrs, key=sort_key)
    assert ordered[:3] == ["100.65.1.9", "100.65.3.136", "100.65.24.161"]
    assert ordered[-1] == "241.0.8.13"
    assert sort_key("::1") > sort_key("255.255.255.255")


def _boundary_addresses() -> list[str]:
    """Every row's first and last address and their neighbours."""
    out = []
    for entry in ENTRIES:
        net = entry.network
        top = 2**32 - 1 if net.version == 4 else 2**128 - 1
        first, last = int(net.network_address), int(net.broadcast_address)
        for value in (first - 1, first, first + 1, last - 1, last, last + 1):
            if 0 <= value <= top:
                out.append(
                    str(
                        ipaddress.ip_address(value)
                        if net.version == 4
                        else ipaddress.IPv6Address(value)
                    )
                )
    return out


def test_boundaries_match_reference() -> None:
    addrs = _boundary_addresses()
    assert len(addrs) > 250
    assert classify_many(addrs) == [reference_classify(a) for a in addrs]


ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
ipv6 = st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
# addresses drawn inside registry blocks, so the special rows are hit often
in_block = st.sampled_from(ENTRIES).flatmap(
    lambda e: st.integers(int(e.network.network_address), int(e.network.broadcast_address)).map(
        lambda n, v=e.network.version: str(
            ipaddress.ip_address(n) if v == 4 else ipaddress.IPv6Address(n)
        )
    )
)


@settings(max_examples=400)
@given(st.lists(st.one_of(ipv4, ipv6, in_block), min_size=1, max_size=40))
def test_bulk_matches_reference(addrs: list[str]) -> None:
    assert classify_many(addrs) == [reference_classify(a) for a in addrs]
    assert [classify_address(a) for a in addrs] == classify_many(addrs)


def test_classifier_over_copied_registry(tmp_path: Path) -> None:
    from importlib import resources

    for name in (
        "iana-ipv4-special-registry-1.csv",
        "iana-ipv6-special-registry-1.csv",
        "multicast.csv",
    ):
        text = resources.files("topo.data.iana").joinpath(name).read_text("utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8")
    copy = Classifier(load_registry_entries(tmp_path))
    assert copy.classify("100.64.0.0") == default_classifier().classify("100.64.0.0")
    assert address_to_int("::ffff:1.2.3.4")[0] == 6
