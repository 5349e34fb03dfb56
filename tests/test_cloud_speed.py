"""The fast cloud-range load gives exactly the answers of a plain, slow implementation.

``load_cloud_ranges`` parses prefixes with integer arithmetic, builds each family's table on
first use and keeps the built table in a compiled cache file. These tests check every path
(no cache, a cache being written, a cache being read) against a reference written the
obvious way with :mod:`ipaddress`, over every published range's first, middle and last
address, the addresses just outside each range, and random addresses; and that the cache is
never trusted when it is damaged, stale or written by several processes at once.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import ipaddress
import json
import marshal
import multiprocessing
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topo.classify.prefixmap import PrefixMap
from topo.owners import cloud
from topo.owners.cloud import (
    CACHE_NAME,
    DATASETS,
    CloudRange,
    CloudRanges,
    dataset_source,
    load_cloud_ranges,
    read_dataset_bytes,
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Reference = dict[Network, CloudRange]
REAL_BUILD = cloud._build
SHIPPED = Path(__file__).resolve().parents[1] / "topo" / "data" / "cloud"


# -- the reference: today's semantics, written the slow and obvious way ----------------------


def reference_merge(old: CloudRange, new: CloudRange) -> CloudRange:
    """The same prefix listed twice: the first provider's entry, services joined."""
    if old.provider != new.provider:
        return old
    services = tuple(sorted(set(old.services) | set(new.services)))
    return dataclasses.replace(old, services=services, region=old.region or new.region)


def reference_table(data_dir: Path) -> Reference:
    """Every network (as ``ipaddress`` parses it) with its merged range, in file order."""
    table: Reference = {}
    for dataset in DATASETS:
        raw, _ = dataset_source(dataset, data_dir)
        rows, _ = read_dataset_bytes(dataset, raw)
        for row in rows:
            network = ipaddress.ip_network(row.prefix, strict=False)
            table[network] = reference_merge(table[network], row) if network in table else row
    return table


class ReferenceLookup:
    """Longest-prefix match by trying each listed prefix length, longest first."""

    def __init__(self, table: Reference):
        self.by_key = {
            (n.version, int(n.network_address), n.prefixlen): (n, v) for n, v in table.items()
        }
        self.lengths = {
            version: sorted({n.prefixlen for n in table if n.version == version}, reverse=True)
            for version in (4, 6)
        }

    def __call__(self, addr: str) -> tuple[Network, CloudRange] | None:
        ip = ipaddress.ip_address(addr)
        bits = ip.max_prefixlen
        for length in self.lengths[ip.version]:
            host = bits - length
            hit = self.by_key.get((ip.version, int(ip) >> host << host, length))
            if hit is not None:
                return hit
        return None


def linear_scan(table: Reference, addr: str) -> tuple[Network, CloudRange] | None:
    """Every network holding the address, the longest one wins (the slowest way)."""
    ip = ipaddress.ip_address(addr)
    holding = [n for n in table if n.version == ip.version and ip in n]
    if not holding:
        return None
    best = max(holding, key=lambda n: n.prefixlen)
    return best, table[best]


def sample_addresses(table: Reference, seed: int = 20261129) -> list[str]:
    """Each range's edges, middle and neighbours, plus random addresses (fixed seed)."""
    rng = random.Random(seed)
    addrs: set[str] = set()
    networks = list(table)
    for network in networks:
        first, last = int(network.network_address), int(network.broadcast_address)
        kind = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
        top = 2**network.max_prefixlen - 1
        for number in (first, last, (first + last) // 2, first - 1, last + 1):
            if 0 <= number <= top:
                addrs.add(str(kind(number)))
    for _ in range(3000):
        addrs.add(str(ipaddress.IPv4Address(rng.getrandbits(32))))
    for _ in range(1000):
        addrs.add(str(ipaddress.IPv6Address((1 << 125) | rng.getrandbits(125))))  # 2000::/3
    for _ in range(3000):
        network = rng.choice(networks)
        inside = int(network.network_address) + rng.getrandbits(
            network.max_prefixlen - network.prefixlen
        )
        addrs.add(str(ipaddress.ip_address(inside)))
    return sorted(addrs)


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder without user copies, so the shipped files are read."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def reference(shipped_dir: Path) -> Reference:
    return reference_table(shipped_dir)


@pytest.fixture(scope="module")
def addresses(reference: Reference) -> list[str]:
    return sample_addresses(reference)


_LOOKUPS: dict[int, tuple[Reference, ReferenceLookup]] = {}


def assert_same_answers(ranges: CloudRanges, reference: Reference, addrs: list[str]) -> None:
    if id(reference) not in _LOOKUPS:
        _LOOKUPS[id(reference)] = (reference, ReferenceLookup(reference))
    expected = _LOOKUPS[id(reference)][1]
    wrong = []
    for addr in addrs:
        want = expected(addr)
        got = ranges.table.lookup(addr)
        if got != want or ranges.lookup(addr) != (None if want is None else want[1]):
            wrong.append((addr, got, want))
    assert not wrong, f"{len(wrong)} of {len(addrs)} differ, first: {wrong[:3]}"


# -- the reference itself, and the sample ---------------------------------------------------


def test_reference_lookup_agrees_with_a_linear_scan(reference: Reference) -> None:
    rng = random.Random(7)
    picked = rng.sample(sample_addresses(reference), 150)
    lookup = ReferenceLookup(reference)
    for addr in picked:
        assert lookup(addr) == linear_scan(reference, addr)


def test_sample_covers_both_families_hits_and_misses(
    reference: Reference, addresses: list[str]
) -> None:
    lookup = ReferenceLookup(reference)
    answers = [lookup(a) for a in addresses]
    assert len(addresses) > 5 * len(reference) / 2
    assert any(":" in a for a in addresses) and any("." in a and ":" not in a for a in addresses)
    assert sum(a is None for a in answers) > 1000 and sum(a is not None for a in answers) > 30000
    merged = [v for v in reference.values() if len(v.services) > 1]
    assert merged, "the shipped data lists prefixes twice; the merge must be exercised"


# -- every way of loading gives the reference's answers -------------------------------------


def test_load_without_cache_matches_reference(
    shipped_dir: Path, reference: Reference, addresses: list[str]
) -> None:
    ranges = load_cloud_ranges(shipped_dir, use_cache=False)
    assert len(ranges.table) == len(reference)
    assert_same_answers(ranges, reference, addresses)


def test_load_with_cold_and_warm_cache_matches_reference(
    tmp_path: Path,
    shipped_dir: Path,
    reference: Reference,
    addresses: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = load_cloud_ranges(shipped_dir, use_cache=False)
    cold = load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    assert (tmp_path / CACHE_NAME).is_file()
    monkeypatch.setattr(cloud, "_build", _must_not_build)
    warm = load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    for ranges in (cold, warm):
        assert ranges.dates == plain.dates and ranges.origins == plain.origins
        assert all(isinstance(d, type(plain.dates["aws"])) for d in ranges.dates.values())
        assert len(ranges.table) == len(reference)
    assert_same_answers(warm, reference, addresses)
    assert_same_answers(cold, reference, addresses)
    assert [v for _, v in warm.table.items()] == list(reference.values())
    assert [n for n, _ in warm.table.items()] == list(reference)
    assert not list(tmp_path.glob(".cloud-ranges-*"))  # no temporary file left behind


def test_docstring_example_through_the_cache(tmp_path: Path, shipped_dir: Path) -> None:
    for _ in range(2):
        ranges = load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
        hit = ranges.lookup("13.208.0.67")
        assert hit == CloudRange(
            "13.208.0.0/16", "aws", "ap-northeast-3", ("AMAZON", "EC2"), "ap-northeast-3"
        )
        match = ranges.table.lookup("13.208.0.67")
        assert match is not None and match[0] == ipaddress.ip_network("13.208.0.0/16")
        assert ranges.origins["aws"] == "shipped aws-ip-ranges.json"


# -- the cache is never trusted when it should not be ---------------------------------------


def _must_not_build(sources: object) -> object:
    raise AssertionError("the cache should have been used")


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = REAL_BUILD

    def counting(sources: Any) -> Any:
        calls.append(1)
        return real(sources)

    monkeypatch.setattr(cloud, "_build", counting)
    return calls


def _damaged(blob: bytes) -> Iterator[tuple[str, bytes]]:
    header = len(cloud._MAGIC) + 64
    yield "empty", b""
    yield "garbage", b"\x00\xff not a cache" * 1000
    yield "truncated", blob[: len(blob) // 2]
    yield "header only", blob[:header]
    flipped = bytearray(blob)
    flipped[header + 1000] ^= 0x40
    yield "flipped payload byte", bytes(flipped)
    flipped = bytearray(blob)
    flipped[3] ^= 0x01
    yield "flipped magic byte", bytes(flipped)
    yield "extra bytes", blob + b"\x00"
    # Whole and checksummed, but not a table: refused when decoded.
    for payload in (marshal.dumps("nonsense"), marshal.dumps((1, 2, 3, 4, 5)), b"\xff\xfe"):
        checksum = hashlib.sha256(payload).digest()
        yield "well-formed nonsense", blob[: len(cloud._MAGIC) + 32] + checksum + payload


def test_damaged_cache_is_ignored_and_rebuilt(
    tmp_path: Path,
    shipped_dir: Path,
    reference: Reference,
    addresses: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / CACHE_NAME
    load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    good = path.read_bytes()
    rng = random.Random(3)
    few = rng.sample(addresses, 1000)
    for name, blob in _damaged(good):
        path.write_bytes(blob)
        builds = _count_builds(monkeypatch)
        ranges = load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
        assert builds == [1], name
        assert_same_answers(ranges, reference, few)
        assert path.read_bytes() == good, f"{name}: the cache was not rewritten"
        monkeypatch.setattr(cloud, "_build", _must_not_build)
        assert_same_answers(load_cloud_ranges(shipped_dir, cache_dir=tmp_path), reference, few)


def _user_copy(data_dir: Path, extra: list[dict[str, str]]) -> None:
    """A user copy of the AWS file (as ``topo data update`` leaves it) with added rows."""
    data = json.loads(gzip.decompress((SHIPPED / "aws-ip-ranges.json.gz").read_bytes()))
    data["prefixes"].extend(extra)
    data["prefixes"][0]["region"] = "changed-region-1"
    folder = data_dir / "cloud"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aws-ip-ranges.json").write_text(json.dumps(data))


def test_stale_cache_is_not_used_when_the_data_changes(
    tmp_path: Path, shipped_dir: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir, user_dir = tmp_path / "cache", tmp_path / "user-data"
    load_cloud_ranges(shipped_dir, cache_dir=cache_dir)
    extra = [
        {"ip_prefix": "203.0.113.0/24", "region": "test-1", "service": "EC2",
         "network_border_group": "test-1"},
        {"ip_prefix": "203.0.113.128/25", "region": "test-2", "service": "S3",
         "network_border_group": "test-2"},
        {"ip_prefix": "203.0.113.0/24", "region": "test-9", "service": "AMAZON",
         "network_border_group": "test-9"},
    ]  # fmt: skip
    _user_copy(user_dir, extra)
    builds = _count_builds(monkeypatch)
    updated = load_cloud_ranges(user_dir, cache_dir=cache_dir)
    assert builds == [1]
    assert updated.origins["aws"] == str(user_dir / "cloud" / "aws-ip-ranges.json")
    assert updated.lookup("203.0.113.5") == CloudRange(
        "203.0.113.0/24", "aws", "test-1", ("AMAZON", "EC2"), "test-1"
    )
    assert updated.lookup("203.0.113.200") == CloudRange(
        "203.0.113.128/25", "aws", "test-2", ("S3",), "test-2"
    )
    user_reference = reference_table(user_dir)
    sample = random.Random(5).sample(sample_addresses(user_reference), 4000)
    sample += ["203.0.113.5", "203.0.113.127", "203.0.113.128", "203.0.114.0"]
    assert_same_answers(updated, user_reference, sample)
    monkeypatch.setattr(cloud, "_build", _must_not_build)
    assert_same_answers(load_cloud_ranges(user_dir, cache_dir=cache_dir), user_reference, sample)
    # Back to the shipped files: the cache (now of the user copy) is stale again.
    builds = _count_builds(monkeypatch)
    shipped = load_cloud_ranges(shipped_dir, cache_dir=cache_dir)
    assert builds == [1] and shipped.lookup("203.0.113.5") is None
    assert_same_answers(shipped, reference, sample)


def test_cache_of_other_code_is_not_used(
    tmp_path: Path, shipped_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    monkeypatch.setattr(cloud, "_code_digest", lambda: b"another topo version".ljust(32))
    builds = _count_builds(monkeypatch)
    load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    load_cloud_ranges(shipped_dir, cache_dir=tmp_path)
    assert builds == [1]


def test_unwritable_cache_folder_still_loads(
    tmp_path: Path, shipped_dir: Path, reference: Reference, addresses: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ranges = load_cloud_ranges(shipped_dir, cache_dir=blocker / "cache")
    assert_same_answers(ranges, reference, addresses[::20])
    assert blocker.read_text() == "not a folder"


def test_no_cache_means_no_file(tmp_path: Path, shipped_dir: Path) -> None:
    load_cloud_ranges(shipped_dir, cache_dir=tmp_path, use_cache=False)
    assert list(tmp_path.iterdir()) == []


def _racer(
    data_dir: str, cache_dir: str, addrs: list[str], expected: list[Any], rounds: int, delete: bool
) -> None:
    for _ in range(rounds):
        if delete:
            (Path(cache_dir) / CACHE_NAME).unlink(missing_ok=True)
        ranges = load_cloud_ranges(Path(data_dir), cache_dir=Path(cache_dir))
        got = [
            None if (hit := ranges.lookup(a)) is None else dataclasses.astuple(hit) for a in addrs
        ]
        if got != expected:
            raise SystemExit(3)


def test_processes_sharing_one_cache(
    tmp_path: Path,
    shipped_dir: Path,
    reference: Reference,
    addresses: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    addrs = random.Random(11).sample(addresses, 2000)
    lookup = ReferenceLookup(reference)
    expected = [None if (hit := lookup(a)) is None else dataclasses.astuple(hit[1]) for a in addrs]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_racer,
            args=(str(shipped_dir), str(tmp_path), addrs, expected, 4, n == 0),
        )
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert not list(tmp_path.glob(".cloud-ranges-*"))
    if (tmp_path / CACHE_NAME).exists():
        monkeypatch.setattr(cloud, "_build", _must_not_build)
        assert_same_answers(load_cloud_ranges(shipped_dir, cache_dir=tmp_path), reference, addrs)


# -- PrefixMap: string keys parsed with integers, lazily built families, compiled form -------


def _network_text(version: int, number: int, length: int) -> str:
    """A prefix string, often with host bits set (``strict=False`` clears them)."""
    address = ipaddress.IPv6Address(number) if version == 6 else ipaddress.IPv4Address(number)
    return f"{address}/{length}"


prefixes = st.one_of(
    st.tuples(st.just(4), st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.tuples(st.just(6), st.integers(0, 2**128 - 1), st.integers(0, 128)),
    # Concentrated in a few small blocks, so networks nest and repeat.
    st.tuples(st.just(4), st.integers(0x0A000000, 0x0A0000FF), st.integers(22, 32)),
    st.tuples(st.just(6), st.integers(2**127, 2**127 + 255), st.integers(118, 128)),
).map(lambda t: _network_text(*t))
probes = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(0x0A000000 - 2, 0x0A000101).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(2**127 - 2, 2**127 + 257).map(lambda n: str(ipaddress.IPv6Address(n))),
    st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n))),
)


def _brute(
    rows: list[tuple[str, int]], merge: Callable[[Any, Any], Any] | None
) -> dict[Network, Any]:
    table: dict[Network, Any] = {}
    for text, value in rows:
        network = ipaddress.ip_network(text, strict=False)
        if network in table and merge is not None:
            value = merge(table[network], value)
        table[network] = value
    return table


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(prefixes, st.integers(0, 9)), max_size=40),
       st.lists(probes, min_size=1, max_size=40), st.booleans())  # fmt: skip
def test_prefixmap_string_keys_match_brute_force(
    rows: list[tuple[str, int]], addrs: list[str], merging: bool
) -> None:
    def merge(old: Any, new: Any) -> Any:  # order matters: checks the fold order
        return (*old, new) if isinstance(old, tuple) else (old, new)

    chosen = merge if merging else None
    table = PrefixMap(rows, merge=chosen)
    expected = _brute(rows, chosen)
    assert len(table) == len(expected)
    assert list(table.items()) == list(expected.items())
    rebuilt = PrefixMap.from_compiled(table.compiled(), table.values().__getitem__)
    fresh = PrefixMap(rows, merge=chosen)  # families built lazily, on these lookups
    for addr in addrs:
        ip = ipaddress.ip_address(addr)
        holding = [n for n in expected if ip in n]
        best = max(holding, key=lambda n: n.prefixlen) if holding else None
        want = None if best is None else (best, expected[best])
        assert table.lookup(addr) == want == rebuilt.lookup(addr) == fresh.lookup(addr)
    for version in (4, 6):
        assert table.intervals(version) == rebuilt.intervals(version)


ODD_KEYS = [
    "10.0.0.0/8", "10.1.2.3/8", "10.0.0.0/0", "0.0.0.0/0", "::/0", "10.0.0.1", "10.0.0.0/255.0.0.0",
    "10.0.0.0/0.255.255.255", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
    "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/", "/8", "", "010.0.0.0/8", "10.0.0/8", "10.0.0.0.0/8",
    "10.0.0.0/08", "10.0.0.0/0008", "10.0.0.0/８", "10.0.0.0/²", "10.0.0.0/8/8", "1.2.3.4\x00/8",
    "2001:db8::/32", "2001:DB8::1/32", "2001:db8::/129", "fe80::%eth0/64", "fe80::1%1/128",
    "::ffff:10.0.0.0/104", "::10.0.0.0/100", "2001:db8:::/32", "2001:db8::/032",
    "1::2:3:4:5:6:7/64",
]  # fmt: skip


@pytest.mark.parametrize("key", ODD_KEYS)
def test_prefixmap_accepts_and_refuses_what_ipaddress_does(key: str) -> None:
    try:
        expected = ipaddress.ip_network(key, strict=False)
    except ValueError:
        with pytest.raises(ValueError):
            PrefixMap([(key, 1)])
        return
    table = PrefixMap([(key, 1)])
    assert list(table.items()) == [(expected, 1)]
    assert table.lookup(str(expected.network_address).split("%")[0]) == (expected, 1)


def test_prefixmap_keys_of_every_kind_meet() -> None:
    table = PrefixMap(
        [("10.0.0.0/8", "a"), (ipaddress.ip_network("10.0.0.0/8"), "b"), ("10.9.9.9/8", "c")],
        merge=lambda old, new: old + new,
    )
    assert list(table.items()) == [(ipaddress.ip_network("10.0.0.0/8"), "abc")]


def test_compiled_parts_are_checked() -> None:
    table = PrefixMap([("10.0.0.0/8", 1), ("2001:db8::/32", 2)])
    versions, firsts, lengths, tables = table.compiled()
    with pytest.raises(ValueError):
        PrefixMap.from_compiled((versions, firsts[:1], lengths, tables), lambda i: i)
    with pytest.raises(ValueError):
        PrefixMap.from_compiled((versions, firsts, lengths, {4: tables[4]}), lambda i: i)
    starts, found = tables[4]
    with pytest.raises(ValueError):
        PrefixMap.from_compiled(
            (versions, firsts, lengths, {**tables, 4: (starts, [*found[:-1], 7])}), lambda i: i
        )
