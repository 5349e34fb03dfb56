"""dublin-traceroute JSON and iputils tracepath parsers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from topo.model import MplsLabel, Trace
from topo.parsers import ParseResult, dublin_traceroute, tracepath

from .conftest import DATA

DT = DATA / "dublin-traceroute"
TP = DATA / "tracepath"


def _path(trace: Trace) -> list[tuple[int, tuple[str, ...]]]:
    return [(hop.ttl, hop.addresses) for hop in trace.hops]


def _dublin(text: str, source: str = "dt.json") -> ParseResult:
    return ParseResult.collect(dublin_traceroute.parse(text, source=source))


def _tracepath(text: str, source: str = "tp.txt") -> ParseResult:
    return ParseResult.collect(tracepath.parse(text, source=source))


# ---------------------------------------------------------------- dublin-traceroute


def test_dublin_sample_one_trace_per_flow() -> None:
    result = _dublin((DT / "sample_8.8.8.8_three_flows.json").read_text())
    assert result.ok
    flows = {t.meta["flow"]: t for t in result.traces}
    assert list(flows) == ["33434", "33435", "33436"]
    first = flows["33434"]
    assert (first.src, first.dst, first.protocol, first.reached) == (
        "10.0.68.93",
        "8.8.8.8",
        "udp",
        True,
    )
    assert _path(first)[:3] == [
        (1, ("209.92.66.177",)),
        (2, ("64.197.121.29",)),
        (3, ("169.130.169.239",)),
    ]
    assert _path(first)[-1] == (9, ("8.8.8.8",))
    reply = first.hops[0].replies[0]
    assert reply.name == "ras01-nyny132-431.fast.net" and reply.rtt_ms == 3.758
    assert (reply.icmp_type, reply.icmp_code, reply.reply_ttl, reply.flow_id) == (11, 0, 254, 33434)
    assert first.hops[6].replies[0].name is None  # the name is only the address again
    assert first.hops[8].replies[0].icmp_type == 3 and first.hops[8].replies[0].flags == ()
    assert first.meta["nat_ids"][0] == [1, 14133] and first.meta["sport"] == 12345
    assert first.origin is not None and first.origin.line == 4
    # the second flow's last probe got no answer
    second = flows["33435"]
    assert second.hops[8].is_silent and second.reached is False
    assert second.hops[8].replies[0].flow_id == 33435
    # the third flow took another path at TTL 5 and 8
    assert _path(flows["33436"])[4] == (5, ("40.139.19.52",))


def test_dublin_go_format_and_flowhash() -> None:
    result = _dublin((DT / "integ_8.8.8.8_two_paths.json").read_text())
    assert result.ok and [t.meta["flow"] for t in result.traces] == ["33434", "33436"]
    assert result.traces[0].meta["flowhash"] == 52120
    assert _path(result.traces[1]) == [
        (1, ("1.2.3.4",)),
        (2, ("1.2.3.5",)),
        (3, ("1.2.3.6",)),
        (4, ("8.8.8.8",)),
    ]


def _probe(ttl: int, src: str | None, **icmp: Any) -> dict[str, Any]:
    sent = {"ip": {"src": "192.0.2.1", "dst": "192.0.2.9", "ttl": ttl}, "udp": {"dport": 33434}}
    if src is None:
        return {"is_last": False, "name": "", "received": None, "rtt_usec": None, "sent": sent}
    received = {"ip": {"src": src, "ttl": 250}, "icmp": {"type": 11, "code": 0, **icmp}}
    return {"is_last": False, "name": src, "nat_id": 7, "rtt_usec": 2500, "received": received,
            "sent": sent}  # fmt: skip


def test_dublin_mpls_swapped_codes_and_gaps() -> None:
    labels = [{"label": 24001, "experimental": 0, "bottom_of_stack": 1, "ttl": 1}]
    probes = [
        _probe(1, "10.0.0.1", mpls_labels=labels),
        _probe(3, "192.0.2.9", type=1, code=3),  # C++ swap of host unreachable
        _probe(4, None),
    ]
    [trace] = _dublin(json.dumps({"flows": {"33434": probes}})).traces
    assert _path(trace) == [(1, ("10.0.0.1",)), (2, ()), (3, ("192.0.2.9",)), (4, ())]
    assert trace.hops[0].replies[0].mpls == (MplsLabel(24001, 0, True, 1),)
    hop3 = trace.hops[2].replies[0]
    assert (hop3.icmp_type, hop3.icmp_code, hop3.flags) == (3, 1, ("!H",))
    assert trace.hops[0].replies[0].rtt_ms == 2.5


def test_dublin_broken_flow_and_broken_json() -> None:
    doc = {"flows": {"1": "nope", "2": [{"sent": {}}, _probe(1, "10.0.0.1")]}}
    result = _dublin(json.dumps(doc, indent=1))
    assert [e.message.split(":")[0] for e in result.errors] == ["flow 1", "flow 2"]
    assert [e.line for e in result.errors] == [3, 4]
    assert _path(result.traces[0]) == [(1, ("10.0.0.1",))]
    text = (DT / "integ_8.8.8.8_two_paths.json").read_text()
    result = _dublin(text[:3000], "cut.json")
    assert result.traces == [] and len(result.errors) == 1
    assert result.errors[0].path == "cut.json" and result.errors[0].line is not None
    result = _dublin('{"hops": []}')
    assert 'no "flows"' in result.errors[0].message


# ---------------------------------------------------------------- tracepath


def test_tracepath_n_capture() -> None:
    result = _tracepath((TP / "n.txt").read_text())
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
    assert [r.rtt_ms for r in trace.hops[0].replies] == [0.069, 0.017]  # TTL 1 twice
    assert (trace.dst, trace.reached, trace.protocol) == ("13.209.0.10", True, "udp")
    assert trace.meta == {"local_pmtu": 1500, "pmtu": 1500, "hops": 7, "back": 7}
    assert trace.origin is not None and trace.origin.line == 1


def test_tracepath_names_only() -> None:
    [trace] = _tracepath((TP / "names.txt").read_text()).traces
    first = trace.hops[0].replies[0]
    assert (first.addr, first.name, first.rtt_ms) == (None, "gw.home.lan", 0.077)
    assert trace.hops[2].addresses == ("13.208.0.2",)
    assert (trace.dst, trace.dst_name, trace.reached) == (None, "dst.example.net", True)


def test_tracepath_ipv6_and_manpage_asymm_pmtu() -> None:
    [v6] = _tracepath((TP / "ipv6_n.txt").read_text()).traces
    assert v6.dst == "2001:db8:9::2" and _path(v6)[5] == (6, ())
    [man] = _tracepath((TP / "manpage_tracepath6.out").read_text()).traces
    assert [[r.name or r.addr for r in h.replies] for h in man.hops] == [
        ["dust.inr.ac.ru"],
        ["dust.inr.ac.ru", "3ffe:2400:0:109::2"],
    ]
    assert man.meta["asymm"] == [[2, 1]] and man.meta["pmtu_changes"] == [[2, 1480]]
    assert man.hops[1].replies[0].rtt_ms == 0.39


def test_tracepath_late_replies_and_too_many_hops() -> None:
    [trace] = _tracepath((TP / "centos_late_replies.out").read_text()).traces
    assert [h.ttl for h in trace.hops] == list(range(1, 31))
    assert trace.hops[2].addresses == ("71.148.149.0",) and len(trace.hops[2].replies) == 4
    assert trace.hops[8].is_silent  # TTL 9 printed nothing: a silent hop
    assert trace.reached is False and trace.meta["too_many_hops"] is True


def test_tracepath_flags_both_names_and_guessed_ttl() -> None:
    text = "\n".join(
        [
            " 1?: [LOCALHOST]                      pmtu 1500",
            " 1:  gw.example (192.168.1.1)   0.512ms",
            " 2?: 10.0.0.1                   1.000ms !H",
            " 3:  send failed",
        ]
    )
    [trace] = _tracepath(text).traces
    reply = trace.hops[0].replies[0]
    assert (reply.addr, reply.name) == ("192.168.1.1", "gw.example")
    assert trace.hops[1].replies[0].flags == ("!H",)
    assert trace.meta["guessed_ttls"] == [2] and trace.meta["send_failed_ttls"] == [3]
    assert trace.reached is None  # cut before the end


def test_tracepath_two_runs_and_junk_line() -> None:
    run = (TP / "chain_n.txt").read_text().splitlines()
    text = "\n".join([*run[:3], "garbage here", *run[3:], *run])
    result = _tracepath(text, "two.txt")
    assert [(e.path, e.line) for e in result.errors] == [("two.txt", 4)]
    first, second = result.traces
    assert len(first.hops) == len(second.hops) == 6
    assert second.origin is not None and second.origin.line == len(run) + 2
    assert first.reached is second.reached is True


def test_tracepath_truncated() -> None:
    text = (TP / "n.txt").read_text()
    result = _tracepath(text[: text.index(" 5:")] + " 5:  240.0.1")
    assert result.ok
    [trace] = result.traces
    assert _path(trace)[-1] == (5, ()) and trace.hops[-1].replies[0].name == "240.0.1"
    assert trace.reached is None


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
def test_sniffers_accept_only_their_own_files(path: Path) -> None:
    head = path.read_bytes()[:65536].decode("utf-8", errors="replace")
    assert dublin_traceroute.sniff(head) == (path.parent.name == "dublin-traceroute")
    assert tracepath.sniff(head) == (path.parent.name == "tracepath")
