"""BSD/macOS traceroute, Cisco IOS traceroute and Paris traceroute text parsers."""

from __future__ import annotations

import pytest

from topo.inputs import decode_bytes
from topo.model import MplsLabel
from topo.parsers import (
    ParseResult,
    bsd_traceroute,
    cisco_ios,
    detect_format,
    linux_traceroute,
    paris_traceroute,
)

from .conftest import DATA

SIDE_FILES = (".expected.json", ".cmd", ".truth.json", ".md")


def _golden_texts() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DATA.glob("*/*")):
        if (
            path.is_file()
            and not path.name.endswith(SIDE_FILES)
            and path.parent.name != "_captured"
        ):
            text = decode_bytes(path.read_bytes()).text
            if "\x00" not in text[:4096]:  # binary formats (warts) are not text to sniff
                found.append((path.parent.name, text))
    return found


GOLDEN = _golden_texts()

# --------------------------------------------------------------------------- BSD


def bsd(text: str) -> ParseResult:
    return ParseResult.collect(bsd_traceroute.parse(text, source="b.txt"))


def test_bsd_continuation_lines_and_flags() -> None:
    result = bsd(
        "traceroute to 198.51.100.9 (198.51.100.9), 64 hops max, 40 byte packets\n"
        " 1  gw (192.0.2.1)  0.5 ms  0.4 ms  0.4 ms\n"
        " 2  192.0.2.10 (192.0.2.10)  1.0 ms\n"
        "    192.0.2.11 (192.0.2.11)  1.1 ms  1.2 ms\n"
        " 3  198.51.100.9 (198.51.100.9)  2.0 ms !Z  *  2.1 ms !\n"
    )
    assert result.ok
    [trace] = result.traces
    assert trace.format == "bsd-traceroute"
    assert [h.ttl for h in trace.hops] == [1, 2, 3]
    assert trace.hops[1].addresses == ("192.0.2.10", "192.0.2.11")
    assert [r.rtt_ms for r in trace.hops[1].replies] == [1.0, 1.1, 1.2]
    assert [r.flags for r in trace.hops[2].replies] == [("!Z",), (), ("!",)]
    assert trace.hops[0].replies[0].name == "gw"
    assert trace.meta == {"max_hops": 64, "packet_bytes": 40} and trace.reached is True


def test_bsd_as_before_host_and_traceroute6_from() -> None:
    result = bsd(
        "traceroute6: Warning: www.example has multiple addresses; using 2001:db8::9\n"
        "traceroute6 to www.example (2001:db8::9) from 2001:db8::2, 64 hops max, 12 byte packets\n"
        " 1  [AS64500] gw6 (2001:db8::1)  0.3 ms  0.3 ms  0.3 ms\n"
        " 2  * * *\n"
    )
    [trace] = result.traces
    assert (trace.src, trace.dst, trace.dst_name) == ("2001:db8::2", "2001:db8::9", "www.example")
    assert trace.hops[0].replies[0].asn == (64500,) and trace.hops[0].replies[0].name == "gw6"
    assert trace.hops[1].is_silent and trace.reached is False
    assert trace.meta["warnings"][0].startswith("traceroute6: Warning")


def test_bsd_junk_line_and_truncated_file() -> None:
    result = bsd(
        "traceroute to 192.0.2.9 (192.0.2.9), 64 hops max, 52 byte packets\n"
        " 1  192.0.2.1  0.5 ms  0.4 ms  0.4 ms\n"
        "this is not traceroute output\n"
        " 2  192.0.2.9  1.0 ms  1.0 ms  1.0 ms\n"
        " 3  * *"
    )
    assert [e.line for e in result.errors] == [3]
    [trace] = result.traces
    assert [h.ttl for h in trace.hops] == [1, 2, 3]
    assert len(trace.hops[2].replies) == 2


def test_bsd_and_linux_told_apart() -> None:
    linux = (
        "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets\n 1  192.0.2.9  1 ms\n"
    )
    assert not bsd_traceroute.sniff(linux) and detect_format(linux).NAME == "linux-traceroute"
    for header in ("64 hops max, 60 byte packets", "30 hops max, 52 byte packets"):
        text = f"traceroute to 192.0.2.9 (192.0.2.9), {header}\n 1  192.0.2.9  1 ms\n"
        assert detect_format(text).NAME == "bsd-traceroute"
    headerless = " 1  [AS0] gw (192.0.2.1)  1.0 ms\n 2  192.0.2.9 (192.0.2.9)  2.0 ms\n"
    assert detect_format(headerless).NAME == "bsd-traceroute"
    inetutils = "traceroute to 192.0.2.9 (192.0.2.9), 64 hops max\n  1   192.0.2.9  0.1ms\n"
    assert not bsd_traceroute.sniff(inetutils)
    # what cannot be told apart: no header, no BSD-only feature
    plain = " 1  gw (192.0.2.1)  1.0 ms\n 2  192.0.2.9 (192.0.2.9)  2.0 ms\n"
    assert not bsd_traceroute.sniff(plain) and linux_traceroute.sniff(plain)


@pytest.mark.parametrize(("folder", "text"), GOLDEN, ids=str)
def test_bsd_sniff_only_accepts_bsd(folder: str, text: str) -> None:
    assert bsd_traceroute.sniff(text) is (folder == "bsd-traceroute")


# --------------------------------------------------------------------------- Cisco


def ios(text: str) -> ParseResult:
    return ParseResult.collect(cisco_ios.parse(text, source="r1.log"))


def test_ios_continuation_labels_as_and_unreachable() -> None:
    result = ios(
        "R1#traceroute 10.1.1.1\n"
        "Type escape sequence to abort.\n"
        "Tracing the route to core.example (10.1.1.1)\n"
        "VRF info: (vrf in name/id, vrf out name/id)\n"
        "  1 10.0.0.1 [MPLS: Labels 16052/39 Exp 5] 4 msec 0 msec 4 msec\n"
        "  2 edge.example (10.0.0.5) [AS 65000] 8 msec\n"
        "    10.0.0.9 8 msec *\n"
        "  3 10.1.1.1 !H  *  !A\n"
    )
    assert result.ok
    [trace] = result.traces
    assert trace.format == "cisco-ios" and trace.meta["command"] == "traceroute 10.1.1.1"
    assert (trace.dst, trace.dst_name, trace.reached) == ("10.1.1.1", "core.example", True)
    assert [h.ttl for h in trace.hops] == [1, 2, 3]
    first = trace.hops[0].replies
    assert [r.rtt_ms for r in first] == [4.0, 0.0, 4.0]
    assert first[0].mpls == (MplsLabel(16052, 5, False, None), MplsLabel(39, None, True, None))
    second = trace.hops[1].replies
    assert [(r.addr, r.name, r.asn) for r in second] == [
        ("10.0.0.5", "edge.example", (65000,)),
        ("10.0.0.9", None, None),
        (None, None, None),
    ]
    assert [(r.addr, r.rtt_ms, r.flags) for r in trace.hops[2].replies] == [
        ("10.1.1.1", None, ("!H",)),
        (None, None, ()),
        ("10.1.1.1", None, ("!A",)),
    ]


def test_ios_two_runs_junk_and_truncation() -> None:
    result = ios(
        "Tracing the route to 192.0.2.9\n"
        "  1 192.0.2.1 1 msec 1 msec 1 msec\n"
        "%% this is not a hop line\n"
        "  2 192.0.2.9 2 msec 2 msec 2 msec\n"
        "Tracing the route to 192.0.2.7\n"
        "  1 192.0.2.1 1 msec\n"
        "  2 core 5 msec\n"
        "  3 192.0.2.7 3 ms"
    )
    assert [e.line for e in result.errors] == [3, 7, 8]
    first, second = result.traces
    assert first.ip_path == (("192.0.2.1",), ("192.0.2.9",)) and first.reached is True
    assert [h.ttl for h in second.hops] == [1, 2, 3]
    assert second.hops[0].addresses == ("192.0.2.1",) and second.reached is True


def test_ios_xr_header_and_vrf_hops() -> None:
    [trace] = ios(
        "RP/0/RP0/CPU0:router#traceroute 10.4.1.1\n"
        "Mon Sep 30 13:23:56.830 EDT\n\n"
        "Type escape sequence to abort.\n"
        "Tracing the route to 10.4.1.1\n\n"
        " 1  10.4.1.2 [MPLS: Label 11111 Exp 0] 16 msec  4 msec  4 msec \n"
        " 2  10.1.1.2 (red/1001, blue/2001)\n"
    ).traces
    assert trace.meta["timestamp"] == "Mon Sep 30 13:23:56.830 EDT"
    assert trace.hops[0].replies[0].mpls == (MplsLabel(11111, 0, True, None),)
    [vrf_hop] = trace.hops[1].replies
    assert (vrf_hop.addr, vrf_hop.rtt_ms) == ("10.1.1.2", None)
    assert trace.meta["hop_vrf"] == {"2": "red/1001, blue/2001"}


@pytest.mark.parametrize(("folder", "text"), GOLDEN, ids=str)
def test_ios_sniff_only_accepts_ios(folder: str, text: str) -> None:
    assert cisco_ios.sniff(text) is (folder == "cisco-ios")


# --------------------------------------------------------------------------- Paris


def paris(text: str) -> ParseResult:
    return ParseResult.collect(paris_traceroute.parse(text, source="p.paris"))


EXHAUSTIVE = (
    "traceroute [(192.0.2.10:33456) -> (198.51.100.9:33457)], protocol icmp, algo exhaustive,"
    " duration 19 s\n"
    " 1  P(6, 6) gw (192.0.2.1)  0.2/0.3/0.4/0.1 ms \n"
    " 2  P(16, 16) r1 (203.0.113.1):0,2,3  0.530 ms  r2 (203.0.113.2):1,4  0.556 ms !T2 \n"
    "   MPLS Label 0 TTL=1 | 24950\n"
    " 3  P(0, 6)\n"
    " 4  P(6, 6) 198.51.100.9 (198.51.100.9)  1.0/1.1/1.2/0.1 ms !H \n"
)


def test_paris_exhaustive_flows_stats_mpls_and_quoted_ttl() -> None:
    result = paris(EXHAUSTIVE)
    assert result.ok
    [trace] = result.traces
    assert (trace.src, trace.dst, trace.protocol, trace.reached) == (
        "192.0.2.10",
        "198.51.100.9",
        "icmp",
        True,
    )
    assert trace.meta == {
        "src_port": 33456,
        "dst_port": 33457,
        "algorithm": "exhaustive",
        "duration_s": 19,
    }
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]
    one = trace.hops[0]
    assert one.replies[0].rtt_ms == 0.3 and one.replies[0].name == "gw"
    assert one.stats is not None
    assert (one.stats.sent, one.stats.loss, one.stats.best, one.stats.worst) == (6, 0.0, 0.2, 0.4)
    two = trace.hops[1].replies
    assert [(r.addr, r.flow_id) for r in two] == [
        ("203.0.113.1", 0),
        ("203.0.113.1", 2),
        ("203.0.113.1", 3),
        ("203.0.113.2", 1),
        ("203.0.113.2", 4),
    ]
    assert two[0].mpls == () and two[0].quoted_ttl is None
    assert two[3].quoted_ttl == 2
    assert two[3].mpls == (MplsLabel(0, None, None, 1), MplsLabel(24950, None, None, None))
    silent = trace.hops[2]
    assert silent.is_silent and silent.stats is not None and silent.stats.loss == 100.0
    assert trace.hops[3].replies[0].flags == ("!H",)


def test_paris_hopbyhop_and_one_responder_a_line() -> None:
    [hbh] = paris(
        "traceroute [(192.0.2.10:33456) -> (8.8.8.8:33457)], protocol udp, algo hopbyhop,"
        " duration 18 s\n"
        " 1  192.0.2.1 (192.0.2.1)  2.946 ms   0.553 ms   0.559 ms \n"
        " 2  * * *\n"
        " 3  dns.google (8.8.8.8)  103.087 ms !T2   166.279 ms !T2   224.649 ms !T2 \n"
    ).traces
    assert hbh.ip_path == (("192.0.2.1",), (), ("8.8.8.8",))
    assert [r.quoted_ttl for r in hbh.hops[2].replies] == [2, 2, 2]
    assert [r.flags for r in hbh.hops[2].replies] == [(), (), ()]
    [multi] = paris(
        "traceroute [(192.0.2.10:33456) -> (192.0.2.9:33457)], protocol udp, algo exhaustive,"
        " duration 3 s\n"
        " 5  P(16, 16) a (198.51.100.1):0,2 =  0.5/0.6/0.7/0.1 ms \n"
        "            b (198.51.100.2):1 =  0.5/0.6/0.7/0.1 ms \n"
    ).traces
    assert multi.hops[0].addresses == ("198.51.100.1", "198.51.100.2")
    assert [r.flow_id for r in multi.hops[0].replies] == [0, 2, 1]
    assert multi.hops[0].stats is not None and multi.hops[0].stats.best is None


def test_paris_libparistraceroute_header_mda_and_junk() -> None:
    result = paris(
        "mda to www.example (192.0.2.9), 30 hops max, 30 bytes packets\n"
        "0 None -> 192.0.2.1 [{ 0*1, 0*2 } -> {  1*1, 1*2 }]\n"
        "traceroute to www.example (192.0.2.9), 30 hops max, 30 bytes packets\n"
        " 1  192.0.2.1 (192.0.2.1)  0.089ms    0.065ms    0.053ms\n"
        "Exception : [ERROR](Probe.cc, 109)Can't send the probe : Invalid argument\n"
        " 2  www.example (192.0.2.9)  0.5ms    0.4ms    0.4ms\n"
        "   MPLS Label x\n"
        " 3  P(6, 6) truncated (192.0.2."
    )
    assert [e.line for e in result.errors] == [1, 5, 7, 8]
    [trace] = result.traces
    assert (trace.dst, trace.dst_name, trace.meta) == (
        "192.0.2.9",
        "www.example",
        {"max_hops": 30, "packet_bytes": 30},
    )
    assert [h.ttl for h in trace.hops] == [1, 2, 3]
    assert [r.rtt_ms for r in trace.hops[0].replies] == [0.089, 0.065, 0.053]
    assert trace.reached is True


@pytest.mark.parametrize(("folder", "text"), GOLDEN, ids=str)
def test_paris_sniff_only_accepts_paris(folder: str, text: str) -> None:
    assert paris_traceroute.sniff(text) is (folder == "paris-traceroute")
