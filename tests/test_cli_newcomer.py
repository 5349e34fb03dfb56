"""What a newcomer's mistakes get (issue 25, item 4): one line that says what is wrong, and
the exit code docs/bad-input.md documents."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from topo.cli import cli
from topo.cli.notices import stamp_path as user_stamp_path

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "samples" / "aws-osaka-tokyo" / "traceroute.txt"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_utf16_and_utf32_without_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = TRACE.read_text(encoding="utf-8")
    for codec, named in (("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"),
                         ("utf-32-le", "utf-32"), ("utf-32-be", "UTF32")):  # fmt: skip
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(text.encode(codec))
        code, out, err = run("parse", "--encoding", named, str(path))
        assert (code, err) == (0, ""), (codec, err)
        assert "30 hops" in out


def test_utf16_named_for_a_file_that_is_not_utf16_is_one_line(tmp_path: Path) -> None:
    for named in ("utf-16", "utf-32"):
        code, out, err = run("parse", "--encoding", named, str(TRACE))
        upper = named.upper()
        assert code == 1 and out == ""
        assert error_lines(err) == [
            f"{TRACE}:1: not {upper} text: no byte order mark and no {upper} pattern of NUL "
            "bytes; leave --encoding out to detect the encoding"
        ]


def test_an_encoding_that_is_not_a_text_encoding_is_a_usage_error() -> None:
    for codec in ("rot13", "base64", "klingon"):
        code, out, err = run("parse", "--encoding", codec, str(TRACE))
        assert code == 2 and out == ""
        assert "Invalid value for '--encoding'" in err
    assert "'rot13' is not a text encoding" in run("parse", "--encoding", "rot13", str(TRACE))[2]


def test_an_empty_or_blank_file_says_empty_file(tmp_path: Path) -> None:
    empty, blank = tmp_path / "empty.txt", tmp_path / "blank.txt"
    empty.write_bytes(b"")
    blank.write_bytes(b" \n\t\r\n\n")
    code, out, err = run("parse", str(empty), str(blank))
    assert code == 1 and out == ""
    assert error_lines(err) == [f"{empty}: empty file", f"{blank}: empty file (only blanks)"]
    assert run("parse", "-", stdin="")[0] == 1
    assert error_lines(run("parse", "-", stdin="\n\n")[2]) == ["<stdin>: empty file (only blanks)"]


def test_a_mistyped_address_is_not_called_a_missing_file() -> None:
    for target in ("999.1.1.1", "1.2.3", "2001:db8::g", "10.0.0.0/8", "١.1.1.1"):
        code, out, err = run("classify", target, "192.0.2.1")
        assert code == 1, target
        assert error_lines(err) == [f"{target}: not an IP address (and no such file)"]
        assert "192.0.2.1" in out  # the rest is still classified
    code, _, err = run("classify", "nothere.txt")
    assert (code, error_lines(err)) == (1, ["nothere.txt: no such file or directory"])


def test_data_import_of_a_traceroute_is_one_summary_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = run("data", "import", str(TRACE))
    assert code == 1
    assert error_lines(err) == [
        f"{TRACE}: 31 lines are not origin-AS rows; first: line 1 'traceroute to "
        "13.115.231.114 (13.115.231.114), 30 hops ma...'; topo data import reads ip2asn TSV "
        "(start, end, AS, country, name), CAIDA pfx2as (prefix, length, AS) or AS names (AS, name)"
    ]
    assert "0 rows imported" in out
    # a file with a few bad rows keeps an error per row
    dump = tmp_path / "ip2asn.tsv"
    dump.write_text("1.0.0.0\t1.0.0.255\t13335\tUS\tCF\n1.0.1.0\t1.0.1.255\t13335\tUS\tCF\n"
                    "1.0.2.0\t1.0.2.255\t13335\tUS\tCF\nnonsense\n", encoding="utf-8")  # fmt: skip
    code, out, err = run("data", "import", str(dump))
    assert code == 1 and "3 rows imported" in out
    assert error_lines(err) == [f"{dump}:4: unreadable row (list index out of range)"]


def test_data_import_of_a_missing_file_exits_1_like_every_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    missing = tmp_path / "missing.tsv"
    code, out, err = run("data", "import", str(missing))
    assert (code, out, error_lines(err)) == (1, "", [f"{missing}: no such file or directory"])


def test_a_traceroute_given_as_owner_table_is_one_summary_line(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    code, _, err = run("build", str(TRACE), "--owner-table", str(TRACE), "-o", str(page), "-q")
    assert code == 1 and page.exists()
    table_errors = [line for line in error_lines(err) if "owner-table" in line]
    assert table_errors == [
        f"{TRACE}: 31 lines are not owner-table rows; first: line 1 'traceroute to "
        "13.115.231.114 (13.115.231.114), 30 hops ma...'; an owner table is CSV "
        "prefix,org[,asn][,region]"
    ]
    assert not [line for line in error_lines(err) if "not a prefix" in line]


def stale_free(err: str) -> list[str]:
    """The lines of ``err`` but the warnings about the shipped data's age."""
    return [line for line in error_lines(err) if "days old" not in line and "are old" not in line]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_an_unusable_cache_path_runs_without_the_cache_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc/self: a folder no one may create a file in, even root; /etc/passwd: a file
    for cache, why in (
        ("/etc/passwd/x/owners.sqlite", "/etc/passwd is a file, not a folder"),
        ("/proc/self/owners.sqlite", "unable to open database file"),
    ):
        code, out, err = run("whois", "8.8.8.8", "--cache", cache)
        assert code == 0 and "Google" in out
        assert stale_free(err) == [
            f"topo: warning: cannot use the owner cache {cache}: {why}; running without it"
        ]
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/self")  # the default cache folder
    page = tmp_path / "page.html"
    code, out, err = run("build", str(TRACE), "-o", str(page), "-q", "-j", "2")
    assert code == 0 and page.exists()
    assert stale_free(err) == [
        "topo: warning: cannot use the owner cache /proc/self/topo/owners.sqlite: "
        "No such file or directory; running without it"
    ]


def test_damaged_cache_rows_are_dropped_with_one_warning(tmp_path: Path) -> None:
    import sqlite3

    from topo.owners.cache import OwnerCache
    from topo.owners.model import Owner

    path = tmp_path / "owners.sqlite"
    with OwnerCache(path) as cache:
        cache.put(Owner(prefix="8.8.8.0/24", org="Google LLC", answered_by="rdap"))
        cache.put(Owner(prefix="8.8.0.0/16", org="Wider", answered_by="rdap"))
        cache.put(Owner(prefix="1.1.1.0/24", org="Cloudflare", answered_by="rdap"))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE owners SET data = '{not json' WHERE prefix = '8.8.8.0/24'")
        db.execute("""UPDATE owners SET data = '{"org": 5}' WHERE prefix = '1.1.1.0/24'""")
    code, out, err = run("whois", "8.8.8.8", "1.1.1.1", "--cache", str(path))
    assert code == 0
    assert "Wider" in out  # the next covering row answers
    [warning] = stale_free(err)
    assert warning.startswith(f"topo: warning: {path}: dropped a damaged cache row for ")
    with sqlite3.connect(path) as db:
        left = {row[0] for row in db.execute("SELECT prefix FROM owners")}
    assert left == {"8.8.0.0/16"}
    code, _, err = run("whois", "8.8.8.8", "--cache", str(path))
    assert code == 0 and stale_free(err) == []


def test_eight_runs_starting_on_a_corrupt_cache_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "owners.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # each imports topo, then waits for the same moment: the eight open the cache together
    start = time.time() + 4
    code = (
        "import sys, time; from topo.cli import main; "
        f"time.sleep(max(0, {start} - time.time())); main(sys.argv[1:])"
    )
    command = [sys.executable, "-c", code, "whois", "8.8.8.8", "--cache", str(path)]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    results = [(r.wait(120), r.stderr.read().decode()) for r in runs if r.stderr is not None]
    for r in runs:
        if r.stdout is not None:
            r.stdout.close()
        if r.stderr is not None:
            r.stderr.close()
    assert [code for code, _ in results] == [0] * 8, [err for _, err in results]
    moved = [line for _, err in results for line in stale_free(err)]
    assert len(moved) == 1 and "moved aside" in moved[0]
    assert len(list(tmp_path.glob("owners.sqlite.corrupt-*"))) == 1


@pytest.fixture
def old_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every dataset counts as old, and the user folders are fresh: the cache folder is
    returned (its stamp says when the warning was last shown)."""
    from datetime import timedelta

    import topo.owners.resolver as resolver

    monkeypatch.setattr(resolver, "STALE_AFTER", timedelta(days=-1))
    monkeypatch.setattr("topo.cli.notices.stamp_path", user_stamp_path)  # the real one
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def age_warnings(err: str) -> list[str]:
    return [line for line in error_lines(err) if line not in stale_free(err)]


def test_the_data_age_warning_is_shown_once_a_day_and_names_the_fix(old_data: Path) -> None:
    code, _, err = run("whois", "8.8.8.8", "--no-cache")
    assert code == 0
    shown = age_warnings(err)
    assert shown and all("`topo data update` fetches" in line for line in shown), shown
    assert (old_data / "topo" / "data-age-warned").is_file()
    for again in (("whois", "8.8.8.8", "--no-cache"), ("classify", "8.8.8.8")):
        assert age_warnings(run(*again)[2]) == []
    page = old_data.parent / "p.html"
    assert age_warnings(run("build", str(TRACE), "-o", str(page), "--no-cache")[2]) == []
    # a day later it is shown again
    stamp = old_data / "topo" / "data-age-warned"
    os.utime(stamp, (time.time() - 86_401, time.time() - 86_401))
    assert age_warnings(run("whois", "8.8.8.8", "--no-cache")[2]) == shown
    # topo data status always says how old the data is
    assert age_warnings(run("data", "status")[2]) == shown


def test_quiet_never_shows_the_data_age_warning(old_data: Path) -> None:
    page = old_data.parent / "p.html"
    for args in (
        ("whois", "-q", "8.8.8.8", "--no-cache"),
        ("build", "-q", str(TRACE), "-o", str(page), "--no-cache"),
        ("infer", "--quiet", str(TRACE), "--no-cache"),
    ):
        code, _, err = run(*args)
        assert code == 0 and age_warnings(err) == [], args
    assert not (old_data / "topo" / "data-age-warned").exists()
    assert age_warnings(run("whois", "8.8.8.8", "--no-cache")[2])  # not quiet: shown


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_the_data_age_warning_is_shown_every_time_without_a_stamp_folder(
    old_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/self")  # nothing can be written there
    for _ in range(2):
        code, _, err = run("whois", "8.8.8.8", "--no-cache")
        assert code == 0 and age_warnings(err)


DUMP = b"8.8.8.0\t8.8.8.255\t15169\tUS\tGOOGLE\n1.1.1.0\t1.1.1.255\t13335\tUS\tCLOUDFLARENET\n"


def downloaded(folder: Path) -> Path:
    """A folder holding what a user downloads: the three cloud files and an ip2asn dump."""
    import gzip
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for shipped in (ROOT / "topo" / "data" / "cloud").glob("*.json.gz"):
        shutil.copy(shipped, folder / shipped.name)
    (folder / "ip2asn-combined.tsv.gz").write_bytes(gzip.compress(DUMP))
    return folder


def installed(err: str, out: str) -> list[str]:
    assert err == "", err
    return sorted(line.split(":")[0] for line in out.splitlines())


ALL = ["aws-ip-ranges.json", "gcp-cloud.json", "ip2asn-combined.tsv.gz",
       "oracle-cloud-public-ip-ranges.json"]  # fmt: skip


def test_data_update_from_a_folder_a_file_url_or_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = downloaded(tmp_path / "mirror")
    code, out, err = run("data", "update", "--from", str(folder))
    assert code == 0 and installed(err, out) == ALL
    assert (tmp_path / "data" / "topo" / "origin-as.bin").is_file()
    code, out, err = run("data", "update", "--from", folder.as_uri())
    assert code == 0 and installed(err, out) == ALL
    one = folder / "gcp-cloud.json.gz"
    code, out, err = run("data", "update", "--from", one.as_uri())
    assert code == 0 and installed(err, out) == ["gcp-cloud.json"]
    publisher = tmp_path / "ip-ranges.json"  # AWS's own name for its file
    import gzip

    publisher.write_bytes(gzip.decompress((folder / "aws-ip-ranges.json.gz").read_bytes()))
    code, out, err = run("data", "update", "--from", str(publisher))
    assert code == 0 and installed(err, out) == ["aws-ip-ranges.json"]
    code, out, err = run("whois", "8.8.8.8", "--no-cache", "-q")
    assert code == 0 and "iptoasn" in out  # the installed table answers


def test_data_update_from_a_wrong_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for source, message in (
        (str(TRACE), f"topo: --from {TRACE}: not a file topo updates from; its name is one of "),
        (str(tmp_path / "nope"), f"topo: --from {tmp_path / 'nope'}: no such file or folder"),
        ("ftp://127.0.0.1/x", "topo: --from ftp://127.0.0.1/x: an http:// or https:// URL, "
         "a file:// URL, a folder or a file"),
    ):  # fmt: skip
        code, out, err = run("data", "update", "--from", source)
        assert (code, out) == (2, "")
        [line] = error_lines(err)
        assert line.startswith(message), line
    assert not (tmp_path / "data").exists()
    # a folder without some of the files: each missing one is a line, the rest installed
    folder = downloaded(tmp_path / "partial")
    (folder / "gcp-cloud.json.gz").unlink()
    code, out, err = run("data", "update", "--from", str(folder))
    assert code == 1 and len(out.splitlines()) == 3
    assert error_lines(err) == [
        f"{folder / 'gcp-cloud.json'}: no such file (kept the previous copy)"
    ]


def test_data_update_from_a_loopback_http_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.mirror import serve_folder

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = downloaded(tmp_path / "mirror")
    for shipped in folder.glob("*.json.gz"):  # a mirror serves topo's file names
        shipped.rename(folder / shipped.name.removesuffix(".gz"))
    with serve_folder(folder) as url:
        assert url.startswith("http://127.0.0.1:")
        code, out, err = run("data", "update", "--from", url, "--timeout", "5")
    assert code == 0 and installed(err, out) == ALL


def test_a_wrong_forced_format_is_one_line_naming_the_detected_one(tmp_path: Path) -> None:
    code, _, err = run("parse", "--format", "cisco-ios", str(TRACE))
    assert code == 1
    assert error_lines(err) == [
        f"{TRACE}: 21 lines are not cisco-ios lines; first: line 2 '1  13.208.0.69  1.486 ms "
        "13.208.0.67  1.478 ms 13.208.0.6...'; the file looks like linux-traceroute (detected: "
        "leave --format out to read it so)"
    ]
    # a text no parser recognises: said so
    junk = tmp_path / "junk.txt"
    junk.write_text("".join(f"{n} hello there\n" for n in range(1, 9)), encoding="utf-8")
    code, _, err = run("parse", "--format", "cisco-ios", str(junk))
    [line] = error_lines(err)
    assert code == 1 and line.endswith("; no format recognises it (topo formats lists them)")
    # one bad line in a good file keeps its own line
    text = TRACE.read_text(encoding="utf-8").splitlines()
    text[5] = " 5  junk here"
    one = tmp_path / "one.txt"
    one.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, out, err = run("parse", "--format", "linux-traceroute", str(one))
    assert code == 1 and "29 hops" in out  # the other 29 hops
    [line] = error_lines(err)
    assert line.startswith(f"{one}:6: ")


def test_an_unreachable_dask_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.distributed")
    from tests.servers import closed_port

    page = tmp_path / "page.html"
    address = f"tcp://127.0.0.1:{closed_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code, out, err = run("build", "-q", str(TRACE), "-o", str(page), "--engine", "dask",
                             "--scheduler", address)  # fmt: skip
    assert (code, out) == (2, "") and not page.exists()
    assert error_lines(err) == [
        f"topo: --scheduler {address}: cannot reach the Dask scheduler (Timed out trying to "
        f"connect to {address} after 2 s)"
    ]
    code, _, err = run("infer", "-q", str(TRACE), "--engine", "dask", "--scheduler", "nowhere")
    assert code == 2 and error_lines(err) == [
        "topo: --scheduler nowhere: cannot reach the Dask scheduler (missing port number in "
        "address 'nowhere')"
    ]
