"""The origin-AS table: shipped lookups, the resolver chain, the CLI, updates over loopback HTTP."""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.mirror import serve_folder
from topo.cli import cli
from topo.errors import TopoError
from topo.owners import OwnerResolver, ResolverConfig
from topo.owners.ip2asn import AsnDatabase
from topo.owners.origin import (
    OriginAsData,
    OriginRow,
    compile_origin,
    open_origin_as,
    read_asn_csv,
    read_ip2asn_tsv,
)
from topo.owners.resolver import OFFLINE_REASON
from topo.owners.update import ORIGIN_AS_FILENAME, update_datasets, update_origin_as

SHIPPED_ID = "ip-location-db-asn-2026-06-17"


@pytest.fixture(scope="module")
def shipped() -> OriginAsData:
    return OriginAsData.shipped()


def resolver(tmp_path: Path, **kwargs: object) -> OwnerResolver:
    settings: dict[str, object] = {"use_cache": False, "data_dir": tmp_path / "data", **kwargs}
    return OwnerResolver(ResolverConfig(**settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("addr", "asn", "name", "prefix"),
    [
        ("142.251.55.118", 15169, "Google LLC", "142.250.0.0/15"),
        ("129.250.2.41", 2914, "NTT America, Inc.", "129.250.0.0/19"),
        ("140.91.218.2", 31898, "Oracle Corporation", "140.91.218.0/23"),
        ("63.218.250.169", 3491, "PCCW Global (HK) Limited", "63.218.0.0/16"),
        ("2001:4860:0:1::50a2", 15169, "Google LLC", "2001:4860::/34"),
        # Amazon's internal space is not announced, but the RIR delegation data the table
        # falls back to names its holder's AS.
        ("52.93.8.1", 16509, "Amazon.com, Inc.", "52.92.0.0/15"),
    ],
)
def test_shipped_lookups(
    shipped: OriginAsData, addr: str, asn: int, name: str, prefix: str
) -> None:
    owner = shipped.lookup(addr)
    assert owner is not None
    assert (owner.asn, owner.asn_name, owner.prefix) == (asn, name, prefix)
    assert owner.answered_by == SHIPPED_ID
    assert ipaddress.ip_address(addr) in ipaddress.ip_network(owner.prefix)
    assert (owner.org, owner.family, owner.provider) == (None, None, None)


def test_shipped_table_describes_itself(shipped: OriginAsData) -> None:
    assert shipped.id == SHIPPED_ID and "+" not in shipped.id
    assert shipped.date == datetime(2026, 6, 17, 19, tzinfo=UTC)
    assert "ip-location-db" in shipped.source and "CC BY 4.0" in shipped.licence
    assert shipped.origin == "shipped origin-as.bin"
    assert len(shipped) > 400_000


@pytest.mark.parametrize("addr", ["15.230.24.168", "150.222.3.193", "1.2.3.4", "not-an-ip"])
def test_unannounced_space_has_no_origin(shipped: OriginAsData, addr: str) -> None:
    assert shipped.lookup(addr) is None


def test_resolver_answers_foreign_networks_offline(tmp_path: Path) -> None:
    answers = resolver(tmp_path).resolve(
        ["142.251.55.118", "129.250.2.41", "140.91.218.2", "2001:4860:0:1::50a2"]
    )
    for answer in answers:
        assert answer.owner is not None and answer.error is None
        assert SHIPPED_ID in (answer.owner.answered_by or "")
    assert [a.owner.asn for a in answers if a.owner] == [15169, 2914, 31898, 15169]
    assert [a.owner.family for a in answers if a.owner] == ["Google", "NTT", "Oracle", "Google"]


def test_a_cloud_range_keeps_its_prefix_provider_and_region(tmp_path: Path) -> None:
    [osaka] = resolver(tmp_path).resolve(["13.208.0.67"])
    owner = osaka.owner
    assert owner is not None
    assert (owner.prefix, owner.provider, owner.region) == (
        "13.208.0.0/16",
        "aws",
        "ap-northeast-3",
    )
    assert (owner.asn, owner.asn_name) == (16509, "Amazon.com, Inc.")
    assert owner.answered_by == f"aws-ip-ranges+{SHIPPED_ID}"


def test_an_imported_dump_replaces_the_table_for_what_it_knows(tmp_path: Path) -> None:
    database = AsnDatabase(tmp_path / "data" / "ip2asn.sqlite")
    database.import_text("8.8.8.0\t8.8.8.255\t64500\tUS\t\n", source="dump.tsv")
    database.close()
    mine, google = resolver(tmp_path).resolve(["8.8.8.8", "8.8.4.4"])
    assert mine.owner is not None
    # The imported AS, without the table's name of another AS beside it.
    assert (mine.owner.asn, mine.owner.asn_name, mine.owner.answered_by) == (
        64500,
        None,
        "ip2asn",
    )
    assert google.owner is not None and google.owner.answered_by == SHIPPED_ID


def test_an_imported_dump_answers_from_other_threads(tmp_path: Path) -> None:
    """Dask's workers are threads: one connection used from another thread raised
    sqlite3.ProgrammingError and failed the whole build."""
    database = AsnDatabase(tmp_path / "ip2asn.sqlite")
    database.import_text("8.8.8.0\t8.8.8.255\t64500\tUS\t\n", source="dump.tsv")
    with ThreadPoolExecutor(2) as pool:
        owners = list(pool.map(database.lookup, ["8.8.8.8", "8.8.8.9", "9.9.9.9"]))
    assert [o.asn if o else None for o in owners] == [64500, 64500, None]


def test_the_table_can_be_turned_off(tmp_path: Path) -> None:
    off = resolver(tmp_path, origin_as=False)
    [answer] = off.resolve(["142.251.55.118"])
    assert answer.owner is None and answer.error == OFFLINE_REASON
    assert off.origin_as is None
    assert not any("origin-AS table" in w for w in off.stale_data_warnings())


def test_stale_warning_names_the_date_and_the_refresh(tmp_path: Path) -> None:
    fresh = resolver(tmp_path, now=lambda: datetime(2026, 7, 1, tzinfo=UTC))
    assert not any("origin-AS table" in w for w in fresh.stale_data_warnings())
    old = resolver(tmp_path, now=lambda: datetime(2027, 1, 1, tzinfo=UTC))
    [warning] = [w for w in old.stale_data_warnings() if "origin-AS table" in w]
    assert "2026-06-17" in warning and "topo data update" in warning


def test_whois_json_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TOPO_ONLINE", raising=False)
    result = CliRunner().invoke(cli, ["whois", "142.251.55.118", "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    [record] = map(json.loads, result.stdout.splitlines())
    assert (record["asn"], record["prefix"], record["family"]) == (
        15169,
        "142.250.0.0/15",
        "Google",
    )
    assert record["answered_by"] == SHIPPED_ID and record["error"] is None
    assert "origin-AS table" in result.stderr


# -- building tables ----------------------------------------------------------------------


def table(rows: list[OriginRow], day: int = 1) -> OriginAsData:
    blob = compile_origin(rows, dataset_id=f"test-{day}", date=datetime(2026, 1, day, tzinfo=UTC),
                          source="test", licence="CC0")  # fmt: skip
    return OriginAsData.from_bytes(blob)


ranges = st.lists(
    st.tuples(st.integers(0, 255), st.integers(0, 64), st.integers(1, 4)).map(
        lambda t: OriginRow(4, t[0], min(t[0] + t[1], 255), t[2], f"AS-{t[2]}")
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200)
@given(ranges)
def test_overlapping_ranges_match_brute_force(rows: list[OriginRow]) -> None:
    """Where ranges overlap, the one that starts later (then the narrower, then the later
    row) wins."""
    data = table(rows)
    for number in range(0, 300):
        covering = [r for r in rows if r.first <= number <= r.last]
        owner = data.lookup(str(ipaddress.IPv4Address(number)))
        if not covering:
            assert owner is None
            continue
        best = max(reversed(covering), key=lambda r: (r.first, -r.last))
        assert owner is not None and owner.asn == best.asn, (number, rows)
        assert owner.prefix is not None
        network = ipaddress.ip_network(owner.prefix)
        assert number in range(int(network.network_address), int(network.broadcast_address) + 1)
        # the block lies inside the interval where this answer holds
        inside = range(int(network.network_address), int(network.broadcast_address) + 1)
        assert all(
            (o := data.lookup(str(ipaddress.IPv4Address(n)))) is not None and o.asn == best.asn
            for n in (inside.start, inside.stop - 1)
        )


def test_readers_and_refusals() -> None:
    csv_rows = list(read_asn_csv("16777216,16777471,13335,Cloudflare\n", version=4))
    assert csv_rows == [OriginRow(4, 16777216, 16777471, 13335, "Cloudflare")]
    v6 = list(read_asn_csv('2001:db8::,2001:db8::ffff,64500,"Ex\x07ample\tNet"\n'))
    assert v6[0].version == 6 and v6[0].name == "Ex ample Net"
    with pytest.raises(TopoError, match="line 2"):
        list(read_ip2asn_tsv("1.0.0.0\t1.0.0.255\t13335\tUS\tX\nnonsense\n"))
    with pytest.raises(TopoError, match="no routed ranges"):
        table([])
    with pytest.raises(TopoError, match="bad dataset id"):
        compile_origin([OriginRow(4, 0, 1, 1, "")], dataset_id="a+b", date=datetime.now(UTC),
                       source="t", licence="t")  # fmt: skip
    with pytest.raises(TopoError, match="not a usable origin-AS table"):
        OriginAsData.from_bytes(b"topo origin-as 1\n\x02\x00\x00\x00{}")


# -- updates over loopback HTTP ---------------------------------------------------------------

GOOD_DUMP = (
    b"8.8.8.0\t8.8.8.255\t15169\tUS\tGOOGLE\n"
    b"8.8.9.0\t8.8.9.255\t0\tNone\tNot routed\n"
    b"2001:4860::\t2001:4860:ffff:ffff:ffff:ffff:ffff:ffff\t15169\tUS\tGOOGLE\n"
)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "mirror"
    root.mkdir()
    with serve_folder(root) as url:
        yield url, root


def serve(root: Path, body: bytes, when: datetime) -> None:
    path = root / ORIGIN_AS_FILENAME
    path.write_bytes(body)
    os.utime(path, (when.timestamp(), when.timestamp()))  # the server's Last-Modified


def test_update_installs_a_good_dump_and_keeps_it_over_a_bad_one(
    tmp_path: Path, mirror: tuple[str, Path]
) -> None:
    url, root = mirror
    data_dir = tmp_path / "data"
    serve(root, gzip.compress(GOOD_DUMP), datetime(2026, 11, 30, 12, tzinfo=UTC))
    result = update_origin_as(mirror=url, data_dir=data_dir, timeout=5)
    assert result.error is None, result.error
    assert (result.prefixes, result.date) == (2, datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert result.path == data_dir / "origin-as.bin"
    installed = result.path.read_bytes()

    chain = resolver(tmp_path, data_dir=data_dir)
    google, unrouted, v6, elsewhere = chain.resolve(
        ["8.8.8.8", "8.8.9.9", "2001:4860::1", "129.250.2.41"]
    )
    assert google.owner is not None and google.owner.answered_by == "iptoasn-2026-11-30"
    assert (google.owner.asn_name, google.owner.prefix) == ("GOOGLE", "8.8.8.0/24")
    assert unrouted.owner is None
    assert v6.owner is not None and v6.owner.prefix == "2001:4860::/32"
    assert elsewhere.owner is None  # the update replaces the shipped table, not adds to it
    assert chain.origin_as is not None and chain.origin_as.origin == str(result.path)

    for bad, why in [
        (gzip.compress(GOOD_DUMP)[:-12], "not a readable dump"),
        (GOOD_DUMP + b"<html>captive portal</html>\n", "line 4"),
        (b"1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n", "no routed ranges"),
    ]:
        serve(root, bad, datetime(2026, 12, 1, tzinfo=UTC))
        failed = update_origin_as(mirror=url, data_dir=data_dir, timeout=5)
        assert failed.error is not None and why in failed.error, failed.error
        assert failed.path is None
        assert (data_dir / "origin-as.bin").read_bytes() == installed
    assert sorted(p.name for p in data_dir.iterdir()) == ["origin-as.bin"]


def test_update_datasets_includes_the_table_and_status_shows_it(
    tmp_path: Path, mirror: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = mirror
    serve(root, GOOD_DUMP, datetime(2026, 11, 30, tzinfo=UTC))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    results = {r.dataset: r for r in update_datasets(mirror=url, timeout=5)}
    assert results[ORIGIN_AS_FILENAME].error is None
    assert "404" in (results["aws-ip-ranges.json"].error or "")
    status = CliRunner().invoke(cli, ["data", "status"])
    assert status.exit_code == 0, status.output
    [row] = [line for line in status.stdout.splitlines() if line.startswith("origin-as")]
    assert "2026-11-30" in row and str(tmp_path / "xdg" / "topo" / "origin-as.bin") in row
    assert "PDDL" in row


def test_a_damaged_user_copy_falls_back_to_the_shipped_table(tmp_path: Path) -> None:
    (tmp_path / "origin-as.bin").write_bytes(b"topo origin-as 1\nhalf a file")
    warnings: list[str] = []
    data = open_origin_as(tmp_path, warn=warnings.append)
    assert data.id == SHIPPED_ID
    assert len(warnings) == 1 and "not a usable origin-AS table" in warnings[0]
