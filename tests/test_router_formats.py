"""Formats users paste that topo read since issue 25: MikroTik RouterOS and Huawei VRP
traceroutes, M-Lab's scamper archives, mtr raw hosts without RTT; ``topo parse`` prints
their hops with the MPLS labels."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from topo.cli import cli
from topo.parsers import (
    ParseResult,
    detect_format,
    huawei_tracert,
    mikrotik_traceroute,
    mlab_scamper,
    mtr_raw,
)

from .conftest import DATA


def parse_with(parser: object, text: str) -> ParseResult:
    return ParseResult.collect(parser.parse(text, source="t.txt"))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- MikroTik

V7 = """[admin@R1] > /tool/traceroute 203.0.113.4 src-address=192.0.2.1
Columns: ADDRESS, LOSS, SENT, LAST, AVG, BEST, WORST, STD-DEV, STATUS
#  ADDRESS      LOSS  SENT  LAST   AVG  BEST  WORST  STD-DEV  STATUS
1  192.0.2.2    0%       2  0.7ms  0.7  0.7   0.7          0  <MPLS:L=19,E=0>
2               100%     2  timeout
3  203.0.113.4  0%       2  0.5ms  0.5  0.5   0.5          0
"""


def test_mikrotik_indexed_table_with_mpls_and_timeout() -> None:
    result = parse_with(mikrotik_traceroute, V7)
    assert result.ok
    [trace] = result.traces
    assert (trace.dst, trace.src, trace.reached) == ("203.0.113.4", "192.0.2.1", True)
    assert trace.ip_path == (("192.0.2.2",), (), ("203.0.113.4",))
    [label] = trace.hops[0].replies[0].mpls
    assert (label.label, label.exp) == (19, 0)
    assert trace.hops[1].stats is not None and trace.hops[1].stats.loss == 100.0
    assert trace.hops[0].stats is not None and trace.hops[0].stats.last == 0.7


def test_mikrotik_without_index_and_reprinted_tables() -> None:
    rows = [
        "192.0.2.1      0%    {n}   0.4ms     0.4     0.4     0.4       0",
        "             100%    {n} timeout",
        "203.0.113.9    0%    {n}   9.1ms     9.1     9.1     9.1       0",
    ]
    header = "ADDRESS          LOSS SENT    LAST     AVG    BEST   WORST STD-DEV STATUS\n"
    text = header + "\n".join(r.format(n=n) for n in (1, 2, 3) for r in rows) + "\n"
    [trace] = parse_with(mikrotik_traceroute, text).traces
    assert trace.ip_path == (("192.0.2.1",), (), ("203.0.113.9",))
    assert trace.meta["tables"] == 3
    assert [h.stats.sent for h in trace.hops if h.stats] == [3, 3, 3]


def test_mikrotik_last_table_cut_short_falls_back_to_the_one_before() -> None:
    head = "#  ADDRESS    LOSS  SENT  LAST   AVG  BEST  WORST  STD-DEV\n"
    table = (
        "1  192.0.2.1  0%  {n}  0.4ms  0.4  0.4  0.4  0\n2  192.0.2.9  0%  {n}  1ms  1  1  1  0\n"
    )
    text = head + table.format(n=1) + head + table.format(n=2) + head + "1  192.0.2.1  0%  "
    result = parse_with(mikrotik_traceroute, text)
    assert result.ok
    [trace] = result.traces
    assert [h.stats.sent for h in trace.hops if h.stats] == [2, 2]


def test_mikrotik_one_trace_per_command() -> None:
    one = V7.replace("203.0.113.4", "203.0.113.5")
    traces = parse_with(mikrotik_traceroute, V7 + one).traces
    assert [t.dst for t in traces] == ["203.0.113.4", "203.0.113.5"]


# --------------------------------------------------------------------------- Huawei


def test_huawei_label_stack_glued_to_the_address() -> None:
    text = (
        " traceroute to  192.0.2.9(192.0.2.9), max hops: 30 ,packet length: 40,press CTRL_C"
        " to break \n"
        " 1 198.51.100.6[MPLS Label=1024/1027/1026 Exp=0/0/0 S=0/0/1 TTL=1/1/1] 60 ms  50 ms  * \n"
        " 2 192.0.2.9 9 ms  2 ms  2 ms\n"
    )
    result = parse_with(huawei_tracert, text)
    assert result.ok
    [trace] = result.traces
    replies = trace.hops[0].replies
    assert [r.rtt_ms for r in replies] == [60.0, 50.0, None]
    stack = replies[0].mpls
    assert [(m.label, m.exp, m.s, m.ttl) for m in stack] == [
        (1024, 0, False, 1),
        (1027, 0, False, 1),
        (1026, 0, True, 1),
    ]
    assert trace.reached is True and trace.meta["max_hops"] == 30


def test_huawei_is_not_taken_for_linux_and_linux_not_for_huawei() -> None:
    huawei = "traceroute to 192.0.2.9 (192.0.2.9), hops max: 18, packet length: 40\n1 * * *\n"
    linux = "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets\n 1  * * *\n"
    assert detect_format(huawei).NAME == "huawei-tracert"
    assert detect_format(linux).NAME == "linux-traceroute"


def test_huawei_unreadable_hop_is_an_error_and_the_rest_goes_on() -> None:
    text = (
        "traceroute to 192.0.2.9(192.0.2.9), max hops: 30 ,packet length: 40\n"
        " 1 192.0.2.1 1 ms ?? 2 ms\n 2 192.0.2.9 3 ms\n"
    )
    result = parse_with(huawei_tracert, text)
    assert len(result.errors) == 1 and result.errors[0].line == 2
    assert result.traces[0].ip_path[-1] == ("192.0.2.9",)


# --------------------------------------------------------------------------- M-Lab


@pytest.mark.parametrize(
    "name", ["scamper1_valid.jsonl", "scamper2_complex.jsonl", "scamper2_simple.json"]
)
def test_mlab_archives_keep_their_uuid(name: str) -> None:
    text = (DATA / "mlab-scamper" / name).read_text(encoding="utf-8")
    assert detect_format(text).NAME == "mlab-scamper"
    result = parse_with(mlab_scamper, text)
    assert result.ok and len(result.traces) == 1
    trace = result.traces[0]
    assert trace.format == "mlab-scamper" and trace.meta["uuid"]
    assert trace.meta["traceroute_caller_version"] and trace.hops


def test_mlab_metadata_alone_is_one_error() -> None:
    text = '{"UUID":"0000000000","TracerouteCallerVersion":"0000000","CachedResult":false}\n'
    result = parse_with(mlab_scamper, text)
    assert not result.traces and len(result.errors) == 1


# --------------------------------------------------------------------------- mtr raw


def test_mtr_raw_host_without_ping_keeps_its_address() -> None:
    text = "x 0 1\nh 0 192.0.2.1\np 0 500 1\nx 1 2\nh 1 192.0.2.7\n"
    text += "x 2 3\nh 2 192.0.2.9\np 2 900 3\n"
    [trace] = parse_with(mtr_raw, text).traces
    assert trace.hops[1].addresses == ("192.0.2.7",)
    assert trace.hops[1].rtts == ()


# --------------------------------------------------------------------------- topo parse


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("mikrotik-traceroute/written_v7_ldp_mpls.txt", "192.0.2.2     MPLS 19"),
        ("huawei-tracert/written_tracert_v_mpls.txt", "MPLS 1024/1027/1026"),
    ],
)
def test_topo_parse_prints_hops_with_mpls_labels(path: str, expected: str) -> None:
    result = CliRunner().invoke(cli, ["parse", str(DATA / path)])
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_mikrotik_host_names_are_kept_and_garbage_is_an_error() -> None:
    head = "#  ADDRESS           LOSS  SENT  LAST   AVG  BEST  WORST  STD-DEV\n"
    text = (
        head + "1  gw.example.net    0%  1  1ms  1  1  1  0\n2  10.0.0.1x  0%  1  1ms  1  1  1  0\n"
    )
    result = parse_with(mikrotik_traceroute, text)
    assert [e.line for e in result.errors] == [3]
    [trace] = result.traces
    assert trace.hops[0].replies[0].name == "gw.example.net"
