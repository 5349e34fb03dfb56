"""Hostile files (issue 10): huge lines, huge JSON arrays, deep nesting, huge traces, many
files, unreadable files. Each gets a clear message, in bounded memory, and the rest of the
run goes on.

The sizes here are kept small enough for CI (tens of MB); docs/bad-input.md gives the
measurements at 200 MB and 10^6 hops.
"""

from __future__ import annotations

import importlib.util
import io
import json
import random
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from topo import inputs
from topo.errors import ParseError
from topo.inputs import MAX_ERRORS_PER_FILE, MAX_LINE_BYTES, read_traces
from topo.model import Trace
from topo.parsers import ParseResult
from topo.parsers.json_input import MAX_JSON_DEPTH

ROOT = Path(__file__).resolve().parent.parent
TRACE = "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  192.0.2.1  0.5 ms\n"
MIB = 1024 * 1024


def _synth():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth"] = module
    spec.loader.exec_module(module)
    return module


def _peak(items: Iterator[Any]) -> tuple[list[str], list[int], int]:
    """Errors, a digest of each trace, and the peak of traced memory while reading."""
    errors: list[str] = []
    digests: list[int] = []
    tracemalloc.start()
    try:
        for item in items:
            if isinstance(item, ParseError):
                errors.append(str(item))
            else:
                digests.append(_digest(item))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return errors, digests, peak


def _digest(trace: Trace) -> int:
    meta = tuple(sorted((k, str(v)) for k, v in trace.meta.items()))
    return hash((trace.dst, trace.src, trace.hops, trace.started, trace.reached, meta))


# --- a maximum line length for text --------------------------------------------------------


def test_a_50_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge-line.txt"
    with path.open("wb") as out:
        out.write(TRACE.encode())
        for _ in range(50):
            out.write(b"x" * MIB)
        out.write(b"\n")
        out.write(TRACE.replace("192.0.2.1", "192.0.2.2").encode())
        out.write(b" 2  junk here\n")
    size = path.stat().st_size
    errors, digests, peak = _peak(read_traces([path]))
    assert errors == [
        f"{path}:3: line longer than 1 MiB (52,428,800 bytes); skipped",
        f"{path}:6: not a hop line (no address, RTT or '*'): '2  junk here'",
    ]
    assert len(digests) == 2
    assert peak < size / 3, f"peak {peak} for a {size}-byte file"


def _reference_limit(data: bytes, limit: int) -> tuple[bytes, list[int]]:
    kept, dropped = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > limit:
            dropped.append(number)
            kept.append(b"")
        else:
            kept.append(line)
    return b"\n".join(kept), dropped


@pytest.mark.parametrize("seed", range(40))
def test_line_limit_at_every_boundary(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Small limits and chunks, against splitting the whole text by hand."""
    rng = random.Random(seed)
    limit = rng.randint(1, 12)
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", limit)
    monkeypatch.setattr(inputs, "_CHUNK_BYTES", rng.randint(1, limit))
    lengths = [0, 1, limit - 1, limit, limit + 1, 3 * limit]
    data = b"\n".join(b"a" * rng.choice(lengths) for _ in range(rng.randint(1, 9)))
    cut = rng.randint(0, len(data))
    kept, errors = inputs._read_limited(data[:cut], io.BytesIO(data[cut:]), source="x")
    want, dropped = _reference_limit(data, limit)
    assert kept == want
    assert [e.line for e in errors] == dropped
    assert all("skipped" in str(e) for e in errors)


def test_line_at_the_limit_is_kept_and_crlf_counts(tmp_path: Path) -> None:
    path = tmp_path / "edge.txt"
    path.write_bytes(
        TRACE.encode() + b"#" * MAX_LINE_BYTES + b"\n" + b"#" * MAX_LINE_BYTES + b"\r\n"
    )
    result = ParseResult.collect(read_traces([path]))
    assert [str(e) for e in result.errors if "longer" in str(e)] == [
        f"{path}:4: line longer than 1 MiB (1,048,577 bytes); skipped"
    ]
    assert len(result.traces) == 1


def test_huge_binary_file_is_refused_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    with path.open("wb") as out:
        out.write(b"\x00\x01\x02garbage" * 1000)
        for _ in range(20):
            out.write(b"\xff" * MIB)
    errors, digests, peak = _peak(read_traces([path]))
    assert errors == [f"{path}:1: binary data, not a traceroute text or JSON"]
    assert not digests and peak < MIB


def test_invalid_utf8_and_unreadable_files_leave_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-good.txt").write_text(TRACE)
    (tmp_path / "b-latin.txt").write_bytes(TRACE.encode() + b"# caf\xe9 \xff\xfe\x81\x81\n")
    (tmp_path / "c-locked.txt").write_text(TRACE)
    real_open = Path.open

    def locked(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "c-locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked)
    result = ParseResult.collect(read_traces([tmp_path]))
    messages = [str(e) for e in result.errors]
    assert (
        f"{tmp_path / 'b-latin.txt'}: not valid UTF-8, UTF-16 or CP932; bad bytes replaced"
        in messages
    )
    assert messages[-1] == f"{tmp_path / 'c-locked.txt'}: cannot read: Permission denied"
    assert len(result.traces) == 2


# --- a JSON array of Atlas results, streamed ----------------------------------------------


@pytest.fixture(scope="module")
def atlas_results() -> list[str]:
    return list(_synth().atlas_lines(2000, 3, 20000))


def test_a_single_line_json_array_streams_like_json_lines(
    tmp_path: Path, atlas_results: list[str]
) -> None:
    """~50 MB on one line: the results of bench/synth.py, each with 24 kB of other data
    (an object the parser ignores), so that bytes, not results, make the size."""
    pytest.importorskip("ijson")
    padding = ', "padding": {"note": "' + "p" * 24_000 + '"}}'
    padded = [result[:-1] + padding for result in atlas_results]
    lines = tmp_path / "atlas.jsonl"
    lines.write_text("\n".join(padded) + "\n", encoding="utf-8")
    array = tmp_path / "atlas.json"
    with array.open("w", encoding="utf-8") as out:
        out.write("[")
        for number, result in enumerate(padded):
            out.write(("," if number else "") + result)
        out.write("]")
    size = array.stat().st_size
    assert size > 45 * MIB
    want = [_digest(t) for t in read_traces([lines]) if isinstance(t, Trace)]
    errors, got, peak = _peak(read_traces([array]))
    assert not errors
    assert got == want and len(got) == len(atlas_results)
    assert peak < size / 10, f"peak {peak} for a {size}-byte file"


def test_a_pretty_printed_array_streams_and_keeps_what_precedes_an_error(
    tmp_path: Path, atlas_results: list[str]
) -> None:
    pytest.importorskip("ijson")
    results = [json.loads(line) for line in atlas_results[:60]]
    text = json.dumps(results, indent=2)
    path = tmp_path / "pretty.json"
    path.write_text(text[: len(text) * 3 // 4])  # truncated
    result = ParseResult.collect(read_traces([path]))
    [error] = result.errors
    assert str(error).startswith(f"{path}: invalid JSON after result {len(result.traces)}: ")
    assert 30 < len(result.traces) < 60


def test_without_ijson_an_array_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atlas_results: list[str]
) -> None:
    path = tmp_path / "atlas.json"
    path.write_text("[" + ",".join(atlas_results[:100]) + "]")
    monkeypatch.setattr(inputs, "_ijson_available", lambda: False)
    whole = ParseResult.collect(read_traces([path]))
    monkeypatch.undo()
    assert whole.ok and len(whole.traces) == 100
    if importlib.util.find_spec("ijson") is not None:
        streamed = ParseResult.collect(read_traces([path]))
        assert [_digest(t) for t in streamed.traces] == [_digest(t) for t in whole.traces]


# --- deep nesting, huge traces, many files ---------------------------------------------------


@pytest.mark.parametrize("streamed", [True, False])
@pytest.mark.parametrize(
    "prefix", [b"", b'[{"type": "traceroute", "msm_id": 1, "result": [{"hop": 1, "result": ']
)
def test_json_nested_10_5_deep_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: bytes, streamed: bool
) -> None:
    if not streamed:
        monkeypatch.setattr(inputs, "_ijson_available", lambda: False)
    elif importlib.util.find_spec("ijson") is None:
        pytest.skip("ijson is not installed")
    depth = 10**5
    path = tmp_path / "deep.json"
    path.write_bytes(prefix + b"[" * depth + b"]" * depth + (b"}]}]" if prefix else b""))
    errors, digests, _ = _peak(read_traces([path], format="ripe-atlas"))
    assert not digests
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:1: invalid JSON: nested too deeply")


def test_depth_guard_across_chunk_boundaries() -> None:
    from topo.parsers.json_input import _DepthGuard, _TooDeepError

    class Trickle(io.BytesIO):
        def __init__(self, data: bytes, rng: random.Random) -> None:
            super().__init__(data)
            self.rng = rng

        def read(self, size: int | None = -1) -> bytes:
            return super().read(self.rng.randint(1, 4))

    rng = random.Random(5)
    text = json.dumps(["[[[{\\", '"[{', "\\", {"a": [[["]]]"]]]}, 'x\\"[[['])
    for limit, deep in ((5, False), (4, True)):  # the list nests 5 levels deep
        for _ in range(300):
            guard = _DepthGuard(Trickle(text.encode(), rng), limit)  # type: ignore[arg-type]
            try:
                while guard.read(4):
                    pass
            except _TooDeepError:
                assert deep
            else:
                assert not deep
    assert MAX_JSON_DEPTH >= 1000  # real data nests a dozen levels; orjson allows 1024


def test_100000_hops_in_one_trace(tmp_path: Path) -> None:
    count = 10**5
    text = tmp_path / "long.txt"
    with text.open("w") as out:
        out.write("traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets\n")
        for ttl in range(1, count + 1):
            out.write(f"{ttl:2d}  10.{ttl >> 16}.{ttl >> 8 & 255}.{ttl & 255}  1.000 ms\n")
    result = ParseResult.collect(read_traces([text]))
    assert len(result.traces) == 1  # TTLs above 999 are not traceroute lines: one error each,
    assert all(e.path == str(text) for e in result.errors)  # shown for the first 100 only
    assert [bool(e.line) for e in result.errors] == [True] * MAX_ERRORS_PER_FILE + [False]
    hidden = count - 999 - MAX_ERRORS_PER_FILE
    assert result.errors[-1].message == f"{hidden} more errors in this file not shown"
    hops = ",".join(
        f'{{"hop": {t}, "result": [{{"from": "10.{t >> 16}.{t >> 8 & 255}.{t & 255}", "rtt": 1}}]}}'
        for t in range(1, count + 1)
    )
    atlas = tmp_path / "long.json"
    atlas.write_text(f'[{{"type": "traceroute", "dst_addr": "192.0.2.9", "result": [{hops}]}}]')
    result = ParseResult.collect(read_traces([atlas]))
    assert result.ok and len(result.traces[0].hops) == count


def test_a_folder_of_10_4_files(tmp_path: Path) -> None:
    bad = set(range(0, 10**4, 1000))
    for number in range(10**4):
        body = "not a trace at all\n" if number in bad else TRACE
        (tmp_path / f"t{number:05d}.txt").write_text(body)
    result = ParseResult.collect(read_traces([tmp_path]))
    assert len(result.traces) == 10**4 - len(bad)
    assert [e.path for e in result.errors] == [str(tmp_path / f"t{n:05d}.txt") for n in sorted(bad)]
