"""scamper JSON (trace, tracelb) and warts parsers."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.tools import require_tool
from topo.errors import ParseError
from topo.model import MplsLabel, Trace
from topo.parsers import PARSERS, ParseResult, scamper_json, scamper_warts
from topo.parsers.scamper_json import icmp_flags, parse

from .conftest import DATA

SJ = DATA / "scamper-json"
SW = DATA / "scamper-warts"


@pytest.fixture
def converter() -> None:
    """The test runs scamper's ``sc_warts2json`` (skipped, or failed in CI, without it)."""
    require_tool("sc_warts2json")


needs_converter = pytest.mark.usefixtures("converter")


def _parse(text: str, source: str = "x.json") -> ParseResult:
    return ParseResult.collect(parse(text, source=source))


def _path(trace: Trace) -> list[tuple[int, tuple[str, ...]]]:
    return [(hop.ttl, hop.addresses) for hop in trace.hops]


def _hop(ttl: int, addr: str | None, probe_id: int = 1, **extra: object) -> dict[str, object]:
    return {"addr": addr, "probe_ttl": ttl, "probe_id": probe_id, "rtt": 1.5, **extra}


def _trace(hops: list[dict[str, object]], **extra: object) -> str:
    obj = {
        "type": "trace",
        "method": "udp-paris",
        "src": "192.0.2.1",
        "dst": "192.0.2.9",
        "stop_reason": "COMPLETED",
        "hop_count": max([int(str(h["probe_ttl"])) for h in hops] or [0]),
        "attempts": 2,
        "firsthop": 1,
        "hops": hops,
        **extra,
    }
    return json.dumps(obj)


# ---------------------------------------------------------------- trace, real captures


def test_capture_udp_paris_hops_silent_ttl_and_reply_fields() -> None:
    result = _parse((SJ / "trace_json.json").read_text(), "trace_json.json")
    assert result.ok
    [trace] = result.traces
    assert _path(trace) == [
        (1, ("192.168.1.1",)),
        (2, ("100.64.0.2",)),
        (3, ("13.208.0.2",)),
        (4, ("13.208.1.2",)),
        (5, ("240.0.1.2",)),
        (6, ()),
        (7, ("13.209.0.10",)),
    ]
    assert trace.hops[5].replies == (trace.hops[5].replies[0],) and trace.hops[5].is_silent
    first = trace.hops[0].replies[0]
    assert (first.rtt_ms, first.reply_ttl, first.icmp_type, first.icmp_code) == (0.061, 64, 11, 0)
    assert first.quoted_ttl == 1
    last = trace.hops[6].replies[0]
    assert (last.icmp_type, last.icmp_code, last.flags) == (3, 3, ())
    assert (trace.src, trace.dst, trace.protocol, trace.reached) == (
        "192.168.1.10",
        "13.209.0.10",
        "udp",
        True,
    )
    assert trace.started is not None and trace.started.year == 2026
    assert trace.origin is not None and trace.origin.line == 2  # line 1 is cycle-start
    assert trace.meta["hostname"] == "vm" and trace.meta["stop_reason"] == "COMPLETED"
    assert trace.meta["method"] == "udp-paris" and trace.format == "scamper-json"


def test_capture_ipv6_icmp_paris() -> None:
    [trace] = _parse((SJ / "trace_ipv6_icmp_paris_json.json").read_text()).traces
    assert trace.protocol == "icmp" and trace.reached is True
    assert _path(trace)[3:] == [
        (4, ("2001:db8:5::2",)),
        (5, ("2001:db8:7::2",)),
        (6, ()),
        (7, ("2001:db8:9::2",)),
    ]
    assert trace.hops[6].replies[0].icmp_type == 129  # echo reply


def test_capture_ipv6_udp_paris_without_hops_is_a_valid_result() -> None:
    result = _parse((SJ / "trace_ipv6_udp_paris_json.json").read_text())
    assert result.ok
    [trace] = result.traces
    assert trace.meta["stop_reason"] == "GAPLIMIT" and trace.meta["hop_count"] == 5
    assert trace.hops == () and trace.reached is False
    assert trace.dst == "2001:db8:9::2"


def test_mpls_labels_from_icmpext() -> None:
    [trace] = _parse((SJ / "trace_mpls.json").read_text()).traces
    assert trace.hops[2].replies[0].mpls == (
        MplsLabel(label=16005, exp=0, s=False, ttl=1),
        MplsLabel(label=24001, exp=0, s=True, ttl=1),
    )
    assert trace.hops[3].replies[0].mpls == (MplsLabel(label=24017, exp=5, s=True, ttl=1),)
    assert trace.hops[4].is_silent and trace.hops[0].replies[0].mpls == ()


# ---------------------------------------------------------------- trace, built by hand


def test_unanswered_attempts_become_silent_replies() -> None:
    text = _trace([_hop(1, "10.0.0.1", 2), _hop(3, "192.0.2.9", 1)])
    [trace] = _parse(text).traces
    assert [[r.addr for r in h.replies] for h in trace.hops] == [
        [None, "10.0.0.1"],  # attempt 1 timed out, attempt 2 answered
        [None, None],  # TTL 2: attempts (2) silent replies
        ["192.0.2.9"],
    ]


def test_hops_stop_at_the_last_reply() -> None:
    text = _trace([_hop(1, "10.0.0.1")], hop_count=4, stop_reason="GAPLIMIT")
    [trace] = _parse(text).traces
    assert [h.ttl for h in trace.hops] == [1]
    assert trace.reached is False and trace.meta["hop_count"] == 4


def test_unreachable_flags_v4_and_v6() -> None:
    text = _trace([_hop(1, "10.0.0.1", icmp_type=3, icmp_code=13)])
    [trace] = _parse(text).traces
    assert trace.hops[0].replies[0].flags == ("!X",)
    assert icmp_flags(3, 0, v6=False) == ("!N",)
    assert icmp_flags(1, 0, v6=True) == ("!N",) and icmp_flags(1, 4, v6=True) == ()


def test_cycle_lines_and_other_measurements() -> None:
    lines = [
        '{"type":"cycle-start", "list_name":"ark", "id":7, "hostname":"ams-nl", "start_time":1}',
        '{"type":"ping", "src":"192.0.2.1", "dst":"192.0.2.9"}',
        _trace([_hop(1, "10.0.0.1")]),
        '{"type":"cycle-stop", "list_name":"ark", "id":7, "hostname":"ams-nl", "stop_time":2}',
        _trace([_hop(1, "10.0.0.2")]),
    ]
    result = _parse("\n".join(lines))
    assert [(e.line, "'ping'" in e.message) for e in result.errors] == [(2, True)]
    first, second = result.traces
    assert first.meta["hostname"] == "ams-nl" and first.meta["cycle_id"] == 7
    assert "hostname" not in second.meta  # after cycle-stop
    assert [t.origin.line for t in result.traces if t.origin] == [3, 5]


def test_junk_line_in_the_middle_keeps_the_rest() -> None:
    good = (SJ / "trace_json.json").read_text().splitlines()
    text = "\n".join([good[1], "this is not json", good[1][: len(good[1]) // 2], good[1]])
    result = _parse(text, "mixed.json")
    assert [e.line for e in result.errors] == [2, 3]
    assert all(e.path == "mixed.json" for e in result.errors)
    assert [t.origin.line for t in result.traces if t.origin] == [1, 4]
    assert all(len(t.hops) == 7 for t in result.traces)


def test_truncated_file() -> None:
    lines = (SJ / "trace_json.json").read_text().splitlines()  # cycle-start, trace, cycle-stop
    text = "\n".join([*lines[:2], lines[1][:500]])  # the copy of the trace is cut off
    result = _parse(text)
    assert [e.line for e in result.errors] == [3]
    assert [t.origin.line for t in result.traces if t.origin] == [2]


def test_bad_address_is_reported_with_the_line() -> None:
    text = "\n".join([_trace([_hop(1, "not-an-ip"), _hop(2, "192.0.2.9")])])
    result = _parse(text)
    assert [e.line for e in result.errors] == [1]
    assert "not an address" in result.errors[0].message
    assert _path(result.traces[0]) == [(1, ()), (2, ("192.0.2.9",))]


# ---------------------------------------------------------------- tracelb


def test_tracelb_diamond_with_silent_hop() -> None:
    result = _parse((SJ / "tracelb_silent_hop.json").read_text())
    assert result.ok
    [trace] = result.traces
    assert _path(trace) == [
        (1, ("192.168.7.1",)),
        (2, ("100.64.12.1",)),
        (3, ("13.208.1.1", "13.208.2.1")),
        (4, ()),
        (5, ("13.208.9.1",)),
        (6, ("203.0.113.9",)),
    ]
    assert trace.meta["type"] == "tracelb" and trace.reached is True
    assert sorted(trace.meta["links"]) == [
        ["100.64.12.1", "13.208.1.1"],
        ["100.64.12.1", "13.208.2.1"],
        ["13.208.9.1", "203.0.113.9"],
        ["192.168.7.1", "100.64.12.1"],
    ]
    assert sorted(trace.meta["links_via_anonymous"]) == [
        ["13.208.1.1", "13.208.9.1", 1],
        ["13.208.2.1", "13.208.9.1", 1],
    ]
    hop3 = trace.hops[2]
    assert {r.flow_id for r in hop3.replies} >= {33436, 33437}
    assert all(r.rtt_ms is not None and r.icmp_type == 11 for r in hop3.replies)


def test_tracelb_lumped_link_links_every_pair() -> None:
    [trace] = _parse((SJ / "tracelb_mesh.json").read_text()).traces
    assert [len(h.addresses) for h in trace.hops] == [1, 2, 3, 1, 1]
    links = trace.meta["links"]
    assert len(links) == 2 + 6 + 3 + 1
    assert ["13.208.2.1", "13.208.4.1"] in links and "links_via_anonymous" not in trace.meta


def test_tracelb_node_with_several_links_written_by_hand() -> None:
    obj = {
        "type": "tracelb",
        "src": "192.0.2.1",
        "dst": "192.0.2.9",
        "method": "icmp-echo",
        "firsthop": 1,
        "nodes": [
            {
                "addr": "10.0.0.1",
                "linkc": 2,
                "links": [
                    [
                        {"addr": "10.0.1.1", "probes": [_lb_probe(2, 7)]},
                        {"addr": "10.0.2.1", "probes": [_lb_probe(2, 8)]},
                    ]
                ],
            },
            {"addr": "10.0.1.1", "linkc": 1, "links": [[{"addr": "192.0.2.9", "probes": []}]]},
        ],
    }
    [trace] = _parse(json.dumps(obj)).traces
    assert _path(trace) == [(1, ("10.0.0.1",)), (2, ("10.0.1.1", "10.0.2.1")), (3, ("192.0.2.9",))]
    assert [r.flow_id for r in trace.hops[1].replies] == [7, 8]
    assert trace.protocol == "icmp"


def _lb_probe(ttl: int, flowid: int) -> dict[str, object]:
    reply = {"rx": {"sec": 1, "usec": 2}, "ttl": 250, "rtt": 3.5, "icmp_type": 11, "icmp_code": 0}
    return {"tx": {"sec": 1, "usec": 0}, "ttl": ttl, "flowid": flowid, "replies": [reply]}


# ---------------------------------------------------------------- detection


def _golden_inputs() -> list[Path]:
    skip = (".expected.json", ".cmd", ".truth.json", ".md", ".warts")
    return [
        p
        for folder in sorted(DATA.iterdir())
        if folder.is_dir() and not folder.name.startswith("_")
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith(skip)
    ]


@pytest.mark.parametrize("path", _golden_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_accepts_only_scamper_json(path: Path) -> None:
    head = path.read_bytes()[:65536].decode("utf-8", errors="replace")
    assert scamper_json.sniff(head) == (path.parent.name == "scamper-json")


@pytest.mark.parametrize("path", _golden_inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_bytes_rejects_text_inputs(path: Path) -> None:
    assert not scamper_warts.sniff_bytes(path.read_bytes()[:65536])


def test_sniff_rejects_topo_jsonl_of_a_scamper_trace() -> None:
    from topo.inputs.schema import dumps_trace

    [trace] = _parse((SJ / "tracelb_mesh.json").read_text()).traces
    assert scamper_json.sniff((SJ / "tracelb_mesh.json").read_text())
    assert not scamper_json.sniff(dumps_trace(trace))


# ---------------------------------------------------------------- warts


def test_warts_sniff() -> None:
    for path in SW.glob("*.warts"):
        assert scamper_warts.sniff_bytes(path.read_bytes()[:64])
    assert not scamper_warts.sniff_bytes(b"\x12\x05\x00\x00\x00\x00\x00\x10")  # type 0
    assert not scamper_warts.sniff_bytes(b"\x12\x05")
    assert not scamper_warts.sniff("{}") and isinstance(scamper_warts, type(scamper_json))


@needs_converter
def test_warts_capture_matches_its_json_conversion() -> None:
    data = (SW / "trace_warts.warts").read_bytes()
    result = ParseResult.collect(scamper_warts.parse_bytes(data, source="t.warts"))
    assert result.ok
    [trace] = result.traces
    assert _path(trace)[3:] == [
        (4, ("13.208.2.2",)),
        (5, ("240.0.2.2",)),
        (6, ()),
        (7, ("13.209.0.10",)),
    ]
    assert trace.format == "scamper-warts" and str(trace.origin) == "t.warts:2"
    json_text = (DATA / "_captured/scamper/trace_warts.json").read_text()
    [from_json] = _parse(json_text, "t.warts").traces
    assert replace(trace, format="scamper-json") == from_json


@needs_converter
def test_warts_mpls_labels_survive_the_conversion() -> None:
    data = (SW / "trace_mpls.warts").read_bytes()
    [trace] = ParseResult.collect(scamper_warts.parse_bytes(data, source="m.warts")).traces
    assert trace.hops[2].replies[0].mpls[1] == MplsLabel(label=24001, exp=0, s=True, ttl=1)
    assert trace.hops[3].replies[0].mpls == (MplsLabel(label=24017, exp=5, s=True, ttl=1),)


@needs_converter
def test_warts_gaplimit_and_tracelb() -> None:
    data = (SW / "trace_gaplimit.warts").read_bytes()
    [gap] = ParseResult.collect(scamper_warts.parse_bytes(data, source="g.warts")).traces
    assert _path(gap) == [(1, ("192.168.7.1",)), (2, ("100.64.12.1",))]  # then 3 silent TTLs
    assert gap.reached is False and gap.meta["stop_reason"] == "GAPLIMIT"
    data = (SW / "tracelb_mesh.warts").read_bytes()
    [lb] = ParseResult.collect(scamper_warts.parse_bytes(data, source="lb.warts")).traces
    assert lb.meta["type"] == "tracelb" and len(lb.hops[2].addresses) == 3


@needs_converter
def test_truncated_warts_gives_what_was_read_and_an_error() -> None:
    data = (SW / "trace_warts.warts").read_bytes()
    result = ParseResult.collect(scamper_warts.parse_bytes(data[:300], source="cut.warts"))
    assert result.traces == []
    [error] = result.errors
    assert error.path == "cut.warts" and "truncated or corrupt" in error.message


def test_missing_converter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    data = (SW / "trace_warts.warts").read_bytes()
    [error] = list(scamper_warts.parse_bytes(data, source="a.warts"))
    assert isinstance(error, ParseError)
    assert error.message == "reading warts needs scamper's sc_warts2json (Debian package scamper)"


def test_not_warts_and_text_parse() -> None:
    [error] = list(scamper_warts.parse_bytes(b"hello world, no warts", source="b"))
    assert isinstance(error, ParseError) and "0x1205" in error.message
    [error] = list(scamper_warts.parse("text", source="c"))
    assert isinstance(error, ParseError) and "binary" in error.message


@needs_converter
@pytest.mark.skipif(scamper_warts not in PARSERS, reason="scamper-warts not registered yet")
def test_read_traces_detects_warts() -> None:
    from topo.inputs import read_traces

    result = ParseResult.collect(read_traces([SW / "trace_mpls.warts"]))
    assert result.ok and len(result.traces) == 1
