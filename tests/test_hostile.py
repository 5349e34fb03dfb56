"""Hostile files (issue 10): huge lines, huge JSON arrays, JSON documents and JSON Lines lines
over the size limit, large UTF-16 texts, deep nesting, huge traces, many files, unreadable
files. Each gets a clear message, in bounded memory, and the rest of the run goes on.

The sizes here are kept small enough for CI (tens of MB); docs/bad-input.md gives the
measurements at 200 MB and 10^6 hops.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib.util
import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from topo.errors import ParseError, UsageError
from topo.inputs import MAX_ERRORS_PER_FILE, decode_bytes, read_traces
from topo.inputs import reading as inputs
from topo.inputs.reading import MAX_LINE_BYTES
from topo.model import Trace
from topo.parsers import ParseResult
from topo.parsers.json_input import MAX_JSON_DEPTH

from .test_scale import _synth

ROOT = Path(__file__).resolve().parent.parent
TRACE = "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  192.0.2.1  0.5 ms\n"
MIB = 1024 * 1024


#: What :func:`_peak` runs in a fresh interpreter: read, digest, measure.
_READER = """
import json, sys, tracemalloc
from tests.test_hostile import _digest
from topo.errors import ParseError
from topo.inputs import read_traces
paths, options = json.loads(sys.argv[1])
errors, digests = [], []
tracemalloc.start()
for item in read_traces(paths, **options):
    if isinstance(item, ParseError):
        errors.append(str(item))
    else:
        digests.append(_digest(item))
print(json.dumps([errors, digests, tracemalloc.get_traced_memory()[1]]))
"""


def _peak(paths: list[Path], **options: Any) -> tuple[list[str], list[str], int]:
    """Errors, a digest of each trace, and the peak of traced memory while
    ``read_traces(paths, **options)`` reads.

    The reading runs in a fresh interpreter: in this one, what earlier tests left (a
    grown table of interned strings that the reading makes resize, threads) would count
    in the peak (an 8.7 MB peak instead of 5.6 MB was seen after the lab tests)."""
    arguments = json.dumps([[str(p) for p in paths], options])
    done = subprocess.run(
        [sys.executable, "-c", _READER, arguments], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    errors, digests, peak = json.loads(done.stdout)
    return errors, digests, peak


def _digest(trace: Trace) -> str:
    """A fingerprint of a trace that another process computes alike."""
    meta = tuple(sorted((k, str(v)) for k, v in trace.meta.items()))
    fields = (trace.dst, trace.src, trace.hops, trace.started, trace.reached, meta)
    return hashlib.sha1(repr(fields).encode()).hexdigest()


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
    errors, digests, peak = _peak([path])
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
    kept, errors = inputs._limit_lines(
        inputs._chunks(data[:cut], io.BytesIO(data[cut:])), source="x"
    )
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
    errors, digests, peak = _peak([path])
    assert errors == [f"{path}:1: binary data, not a traceroute text or JSON"]
    assert not digests and peak < MIB


def test_invalid_utf8_and_unreadable_files_leave_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-good.txt").write_text(TRACE)
    (tmp_path / "b-latin.txt").write_bytes(TRACE.encode() + b"# caf\xe9 \xff\xfe\x81\x81\n")
    (tmp_path / "c-locked.txt").write_text(TRACE)

    def locked(name: str, *args: Any, **kwargs: Any) -> Any:
        if Path(name).name == "c-locked.txt":  # (root reads any file: denied here instead)
            raise PermissionError(13, "Permission denied")
        return Path(name).open(*args, **kwargs)

    monkeypatch.setattr(inputs, "open", locked, raising=False)  # what inputs opens with
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
    errors, got, peak = _peak([array])
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
    errors, digests, _ = _peak([path], format="ripe-atlas")
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
    [trace] = result.traces  # TTLs above 999 are not traceroute lines: one error each,
    assert all(e.path == str(text) for e in result.errors)  # shown for the first 100 only
    assert [bool(e.line) for e in result.errors] == [True] * MAX_ERRORS_PER_FILE + [False]
    hidden = count - 999 - MAX_ERRORS_PER_FILE + 1  # and one for TTLs 256 to 999
    assert result.errors[-1].message == f"{hidden} more errors in this file not shown"
    assert [h.ttl for h in trace.hops] == list(range(1, 256))  # an IP TTL is 8 bits
    hops = ",".join(
        f'{{"hop": {t}, "result": [{{"from": "10.{t >> 16}.{t >> 8 & 255}.{t & 255}", "rtt": 1}}]}}'
        for t in range(1, count + 1)
    )
    atlas = tmp_path / "long.json"
    atlas.write_text(f'[{{"type": "traceroute", "dst_addr": "192.0.2.9", "result": [{hops}]}}]')
    result = ParseResult.collect(read_traces([atlas]))
    assert len(result.traces[0].hops) == 255
    [error] = result.errors
    assert error.message == (
        f"result 1: {count - 255:,} hops with a TTL outside 0-255 left out (first: 256); "
        "the trace keeps the others"
    )


def test_a_folder_of_10_4_files(tmp_path: Path) -> None:
    bad = set(range(0, 10**4, 1000))
    for number in range(10**4):
        body = "not a trace at all\n" if number in bad else TRACE
        (tmp_path / f"t{number:05d}.txt").write_text(body)
    result = ParseResult.collect(read_traces([tmp_path]))
    assert len(result.traces) == 10**4 - len(bad)
    assert [e.path for e in result.errors] == [str(tmp_path / f"t{n:05d}.txt") for n in sorted(bad)]


# --- a size limit for one JSON document or JSON Lines line ----------------------------------

#: TOPO_MAX_JSON_BYTES in these tests: the synthetic Atlas results are 3-6 kB each.
LIMIT = 16 * 1024


def _json_line_error(path: Path, line: int, length: int, limit: str = "16,384 bytes") -> str:
    return (
        f"{path}:{line}: JSON line longer than {limit} ({length:,} bytes); skipped"
        " (TOPO_MAX_JSON_BYTES sets the limit)"
    )


def _json_document_error(path: Path, line: int) -> str:
    return (
        f"{path}:{line}: JSON document larger than 16,384 bytes; skipped"
        " (TOPO_MAX_JSON_BYTES sets the limit)"
    )


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Record the calls of ``inputs.<name>`` (which reader a test went through)."""
    calls: list[str] = []
    real = getattr(inputs, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(inputs, name, spy)
    return calls


@pytest.mark.parametrize(
    ("encoding", "reader"),
    [(None, "limited_json_lines"), ("utf-8", "_limit_json")],
    ids=["streamed", "whole"],
)
def test_a_json_lines_line_over_the_limit_is_skipped_and_the_rest_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    atlas_results: list[str],
    encoding: str | None,
    reader: str,
) -> None:
    """Streamed line by line, or (an explicit encoding turns streaming off) as one text."""
    count = 40
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(LIMIT))
    huge = '{"type": "traceroute", "padding": "' + "p" * 3 * MIB + '"}'
    lines = atlas_results[:count]
    path = tmp_path / "atlas.jsonl"
    path.write_text("\n".join([*lines[:5], huge, *lines[5:]]) + "\n", encoding="utf-8")
    reference = tmp_path / "reference.jsonl"
    reference.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls = _spy(monkeypatch, reader)
    result = ParseResult.collect(read_traces([path], encoding=encoding))
    assert calls == [reader]
    assert [str(e) for e in result.errors] == [_json_line_error(path, 6, len(huge))]
    want = ParseResult.collect(read_traces([reference])).traces
    assert [_digest(t) for t in result.traces] == [_digest(t) for t in want]
    assert len(want) == count
    lines = [t.origin.line for t in result.traces if t.origin]
    assert lines == [1, 2, 3, 4, 5, *range(7, count + 2)]  # line 6 was too long


@pytest.mark.parametrize("streamed", [True, False])
def test_a_40_mb_json_line_is_skipped_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atlas_results: list[str], streamed: bool
) -> None:
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", "1M")
    path = tmp_path / "atlas.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write("\n".join(atlas_results[:40]) + "\n")
        out.write('{"padding": "' + "p" * 40 * MIB + '"}\n')
        out.write(atlas_results[40] + "\n")
    size = path.stat().st_size
    # an explicit encoding turns streaming off: the input is read as one text, in chunks
    errors, digests, peak = _peak([path], encoding=None if streamed else "utf-8")
    assert errors == [_json_line_error(path, 41, 40 * MIB + 15, limit="1 MiB")]
    assert len(digests) == 41
    assert peak < size / 8, f"peak {peak} for a {size}-byte file"


def test_json_lines_larger_than_the_limit_in_total_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atlas_results: list[str]
) -> None:
    """The limit is per line: a long JSON Lines file is not one large document, even when
    its first line is too long or not JSON at all."""
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(LIMIT))
    calls = _spy(monkeypatch, "_limit_json")
    for first in ("", "{" + "x" * 2 * LIMIT, "{oops"):
        path = tmp_path / "atlas.jsonl"
        path.write_text("\n".join([first, *atlas_results[:50]]) + "\n", encoding="utf-8")
        assert path.stat().st_size > 10 * LIMIT
        calls.clear()
        result = ParseResult.collect(read_traces([path], encoding="utf-8"))
        assert calls == ["_limit_json"]
        assert len(result.traces) == 50, first[:8]
        expected = {
            "": [],
            "{oops": [f"{path}:1: invalid JSON: Expecting property name enclosed in double quotes"],
        }.get(first, [_json_line_error(path, 1, 2 * LIMIT + 1)])
        assert [str(e) for e in result.errors] == expected


def _atlas_document(hops: int) -> dict[str, Any]:
    """One RIPE Atlas result with ``hops`` hops (about 90 bytes each, pretty-printed more)."""
    return {
        "type": "traceroute",
        "dst_addr": "192.0.2.9",
        "result": [
            {"hop": n, "result": [{"from": f"10.{n >> 16}.{n >> 8 & 255}.{n & 255}", "rtt": 1.5}]}
            for n in range(1, hops + 1)
        ],
    }


def test_one_json_document_over_the_limit_is_one_error_read_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pretty-printed document (13 MB, not an array: not streamed) larger than the limit
    is refused once its first chunks are read; the next file of the run is read."""
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(LIMIT))
    big = tmp_path / "a-big.json"
    with big.open("w", encoding="utf-8") as out:
        out.write("\n\n")
        json.dump(_atlas_document(100_000), out, indent=2)
    small = tmp_path / "b-small.json"
    small.write_text(json.dumps(_atlas_document(30), indent=2), encoding="utf-8")
    assert big.stat().st_size > 10 * MIB and small.stat().st_size < LIMIT
    errors, digests, peak = _peak([tmp_path])
    assert errors == [_json_document_error(big, 3)]
    assert len(digests) == 1  # b-small.json
    assert peak < 4 * MIB, f"peak {peak}: the document was read on"


def test_one_json_document_under_the_limit_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_atlas_document(250), indent=2), encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(size))
    result = ParseResult.collect(read_traces([path]))
    assert result.ok and len(result.traces[0].hops) == 250
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(size - 1))
    result = ParseResult.collect(read_traces([path]))
    assert [str(e) for e in result.errors] == [
        _json_document_error(path, 1).replace("16,384 bytes", f"{size - 1:,} bytes")
    ]


@pytest.mark.parametrize("indent", [None, 1])
@pytest.mark.parametrize("ijson", [True, False])
def test_a_json_array_over_the_limit_streamed_or_not(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    atlas_results: list[str],
    indent: int | None,
    ijson: bool,
) -> None:
    """Streamed (ijson), an array of Atlas results has no size limit; read whole (without
    ijson), it is one document: on one line, or pretty-printed over many."""
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", str(LIMIT))
    if not ijson:
        monkeypatch.setattr(inputs, "_ijson_available", lambda: False)
    elif importlib.util.find_spec("ijson") is None:
        pytest.skip("ijson is not installed")
    path = tmp_path / "atlas.json"
    results = [json.loads(line) for line in atlas_results[:100]]
    path.write_text(json.dumps(results, indent=indent), encoding="utf-8")
    size = path.stat().st_size
    result = ParseResult.collect(read_traces([path]))
    if ijson:
        assert result.ok and len(result.traces) == 100
    elif indent is None:
        assert not result.traces
        assert [str(e) for e in result.errors] == [_json_line_error(path, 1, size)]
    else:
        assert not result.traces
        assert [str(e) for e in result.errors] == [_json_document_error(path, 1)]


def test_a_bad_json_limit_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_atlas_document(3)))
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", "lots")
    with pytest.raises(UsageError, match="TOPO_MAX_JSON_BYTES='lots' is not a size"):
        ParseResult.collect(read_traces([path]))
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", "1k")
    assert inputs.max_json_bytes() == 1024
    monkeypatch.delenv("TOPO_MAX_JSON_BYTES")
    assert inputs.max_json_bytes() == inputs.MAX_JSON_BYTES == 64 * MIB


# --- UTF-16 text, decoded as it is read -------------------------------------------------------

WINDOWS_UTF16 = ROOT / "tests" / "data" / "windows-tracert" / "de-powershell-utf16.txt"


def _items(items: Iterator[Any]) -> list[Any]:
    """What reading gives, comparable: a digest and the origin per trace, errors as text."""
    return [
        str(item) if isinstance(item, ParseError) else (_digest(item), item.origin)
        for item in items
    ]


def _windows_utf16_text() -> str:
    """80 traces of the golden PowerShell capture, a non-BMP character in each prompt line
    (a surrogate pair in UTF-16): about 75 kB, more than the first block read."""
    text = WINDOWS_UTF16.read_bytes().decode("utf-16")
    assert "über" in text
    prompt = text.replace("PS C:\\Users\\lab>", "PS C:\\Users\\lab\\\U0001f6f0>")
    return "".join(prompt.replace("198.51.100.42", f"198.51.100.{n}") for n in range(1, 81))


@pytest.mark.parametrize("chunk", [1, 3, 7, 4097])
@pytest.mark.parametrize(
    ("codec", "encoding"),
    [("utf-16", None), ("utf-16-le", None), ("utf-16-be", None), ("utf-16", "utf-16")],
    ids=["bom", "le", "be", "explicit"],
)
def test_utf16_read_in_chunks_parses_as_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, codec: str, encoding: str | None
) -> None:
    """Chunk boundaries fall inside code units and surrogate pairs: the traces, their line
    numbers and the errors are the same as when the file is decoded whole."""
    from topo.parsers import iter_parse_text

    path = tmp_path / "tracert.txt"
    data = _windows_utf16_text().encode(codec)
    path.write_bytes(data)
    assert len(data) > inputs.SNIFF_BYTES + 8 * 1024
    whole = _items(iter_parse_text(data.decode(codec), source=str(path)))
    assert len([i for i in whole if not isinstance(i, str)]) == 80
    monkeypatch.setattr(inputs, "_CHUNK_BYTES", chunk)
    calls = _spy(monkeypatch, "_utf8_chunks")
    assert _items(read_traces([path], encoding=encoding)) == whole
    assert calls == ["_utf8_chunks"]


def test_utf16_long_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    """A 36 MB UTF-16 line (18 million characters) between two traces: one error, counted
    in UTF-8 bytes once decoded, both traces kept, memory far below the file's size."""
    trace = WINDOWS_UTF16.read_bytes().decode("utf-16")
    path = tmp_path / "tracert.txt"
    with path.open("wb") as out:
        out.write(codecs.BOM_UTF16_LE + (trace + "# ").encode("utf-16-le"))
        for _ in range(18):
            out.write(("x" * MIB).encode("utf-16-le"))
        out.write(("\n" + trace).encode("utf-16-le"))
    size = path.stat().st_size
    lines = trace.count("\n")
    errors, digests, peak = _peak([path])
    assert errors == [f"{path}:{lines + 1}: line longer than 1 MiB (18,874,370 bytes); skipped"]
    assert len(digests) == 2
    assert peak < size / 8, f"peak {peak} for a {size}-byte file"


def test_invalid_utf16_read_in_chunks_says_so_like_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _windows_utf16_text()
    data = text.encode("utf-16")
    cut = len(data) - 4000  # after the first block, between two characters
    data = data[:cut] + b"\x00\xd8" + data[cut:]  # a lone high surrogate
    path = tmp_path / "tracert.txt"
    path.write_bytes(data)
    decoded = decode_bytes(data)
    assert decoded.problems == ("not valid utf-16: illegal UTF-16 surrogate",)
    monkeypatch.setattr(inputs, "_CHUNK_BYTES", 5)
    result = ParseResult.collect(read_traces([path]))
    assert [str(e) for e in result.errors if "utf-16" in str(e)] == [
        f"{path}: not valid utf-16: illegal UTF-16 surrogate"
    ]
    assert len(result.traces) == 80


def test_a_long_run_of_blanks_in_a_hop_line_is_read_in_linear_time(tmp_path: Path) -> None:
    """Lazy ``(\\S.*?)\\s*$`` patterns were quadratic in a line's blanks (a 100 KB line of a
    Cisco trace took a minute). Every text golden file, one hop line padded with 200,000
    blanks mid-line, parsed in a child process; the guard is a hang guard (the quadratic
    patterns need hours here), not a speed target."""
    script = tmp_path / "pad.py"
    script.write_text(
        "import re, sys\n"
        "from tests.test_golden import golden_inputs\n"
        "from topo.inputs import decode_bytes\n"
        "from topo.parsers import iter_parse_text\n"
        "for path in golden_inputs():\n"
        "    if path.suffix in ('.json', '.jsonl', '.warts', '.gz'):\n"
        "        continue\n"
        "    lines = decode_bytes(path.read_bytes()).text.splitlines(keepends=True)\n"
        "    i = next((n for n, l in enumerate(lines) if re.match(r'\\s*\\d+\\s', l)), 0)\n"
        "    cut = len(lines[i]) // 2\n"
        "    lines[i] = lines[i][:cut] + ' ' * 200_000 + 'x' + lines[i][cut:]\n"
        "    list(iter_parse_text(''.join(lines), source=path.name))\n"
        "print('done')\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]
