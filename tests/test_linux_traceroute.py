"""Linux traceroute text: each variant asserts hop numbers, addresses and reply details."""

from __future__ import annotations

from topo.errors import ParseError
from topo.model import MplsLabel
from topo.parsers import ParseResult, detect_format, linux_traceroute


def parse(text: str) -> ParseResult:
    return ParseResult.collect(linux_traceroute.parse(text, source="t.txt"))


def test_numeric_with_load_balancing_and_stars() -> None:
    result = parse(
        "traceroute to 203.0.113.9 (203.0.113.9), 30 hops max, 60 byte packets\n"
        " 1  192.0.2.1  0.311 ms  0.289 ms 192.0.2.2  0.271 ms\n"
        " 2  * * *\n"
        " 3  * 100.64.0.1  2.2 ms *\n"
        " 4  203.0.113.9  3.1 ms  3.0 ms  3.0 ms\n"
    )
    assert result.ok
    [trace] = result.traces
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]
    assert trace.ip_path == (("192.0.2.1", "192.0.2.2"), (), ("100.64.0.1",), ("203.0.113.9",))
    assert [r.addr for r in trace.hops[2].replies] == [None, "100.64.0.1", None]
    assert [r.rtt_ms for r in trace.hops[0].replies] == [0.311, 0.289, 0.271]
    assert trace.reached is True and trace.dst == "203.0.113.9"
    assert trace.meta == {"max_hops": 30, "packet_bytes": 60}


def test_names_asn_and_mpls() -> None:
    result = parse(
        "traceroute to example.net (198.51.100.7), 30 hops max, 60 byte packets\n"
        " 1  gw.example (192.0.2.1) [AS64500]  0.4 ms 192.0.2.2 (192.0.2.2) [*]  0.5 ms  0.6 ms\n"
        " 2  core (100.65.1.9) [AS1/AS2] <MPLS:L=299808,E=0,S=0,T=1/L=16,E=7,S=1,T=254>  8.2 ms\n"
    )
    assert result.ok
    [trace] = result.traces
    assert (trace.dst, trace.dst_name) == ("198.51.100.7", "example.net")
    first, second, third = trace.hops[0].replies
    assert (first.addr, first.name, first.asn) == ("192.0.2.1", "gw.example", (64500,))
    assert (second.addr, second.name, second.asn) == ("192.0.2.2", None, ())
    assert third.addr == "192.0.2.2" and third.rtt_ms == 0.6
    [core] = trace.hops[1].replies
    assert core.asn == (1, 2)
    assert core.mpls == (MplsLabel(299808, 0, False, 1), MplsLabel(16, 7, True, 254))
    assert trace.reached is False


def test_flags_attach_to_their_reply() -> None:
    [trace] = parse(
        " 1  192.0.2.1  1.0 ms !H  1.1 ms !N  1.2 ms !<10>\n 2  192.0.2.9  2 ms !X\n"
    ).traces
    assert [r.flags for r in trace.hops[0].replies] == [("!H",), ("!N",), ("!<10>",)]
    assert trace.hops[1].replies[0].flags == ("!X",)
    assert trace.dst is None and trace.reached is None


def test_ipv6_header_with_source_and_zone() -> None:
    [trace] = parse(
        "traceroute6 to 2001:db8::9 (2001:db8::9) from 2001:db8::2, 30 hops max, 80 byte packets\n"
        " 1  fe80::1%eth0  0.4 ms  0.3 ms  0.3 ms\n 2  2001:db8::9  1.0 ms  1.0 ms  1.0 ms\n"
    ).traces
    assert (trace.src, trace.dst) == ("2001:db8::2", "2001:db8::9")
    assert trace.ip_path == (("fe80::1%eth0",), ("2001:db8::9",))


def test_q6_and_inetutils_style_rtts() -> None:
    [trace] = parse(
        "traceroute to 10.0.0.9 (10.0.0.9), 64 hops max\n"
        "  1   10.0.0.1  0.512ms  0.4ms  0.3ms  10.0.0.2  0.3ms  0.2ms  0.2ms\n"
    ).traces
    assert trace.hops[0].addresses == ("10.0.0.1", "10.0.0.2")
    assert len(trace.hops[0].replies) == 6


def test_mtu_and_back_marks_are_kept_as_flags() -> None:
    [trace] = parse(" 1  192.0.2.1  F=1500  0.5 ms  0.4 ms\n 2  192.0.2.9 '-3'  0.9 ms\n").traces
    assert trace.hops[0].replies[0].flags == ("F=1500",)
    assert trace.hops[0].replies[1].flags == ()
    assert trace.hops[1].replies[0].flags == ("'-3'",)


def test_warning_first_and_bad_line_reported_with_line_number() -> None:
    result = parse(
        "traceroute: Warning: Multiple interfaces found; using 192.0.2.10 @ eth0\n"
        "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max, 60 byte packets\n"
        " 1  192.0.2.1  0.3 ms\n"
        "this is not traceroute output\n"
        " 2  192.0.2.9  0.5 ms\n"
    )
    [trace] = result.traces
    assert trace.ip_path == (("192.0.2.1",), ("192.0.2.9",))
    assert trace.meta["warnings"] == [
        "traceroute: Warning: Multiple interfaces found; using 192.0.2.10 @ eth0"
    ]
    assert [(e.path, e.line) for e in result.errors] == [("t.txt", 4)]
    assert isinstance(result.errors[0], ParseError)


def test_several_traces_split_on_header_and_ttl_restart() -> None:
    result = parse(
        "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  192.0.2.1  1 ms\n"
        "traceroute to 192.0.2.8 (192.0.2.8), 30 hops max\n"
        " 1  192.0.2.1  1 ms\n 2  192.0.2.8  2 ms\n"
        " 1  192.0.2.5  1 ms\n"
    )
    assert [t.dst for t in result.traces] == ["192.0.2.9", "192.0.2.8", None]
    assert [t.origin.line for t in result.traces if t.origin] == [1, 3, 6]


def test_detection() -> None:
    assert detect_format(" 1  192.0.2.1  0.3 ms\n 2  * * *\n").NAME == "linux-traceroute"
    # a Windows tracert body (RTT first) is not taken for Linux traceroute
    assert not linux_traceroute.sniff(
        "  1    <1 ms    <1 ms    <1 ms  192.168.1.1\n  2     5 ms     4 ms     4 ms  10.0.0.1\n"
    )
