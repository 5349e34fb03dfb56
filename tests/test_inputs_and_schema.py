"""Reading inputs (encodings, folders, FIFOs) and the topo.trace/1 round trip."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from topo import analyze
from topo.inputs import decode_bytes, iter_input_paths, read_traces
from topo.inputs.schema import dumps_trace, trace_from_dict, trace_to_dict
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers import PARSERS, ParseResult, topo_jsonl

TRACE_TEXT = "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  192.0.2.1  0.5 ms\n"


def test_decoding_utf16_cp932_and_bad_bytes() -> None:
    assert decode_bytes(TRACE_TEXT.encode("utf-16")).text == TRACE_TEXT
    assert decode_bytes(TRACE_TEXT.encode("utf-16-le")).encoding == "utf-16-le"
    assert decode_bytes(("\ufeff" + TRACE_TEXT).encode("utf-8")).text == TRACE_TEXT
    japanese = "要求がタイムアウトしました。"
    assert decode_bytes(japanese.encode("cp932")).text == japanese
    assert decode_bytes(japanese.encode("utf-8")).encoding == "utf-8"
    mangled = decode_bytes(b"abc\xff\xfe\xfa\x80\x81")
    assert mangled.problems and "\ufffd" in mangled.text
    assert decode_bytes(b"caf\xe9", "latin-1").text == "café"


def test_folder_walk_skips_what_is_not_a_trace(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TRACE_TEXT)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text(TRACE_TEXT)
    (tmp_path / "topo.toml").write_text("name = 'x'\n")
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "owners.csv").write_text("prefix,org\n192.0.2.0/24,Example\n")
    (tmp_path / ".hidden").write_text(TRACE_TEXT)
    (tmp_path / "a.txt.expected.json").write_text('{"format": "linux-traceroute"}')
    (tmp_path / "sub" / "b.txt.truth.json").write_text("{}")
    (tmp_path / "c.json").write_text("{}")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text(TRACE_TEXT)
    os.mkfifo(tmp_path / "pipe")
    found = list(iter_input_paths([tmp_path]))
    assert found == [str(tmp_path / name) for name in ("a.txt", "c.json", "sub/b.txt")]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TRACE_TEXT)
    (tmp_path / "b.txt").write_text(TRACE_TEXT.replace("192.0.2.1", "192.0.2.2"))
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")
    os.link(tmp_path / "b.txt", tmp_path / "hard.txt")
    named = [tmp_path / "b.txt", tmp_path, tmp_path / "a.txt", tmp_path / "b.txt"]
    assert list(iter_input_paths(named)) == [str(tmp_path / "b.txt"), str(tmp_path / "a.txt")]
    result = ParseResult.collect(read_traces(named))
    assert [t.ip_path for t in result.traces] == [(("192.0.2.2",),), (("192.0.2.1",),)]
    topology = analyze([str(tmp_path / "a.txt")] * 2)
    assert topology.trace_count == 1 and len(topology.traces) == 1
    assert list(topology.graph.graph["trace_paths"]) == [f"{tmp_path / 'a.txt'}:1"]


def test_fifo_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("w") as handle:
            handle.write(TRACE_TEXT)

    thread = threading.Thread(target=writer)
    thread.start()
    result = ParseResult.collect(read_traces([fifo]))
    thread.join(timeout=5)
    assert result.ok and result.traces[0].ip_path == (("192.0.2.1",),)


def test_unknown_format_binary_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello world\nnothing to see\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary\x00")
    result = ParseResult.collect(read_traces([tmp_path, tmp_path / "missing.txt"]))
    messages = sorted(str(e) for e in result.errors)
    assert messages == sorted(
        [
            f"{tmp_path / 'blob.bin'}:1: binary data, not a traceroute text or JSON",
            f"{tmp_path / 'missing.txt'}: no such file or directory",
            f"{tmp_path / 'notes.txt'}:1: could not detect the format; tried: "
            + ", ".join(p.NAME for p in PARSERS),
        ]
    )


names = st.one_of(st.none(), st.text(max_size=20))
small = st.one_of(st.none(), st.integers(0, 255))
replies = st.builds(
    Reply,
    addr=st.one_of(st.none(), st.sampled_from(["192.0.2.1", "100.65.1.9", "2001:db8::1"])),
    rtt_ms=st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
    name=names,
    flags=st.lists(st.sampled_from(["!H", "!N", "!<10>", "F=1500"]), max_size=2).map(tuple),
    asn=st.one_of(st.none(), st.lists(st.integers(0, 2**32 - 1), max_size=2).map(tuple)),
    mpls=st.lists(
        st.builds(
            MplsLabel, st.integers(0, 2**20 - 1), small, st.one_of(st.none(), st.booleans()), small
        ),
        max_size=2,
    ).map(tuple),
    reply_ttl=small,
    flow_id=small,
    icmp_type=small,
    icmp_code=small,
    quoted_ttl=small,
    late=small,
)
stats = st.one_of(
    st.none(), st.builds(HopStats, sent=small, loss=st.one_of(st.none(), st.floats(0, 100)))
)
traces = st.builds(
    Trace,
    dst=st.one_of(st.none(), st.just("192.0.2.9")),
    hops=st.lists(
        st.builds(Hop, st.integers(1, 255), st.lists(replies, max_size=3).map(tuple), stats),
        max_size=4,
    ).map(tuple),
    src=st.one_of(st.none(), st.just("10.0.0.5")),
    dst_name=names,
    protocol=st.sampled_from([None, "udp", "icmp", "tcp"]),
    started=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    reached=st.one_of(st.none(), st.booleans()),
    format=st.sampled_from(["linux-traceroute", "ripe-atlas"]),
    origin=st.builds(Origin, st.sampled_from(["a.txt", "C:/x:y.txt"]), st.integers(1, 10**6)),
    meta=st.dictionaries(st.sampled_from(["msm_id", "note"]), st.integers() | st.text(max_size=5)),
)


@settings(max_examples=200)
@given(traces)
def test_topo_jsonl_round_trips_every_field(trace: Trace) -> None:
    line = dumps_trace(trace)
    [back] = ParseResult.collect(topo_jsonl.parse(line, source="other.jsonl")).traces
    assert back == trace
    assert dumps_trace(back) == line
    assert trace_from_dict(trace_to_dict(trace)) == trace


def test_topo_jsonl_reports_bad_lines() -> None:
    good = dumps_trace(
        Trace(
            dst="192.0.2.9",
            started=datetime(2026, 1, 1, tzinfo=UTC),
            format="x",
            origin=Origin("a.txt", 1),
        )
    )
    text = good + '\n{"schema":"other/1"}\n{"schema":"topo.trace/1","hops":[{"ttl":"x"}]}\n'
    result = ParseResult.collect(topo_jsonl.parse(text, source="t.jsonl"))
    assert len(result.traces) == 1
    assert [e.line for e in result.errors] == [2, 3]


def test_a_topo_jsonl_record_without_format_is_a_topo_jsonl_trace() -> None:
    """The schema lets ``format`` be absent or null (a hand-written or damaged record):
    the trace then says it was read from topo-jsonl, as every parsed trace names a format."""
    text = (
        '{"schema":"topo.trace/1","dst":"192.0.2.9","hops":[]}\n'
        '{"schema":"topo.trace/1","format":null,"dst":"192.0.2.9","hops":[]}\n'
        '{"schema":"topo.trace/1","format":"mtr-raw","dst":"192.0.2.9","hops":[]}\n'
    )
    result = ParseResult.collect(topo_jsonl.parse(text, source="t.jsonl"))
    assert [t.format for t in result.traces] == ["topo-jsonl", "topo-jsonl", "mtr-raw"]
    assert [str(t.origin) for t in result.traces] == ["t.jsonl:1", "t.jsonl:2", "t.jsonl:3"]
