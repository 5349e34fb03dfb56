"""RIPE Atlas traceroute JSON: single result, array and JSON Lines; replies in detail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from topo.parsers import ParseResult, atlas, detect_format

RESULT = {
    "af": 4,
    "dst_addr": "192.0.2.9",
    "dst_name": "target.example",
    "src_addr": "10.0.0.5",
    "from": "198.51.100.1",
    "proto": "UDP",
    "timestamp": 1700000000,
    "msm_id": 5001,
    "prb_id": 7,
    "paris_id": 3,
    "type": "traceroute",
    "result": [
        {
            "hop": 1,
            "result": [
                {"from": "10.0.0.1", "rtt": 0.6, "ttl": 64, "size": 28},
                {"x": "*"},
                {"from": "10.0.0.1", "late": 2, "ttl": 64},
            ],
        },
        {
            "hop": 2,
            "result": [
                {
                    "from": "100.65.1.9",
                    "rtt": 4.5,
                    "ttl": 253,
                    "ittl": 2,
                    "icmpext": {
                        "version": 2,
                        "rfc4884": 1,
                        "obj": [
                            {
                                "class": 1,
                                "type": 1,
                                "mpls": [{"label": 24001, "exp": 0, "s": 1, "ttl": 1}],
                            }
                        ],
                    },
                }
            ],
        },
        {"hop": 3, "error": "sendto failed: Network is unreachable"},
        {
            "hop": 4,
            "result": [
                {"from": "192.0.2.9", "rtt": 9.0, "err": "p"},
                {"from": "192.0.2.9", "rtt": 9.1, "err": "N"},
                {"from": "192.0.2.9", "rtt": 9.2, "err": 13},
            ],
        },
    ],
}


def parse(text: str) -> ParseResult:
    return ParseResult.collect(atlas.parse(text, source="a.json"))


def test_single_result_in_detail() -> None:
    result = parse(json.dumps(RESULT))
    assert result.ok
    [trace] = result.traces
    assert (trace.src, trace.dst, trace.dst_name, trace.protocol) == (
        "10.0.0.5",
        "192.0.2.9",
        "target.example",
        "udp",
    )
    assert trace.started == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert [h.ttl for h in trace.hops] == [1, 2, 4]
    assert trace.ip_path == (("10.0.0.1",), ("100.65.1.9",), ("192.0.2.9",))
    first, star, late = trace.hops[0].replies
    assert (first.rtt_ms, first.reply_ttl, star.addr, late.late, late.rtt_ms) == (
        0.6,
        64,
        None,
        2,
        None,
    )
    [mpls_reply] = trace.hops[1].replies
    assert mpls_reply.quoted_ttl == 2 and mpls_reply.mpls[0].label == 24001
    assert mpls_reply.mpls[0].s is True
    port, net, code = trace.hops[2].replies
    assert (port.icmp_type, port.icmp_code, port.flags) == (3, 3, ())
    assert (net.flags, code.flags) == (("!N",), ("!<13>",))
    assert trace.meta["hop_errors"] == ["hop 3: sendto failed: Network is unreachable"]
    assert (trace.meta["msm_id"], trace.meta["prb_id"], trace.meta["from"]) == (
        5001,
        7,
        "198.51.100.1",
    )
    assert trace.reached is True


def test_array_and_json_lines_and_bad_records() -> None:
    v6 = dict(
        RESULT,
        af=6,
        dst_addr="2001:db8::9",
        result=[{"hop": 1, "result": [{"from": "2001:db8::1", "rtt": 1.0}]}],
    )
    array = parse(json.dumps([RESULT, v6, {"type": "ping"}]))
    assert [t.dst for t in array.traces] == ["192.0.2.9", "2001:db8::9"]
    assert [str(e) for e in array.errors] == ["a.json: result 3 is not a traceroute (type 'ping')"]

    lines = json.dumps(RESULT) + "\n{broken\n" + json.dumps(v6) + "\n"
    jsonl = parse(lines)
    assert [t.origin.line for t in jsonl.traces if t.origin] == [1, 3]
    assert [(e.line, e.message.split(":")[0]) for e in jsonl.errors] == [(2, "invalid JSON")]


def test_detection_and_truncated_document() -> None:
    text = json.dumps(RESULT)
    assert detect_format(text).NAME == "ripe-atlas"
    broken = parse(text[: len(text) // 2])
    assert not broken.traces and broken.errors[0].message.startswith("invalid JSON")


def test_every_result_of_a_json_array_is_its_own_trace_in_the_graph(tmp_path: Path) -> None:
    """Array items have no line of their own: each gets ``path#n``, so none merge."""
    from topo import analyze
    from topo.model import Origin

    result = {"type": "traceroute", "dst_addr": "192.0.2.9", "src_addr": "10.0.0.5",
              "result": [{"hop": 1, "result": [{"from": "192.0.2.9", "rtt": 1.0}]}]}  # fmt: skip
    path = tmp_path / "download.json"
    path.write_text(json.dumps([result] * 3), encoding="utf-8")
    topology = analyze([str(path)])
    ids = list(topology.graph.graph["trace_paths"])
    assert ids == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert [v.origin for v in topology.inference.traces] == ids
    assert Origin.from_string(ids[2]) == Origin(str(path), None, 3)
