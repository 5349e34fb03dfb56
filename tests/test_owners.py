"""Owners offline: published ranges, families, user tables, the SQLite cache, imports, updates."""

from __future__ import annotations

import gzip
import ipaddress
import json
import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.mirror import serve_folder
from topo.classify.prefixmap import PrefixMap
from topo.cli import cli
from topo.owners import OwnerResolver, ResolverConfig
from topo.owners.cache import OwnerCache
from topo.owners.cloud import DATASETS, load_cloud_ranges
from topo.owners.families import load_families
from topo.owners.ip2asn import AsnDatabase
from topo.owners.model import Owner
from topo.owners.tables import read_owner_table
from topo.owners.update import update_datasets

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def offline(tmp_path: Path, **kwargs: object) -> OwnerResolver:
    settings: dict[str, object] = {"cache_path": tmp_path / "cache.sqlite",
                                   "data_dir": tmp_path / "data", **kwargs}  # fmt: skip
    return OwnerResolver(ResolverConfig(**settings))  # type: ignore[arg-type]


def test_done_means_regions_and_family(tmp_path: Path) -> None:
    answers = offline(tmp_path).resolve(
        ["13.208.0.67", "15.230.24.168", "15.230.154.163", "52.95.31.166", "100.65.1.9"]
    )
    owners = [(a.owner.family, a.owner.region) if a.owner else None for a in answers]
    assert owners == [
        ("Amazon", "ap-northeast-3"),
        ("Amazon", "ap-northeast-3"),
        ("Amazon", "ap-northeast-1"),
        ("Amazon", "ap-northeast-1"),
        None,
    ]
    special = answers[-1]
    assert special.classification.name == "Shared Address Space" and special.error is None
    assert answers[0].owner is not None and answers[0].owner.services == ("AMAZON", "EC2")


def test_aws_global_is_never_a_region() -> None:
    ranges = load_cloud_ranges()
    raw = json.loads(gzip.decompress(
        (Path(__file__).resolve().parents[1] / "topo/data/cloud/aws-ip-ranges.json.gz").read_bytes()
    ))  # fmt: skip
    global_prefix = next(p["ip_prefix"] for p in raw["prefixes"] if p["region"] == "GLOBAL")
    inside = str(ipaddress.ip_network(global_prefix).network_address)
    hit = ranges.lookup(inside)
    assert hit is not None and hit.region != "GLOBAL"


def test_shipped_cloud_data_matches_the_shared_copies() -> None:
    for dataset in DATASETS:
        folder = Path(__file__).resolve().parents[1] / "topo/data/cloud"
        shipped = folder / (dataset.filename + ".gz")
        original = SHARED / dataset.filename
        if original.exists():
            assert gzip.decompress(shipped.read_bytes()) == original.read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "family"),
    [
        ({"org": "Amazon Technologies Inc."}, "Amazon"),
        ({"org": "Amazon Data Services Osaka"}, "Amazon"),
        ({"org": "Amazon.com, Inc."}, "Amazon"),
        ({"asn": 16509}, "Amazon"),
        ({"asn": 14618}, "Amazon"),
        ({"org": "Google LLC"}, "Google"),
        ({"provider": "oracle"}, "Oracle"),
        ({"org": "NTT Communications Corporation"}, "NTT Communications"),
        ({"asn": 64512}, None),
    ],
)
def test_family_normalisation(kwargs: dict[str, object], family: str | None) -> None:
    assert load_families().family_of(**kwargs) == family  # type: ignore[arg-type]


def test_owner_table_wins_and_reports_bad_rows(tmp_path: Path) -> None:
    table = tmp_path / "owners.csv"
    table.write_text(
        "prefix,org,asn,region\n"
        "# our view of the world\n"
        "13.208.0.0/24,Example Transit KK,AS64500,osaka-pop\n"
        "not-a-prefix,Nobody\n"
        "198.51.100.0/24,,x\n"
        "10.0.0.0/8,Corp WAN\n"
    )
    resolver = offline(tmp_path, owner_tables=(table,))
    first, other = resolver.resolve(["13.208.0.67", "13.208.1.1"])
    assert first.owner is not None
    assert (first.owner.org, first.owner.family, first.owner.asn, first.owner.region) == (
        "Example Transit KK",
        "Example Transit",
        64500,
        "osaka-pop",
    )
    # the table over the published range over the origin-AS data (which the table's AS
    # number replaces, with its name)
    assert first.owner.answered_by.startswith("owner-table+aws-ip-ranges+ip-location-db-asn-")
    assert first.owner.asn_name is None
    assert other.owner is not None and other.owner.family == "Amazon"
    assert [(e.line, e.message) for e in resolver.table_errors] == [
        (4, "not a prefix: 'not-a-prefix'"),
        (5, "not an AS number: 'x'"),
    ]
    _, errors = read_owner_table("192.0.2.0/24\n", source="t.csv")
    assert errors[0].message == "a row needs an org or an asn"


def test_cache_most_specific_ttl_and_sharing(tmp_path: Path) -> None:
    now = [1000.0]
    path = tmp_path / "owners.sqlite"
    with OwnerCache(path, ttl_days=1, clock=lambda: now[0]) as cache:
        cache.put(Owner(prefix="15.230.0.0/16", org="Amazon Technologies Inc.", answered_by="rdap"))
        cache.put(Owner(prefix="15.230.24.0/22", org="Specific", answered_by="whois"))
        cache.put(Owner(prefix="2406:da00::/24", org="V6 Org", answered_by="rdap"))
        assert cache.get("15.230.25.1").org == "Specific"  # type: ignore[union-attr]
        assert cache.get("15.230.200.1").org == "Amazon Technologies Inc."  # type: ignore[union-attr]
        assert cache.get("2406:da14::1").org == "V6 Org"  # type: ignore[union-attr]
        assert cache.get("16.0.0.1") is None
        now[0] += 2 * 86400
        assert cache.get("15.230.25.1") is None
    with OwnerCache(path) as again:
        assert len(again) == 3


def _writer(path: str, start: int) -> None:
    with OwnerCache(path) as cache:
        for i in range(start, start + 100):
            cache.put(Owner(prefix=f"10.{i // 256}.{i % 256}.0/24", org=f"org {i}"))


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    OwnerCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, n * 100)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with OwnerCache(path) as cache:
        assert len(cache) == 200
        assert cache.get("10.0.150.9").org == "org 150"  # type: ignore[union-attr]


GARBAGE = [b"this is not sqlite" * 100, b"SQLite format 3\x00" + b"\x01" * 50]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_corrupt_cache_is_moved_aside_and_rebuilt(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "owners.sqlite"
    path.write_bytes(garbage)
    warnings: list[str] = []
    with OwnerCache(path, warn=warnings.append) as cache:
        cache.put(Owner(prefix="192.0.2.0/24", org="fresh"))
        assert cache.get("192.0.2.1").org == "fresh"  # type: ignore[union-attr]
    assert len(warnings) == 1 and "moved aside" in warnings[0]
    assert [p.read_bytes() for p in tmp_path.glob("owners.sqlite.corrupt-*")] == [garbage]


def test_ip2asn_pfx2as_and_names_import(tmp_path: Path) -> None:
    database = AsnDatabase(tmp_path / "ip2asn.sqlite")
    dump = tmp_path / "ip2asn-v4.tsv.gz"
    dump.write_bytes(gzip.compress(
        b"1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"
        b"1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n"
        b"8.8.8.0\t8.8.8.255\t15169\tUS\tGOOGLE\n"
        b"garbage line\n"
    ))  # fmt: skip
    summary = database.import_file(dump, date=datetime(2026, 11, 1, tzinfo=UTC))
    assert (summary.kind, summary.rows, summary.skipped) == ("ip2asn", 2, 1)
    assert [e.line for e in summary.errors] == [4]
    pfx = database.import_text("203.0.113.0\t24\t64500_64501\n2001:db8::\t32\t64502\n",
                               source="pfx2as", date=datetime(2026, 11, 1, tzinfo=UTC))  # fmt: skip
    assert pfx.kind == "pfx2as" and pfx.rows == 2
    database.import_text("AS64502\tEXAMPLE-V6\n", source="names.txt")
    google = database.lookup("8.8.8.8")
    assert google is not None and (google.asn, google.asn_name, google.prefix) == (
        15169,
        "GOOGLE",
        "8.8.8.0/24",
    )
    multi = database.lookup("203.0.113.9")
    assert multi is not None and multi.asn == 64500 and "AS64501" in (multi.asn_name or "")
    v6 = database.lookup("2001:db8::1")
    assert v6 is not None and v6.asn_name == "EXAMPLE-V6"
    assert database.lookup("1.0.2.1") is None
    database.close()
    resolver = offline(tmp_path, data_dir=tmp_path, now=lambda: datetime(2027, 6, 1, tzinfo=UTC))
    [answer] = resolver.resolve(["8.8.8.8"])
    assert answer.owner is not None and answer.owner.family == "Google"
    assert answer.owner.answered_by == "ip2asn"
    assert any("origin-AS data is from 2026-11-01" in w for w in resolver.stale_data_warnings())


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "mirror"
    root.mkdir()
    with serve_folder(root) as url:
        yield url, root


def test_data_update_from_a_loopback_mirror(tmp_path: Path, mirror: tuple[str, Path]) -> None:
    url, root = mirror
    fresh = {"syncToken": "1", "createDate": "2026-11-28-00-00-00", "prefixes": [
        {"ip_prefix": "1.2.3.0/24", "region": "ap-northeast-3", "service": "EC2",
         "network_border_group": "ap-northeast-3"}], "ipv6_prefixes": []}  # fmt: skip
    (root / "aws-ip-ranges.json").write_text(json.dumps(fresh))
    (root / "gcp-cloud.json").write_text("{not json")
    data_dir = tmp_path / "data"
    results = {r.dataset: r for r in update_datasets(mirror=url, data_dir=data_dir, timeout=5)}
    aws = results["aws-ip-ranges.json"]
    assert aws.error is None and aws.prefixes == 1
    assert aws.date == datetime(2026, 11, 28, tzinfo=UTC)
    assert "not a valid gcp range file" in (results["gcp-cloud.json"].error or "")
    assert "404" in (results["oracle-cloud-public-ip-ranges.json"].error or "")
    assert not (data_dir / "cloud" / "gcp-cloud.json").exists()
    resolver = offline(tmp_path, data_dir=data_dir)
    [answer] = resolver.resolve(["1.2.3.7"])
    assert answer.owner is not None and answer.owner.region == "ap-northeast-3"
    assert resolver.cloud.origins["aws"].endswith("aws-ip-ranges.json")
    assert resolver.cloud.origins["gcp"] == "shipped gcp-cloud.json"


def test_whois_cli_json_and_offline_summary(tmp_path: Path) -> None:
    args = ["whois", "13.208.0.67", "100.65.1.9", "192.0.2.200", "203.0.113.5", "--json"]
    result = CliRunner().invoke(cli, [*args, "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 0, result.output
    records = {r["addr"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(records["13.208.0.67"]) == {
        "addr",
        "category",
        "name",
        "rfc",
        "org",
        "family",
        "asn",
        "asn_name",
        "prefix",
        "provider",
        "region",
        "services",
        "answered_by",
        "evidence",
        "error",
    }
    assert records["13.208.0.67"]["services"] == ["AMAZON", "EC2"]
    assert records["13.208.0.67"]["region"] == "ap-northeast-3"
    assert records["100.65.1.9"]["category"] == "cgnat"
    assert records["100.65.1.9"]["answered_by"] is None
    assert records["192.0.2.200"]["category"] == "documentation"
    assert "published cloud ranges are old" in result.stderr


ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
networks = st.lists(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
        lambda t: ipaddress.IPv4Network((t[0] >> (32 - t[1]) << (32 - t[1]), t[1]))
    ),
    max_size=30,
)


@settings(max_examples=200)
@given(networks, st.lists(ipv4, min_size=1, max_size=30))
def test_prefixmap_matches_brute_force(nets: list[ipaddress.IPv4Network], addrs: list[str]) -> None:
    table = PrefixMap((n, str(n)) for n in nets)
    for addr in addrs:
        ip = ipaddress.IPv4Address(addr)
        holding = [n for n in nets if ip in n]
        expected = max(holding, key=lambda n: n.prefixlen) if holding else None
        got = table.lookup(addr)
        assert (got[0] if got else None) == expected
