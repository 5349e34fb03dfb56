"""Compressed inputs (gzip, bzip2, xz, zstd) read as they are decompressed: the same traces
as the plain file, damage reported with the file's name after every trace before it, the
compressed bytes on the progress line, never cut into line ranges."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import zstandard

from topo import analyze
from topo.cli.progress import IngestProgress
from topo.engines import Processes, units
from topo.errors import ParseError
from topo.inputs import read_traces
from topo.inputs.reading import splittable_parser
from topo.model import Trace

from .conftest import DATA
from .test_golden import golden_inputs, require_parser_program
from .test_scale import _synth

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A RIPE Atlas JSON Lines file large enough to be streamed, and a traceroute text."""
    root = tmp_path_factory.mktemp("compressed")
    atlas = root / "atlas.jsonl"
    atlas.write_text("\n".join(_synth().atlas_lines(300, 1, 2000)) + "\n", encoding="utf-8")
    text = root / "trace.txt"
    text.write_bytes((DATA / "linux-traceroute" / "names-asn-mpls.txt").read_bytes())
    return {"atlas": atlas, "text": text}


def _compressed(path: Path, suffix: str) -> Path:
    out = path.with_name(f"{path.name}.{suffix}")
    out.write_bytes(COMPRESSORS[suffix](path.read_bytes()))
    return out


def _traces(path: Path) -> list[tuple[int | None, Trace] | str]:
    """Each trace without its file name (its line stays), or each error's text."""
    return [
        str(item).replace(path.name, "FILE") if isinstance(item, ParseError)
        else (item.origin.line if item.origin else None, replace(item, origin=None))
        for item in read_traces([path])
    ]  # fmt: skip


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
@pytest.mark.parametrize("kind", ["atlas", "text"])
def test_a_compressed_file_gives_the_plain_file_s_traces(
    plain: dict[str, Path], kind: str, suffix: str
) -> None:
    source = plain[kind]
    packed = _compressed(source, suffix)
    expected = _traces(source)
    assert len(expected) > (250 if kind == "atlas" else 0)
    assert _traces(packed) == expected


def test_damage_is_one_error_after_every_trace_before_it(plain: dict[str, Path]) -> None:
    whole = gzip.compress(plain["atlas"].read_bytes())
    cut = plain["atlas"].with_name("cut.jsonl.gz")
    cut.write_bytes(whole[: len(whole) // 2])
    items = list(read_traces([cut]))
    traces = [t for t in items if not isinstance(t, ParseError)]
    errors = [str(e) for e in items if isinstance(e, ParseError)]
    assert 50 < len(traces) < 300
    assert errors == [
        f"{cut}: damaged or cut gzip data: Compressed file ended before the end-of-stream "
        "marker was reached"
    ]
    junk = cut.with_name("junk.txt.bz2")
    junk.write_bytes(b"BZh9" + b"\x00" * 64)
    assert [str(e) for e in read_traces([junk])] == [
        f"{junk}: damaged or cut bzip2 data: Invalid data stream"
    ]
    done = subprocess.run(
        [sys.executable, "-m", "topo", "build", str(cut), "--offline", "--no-cache",
         "--graph-json", str(cut.with_name("g.json"))],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "damaged or cut gzip data" in done.stderr
    written = json.loads(cut.with_name("g.json").read_bytes())
    assert len(written["graph"]["trace_paths"]) == len(traces)  # every trace before the cut


def test_a_cut_text_keeps_the_traces_before_the_cut(tmp_path: Path) -> None:
    """A text input was read whole before parsing: damage lost every trace of the file."""
    text = (DATA.parent.parent / "samples" / "aws-osaka-tokyo" / "traceroute.txt").read_bytes()
    whole = gzip.compress(text * 2000)
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    items = list(read_traces([cut]))
    traces = [t for t in items if not isinstance(t, ParseError)]
    assert len(traces) > 700 and all(t.hops == traces[0].hops for t in traces[:-1])
    assert str(items[-1]) == (
        f"{cut}: damaged or cut gzip data: Compressed file ended before the end-of-stream "
        "marker was reached; the traces before it are kept"
    )


@pytest.mark.parametrize("suffix", ["gz", "bz2", "xz"])
def test_a_decompression_bomb_stops_at_its_ratio_and_max_bytes_sets_the_limit(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2 MB that decompress to gigabytes drove a build to 20 GB of memory."""
    bomb = tmp_path / f"bomb.txt.{suffix}"
    line = b" 2  15.230.24.168  1.474 ms  1.895 ms  1.856 ms\n"
    packer = {"gz": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[suffix]
    with packer(bomb, "wb") as out:  # type: ignore[operator]
        out.write(b"traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets\n")
        for _ in range(400):
            out.write(line * 10_000)  # 190 MiB
    [error] = list(read_traces([bomb]))
    assert isinstance(error, ParseError) and error.path == str(bomb)
    assert " data grows more than 250 times (" in error.message
    assert error.message.endswith("a decompression bomb? --max-bytes (or TOPO_MAX_BYTES) allows it")
    monkeypatch.setenv("TOPO_MAX_BYTES", "8M")
    [error] = list(read_traces([bomb]))
    assert error.message.endswith(
        "data decompresses to more than 8 MiB; --max-bytes (or TOPO_MAX_BYTES) sets the limit"
    )
    monkeypatch.delenv("TOPO_MAX_BYTES")
    done = subprocess.run(
        [sys.executable, "-m", "topo", "parse", "--max-bytes", "4M", str(bomb)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "decompresses to more than 4 MiB; --max-bytes" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "topo", "parse", "--max-bytes", "lots", str(bomb)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "not a size: 'lots'" in done.stderr


def test_zstd_without_its_package_says_how_to_read_it(
    plain: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = _compressed(plain["text"], "zst")
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if not installed
    assert [str(e) for e in read_traces([packed])] == [
        f"{packed}:1: zstd-compressed: install the zstandard package (pip install "
        "'topo[zstd]') or decompress it first (zstd -d)"
    ]


def test_progress_counts_compressed_bytes_and_jobs_read_it_whole(
    plain: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = _compressed(plain["atlas"], "bz2")
    monkeypatch.setattr(units, "SPLIT_BYTES", 1024)  # the plain file would be cut
    assert splittable_parser(str(plain["atlas"])) is not None
    assert splittable_parser(str(packed)) is None
    assert len(units.plan_units([str(packed)], jobs=2)) == 1
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    errors: list[ParseError] = []
    two = analyze([str(packed)], engine=Processes(2), on_error=errors.append, progress=progress)
    assert progress.bytes == packed.stat().st_size and progress.count == two.trace_count == 300
    one = analyze([str(plain["atlas"])], on_error=errors.append)
    assert errors == [] and sorted(two.graph.edges) == sorted(one.graph.edges)


@pytest.mark.parametrize("golden", golden_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_golden_file_reads_the_same_gzipped(golden: Path, tmp_path: Path) -> None:
    """Every format, encoding and layout of the golden files (binary warts, UTF-16 and
    CP932 text, JSON arrays and documents) gives, gzipped, what it gives plain."""
    require_parser_program(golden)
    plain = tmp_path / golden.name
    plain.write_bytes(golden.read_bytes())
    assert _traces(_compressed(plain, "gz")) == _traces(plain)
