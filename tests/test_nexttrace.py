"""NextTrace text, and the shell and screen lines that come with pasted traces.

NextTrace cases are written in the tool's layouts (its printers: ``printer/realtime_common.go``,
``tableprinter.go`` of nxtrace/NTrace-core) with documentation addresses (RFC 5737, RFC 3849)
and AS numbers (RFC 5398). The real captures this was checked against are unlicensed and
stay out of the repository (see ``tests/data/nexttrace/SOURCES.md``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from topo.errors import FormatDetectionError
from topo.model import MplsLabel
from topo.parsers import ParseResult, detect_format, nexttrace, parse_text

from .conftest import DATA
from .test_golden import golden_inputs

PAD = " " * 46  # where NextTrace starts an RTT line with no name in front


def parse(text: str) -> ParseResult:
    return ParseResult.collect(nexttrace.parse(text, source="nt.txt"))


# --- NextTrace's default layout ---------------------------------------------------------

SCRIPT_OUTPUT = f"""\
----------------------------------------------------------------------
Example Telecom
traceroute to 203.0.113.9, 30 hops max, 52 bytes payload, ICMP mode
1   192.0.2.1       AS64496  [EXAMPLE-CLOUD]  United States Arizona Phoenix  example.com
{PAD}0.31 ms / 0.31 ms / 0.26 ms
2   198.51.100.10   AS64497  [TRANSIT-NET]    United States Arizona Phoenix  example.net
    ic-361031.ip.transit.example              0.56 ms / 0.66 ms / 0.67 ms
3   198.51.100.72   AS64497                   United States California Los Angeles  example.net
{PAD}9.79 ms / 60.14 ms / * ms
4   *
5   *
6   203.0.113.9     AS64498  [EXAMPLE-BJ]     China Beijing   example.cn
{PAD}186.38 ms / 188.04 ms / 188.87 ms
----------------------------------------------------------------------
Example Mobile
traceroute to 203.0.113.161, 30 hops max, 52 bytes payload, ICMP mode
1   192.0.2.30      AS64496  [EXAMPLE-CLOUD]  Korea Seoul Seoul  example.com
{PAD}0.23 ms / 0.26 ms / 0.23 ms
2   10.0.0.254      *                         RFC1918
{PAD}0.90 ms / 0.85 ms / 0.98 ms
3   198.51.100.61   AS64499  [TRANSIT-ARIN]   Japan Tokyo Tokyo  example.org
{PAD}31.36 ms / 31.27 ms / * ms
"""


def test_hop_lines_and_their_rtt_lines() -> None:
    result = parse(SCRIPT_OUTPUT)
    assert result.ok, result.errors
    first, second = result.traces
    assert [h.ttl for h in first.hops] == [1, 2, 3, 4, 5, 6]
    assert first.ip_path == (
        ("192.0.2.1",),
        ("198.51.100.10",),
        ("198.51.100.72",),
        (),
        (),
        ("203.0.113.9",),
    )
    assert [r.rtt_ms for r in first.hops[0].replies] == [0.31, 0.31, 0.26]
    assert [r.addr for r in first.hops[2].replies] == ["198.51.100.72", "198.51.100.72", None]
    assert {r.name for r in first.hops[1].replies} == {"ic-361031.ip.transit.example"}
    assert first.hops[0].replies[0].name is None
    assert (first.dst, first.reached, first.protocol) == ("203.0.113.9", True, "icmp")
    assert first.meta == {"label": "Example Telecom", "max_hops": 30, "packet_bytes": 52}
    assert (second.meta["label"], second.reached, second.dst) == (
        "Example Mobile",
        False,
        "203.0.113.161",
    )


def test_printed_as_numbers_are_kept_on_each_reply() -> None:
    first, second = parse(SCRIPT_OUTPUT).traces
    assert [{r.asn for r in hop.replies if r.addr} for hop in first.hops] == [
        {(64496,)},
        {(64497,)},
        {(64497,)},
        set(),
        set(),
        {(64498,)},
    ]
    assert {r.asn for r in second.hops[1].replies} == {()}  # '*': NextTrace knows none
    assert first.hops[3].replies[0].asn is None  # a hop nobody answered prints no column


def test_several_addresses_for_one_hop_and_mpls() -> None:
    text = (
        "traceroute to 203.0.113.9 (www.example.net), 30 hops max, 52 byte packets, TCP mode\n"
        "8   198.51.100.190  AS64500                   Example City  example.net \n"
        f"{PAD}1.62 ms\n"
        "    198.51.100.58   AS64500                   Example City  example.net \n"
        f"{PAD}1.52 ms / * ms\n"
        "    [MPLS: Lbl 24001, TC 0, S 1, TTL 1]\n"
        "9   203.0.113.9     AS64501  [EXAMPLE-DST]    Example City  example.org\n"
        "    www.example.net                           3.33 ms\n"
    )
    result = parse(text)
    assert result.ok, result.errors
    [trace] = result.traces
    assert (trace.dst, trace.dst_name, trace.protocol) == ("203.0.113.9", "www.example.net", "tcp")
    eight = trace.hops[0]
    assert eight.addresses == ("198.51.100.190", "198.51.100.58")
    assert [r.addr for r in eight.replies] == ["198.51.100.190", "198.51.100.58", None]
    assert eight.replies[0].mpls == ()
    assert eight.replies[1].mpls == (MplsLabel(24001, 0, True, 1),)
    assert trace.hops[1].replies[0].name == "www.example.net" and trace.reached is True


def test_ipv6_banner_and_source_address() -> None:
    text = (
        "NextTrace v1.3.4 2024-09-10T13:25:26Z 6a3ea6a\n"
        "[NextTrace API] preferred API IP - [2001:db8::53] - 90.04ms - Example.HKG\n"
        "IP Geo Data Provider: LeoMoeAPI\n"
        "2001:db8::10 -> 2001:db8:200::9, 30 hops max, 52 byte packets, ICMP mode\n"
        "1   2001:db8:100::1           AS64500  United States California Los Angeles  example.net\n"
        "                                       0.52 ms / 0.48 ms\n"
        "2   *\n"
        "3   2001:db8:200::9           *        Japan Tokyo Tokyo\n"
        "    host6.example.org                  * ms / 99.12 ms\n"
        "MapTrace URL: https://api.nxtrace.org/tracemap/html/x.html\n"
    )
    result = parse(text)
    assert result.ok, result.errors
    [trace] = result.traces
    assert (trace.src, trace.dst, trace.reached) == ("2001:db8::10", "2001:db8:200::9", True)
    assert trace.meta["nexttrace_version"] == "v1.3.4"
    assert trace.meta["geo_provider"] == "LeoMoeAPI"
    assert [r.addr for r in trace.hops[2].replies] == [None, "2001:db8:200::9"]
    assert trace.hops[2].replies[1].name == "host6.example.org"
    assert trace.hops[0].replies[0].asn == (64500,)


def test_script_label_names_the_protocol() -> None:
    text = (
        "No:1/9 Traceroute to Example City Telecom (TCP Mode, Max 30 Hop, IPv4)\n"
        "===================================================================\n"
        "NextTrace v1.3.1 2024-05-31T02:04:05Z f303397\n"
        "traceroute to 203.0.113.1, 30 hops max, 52 bytes packets\n"
        "1   192.0.2.1       AS64500                   Example City  example.net \n"
        f"{PAD}0.58 ms\n"
    )
    [trace] = parse(text).traces
    assert trace.protocol == "tcp"
    assert trace.meta["label"].startswith("No:1/9") and trace.meta["nexttrace_version"] == "v1.3.1"


def test_table_layout() -> None:
    text = (
        "traceroute to 192.0.2.200, 30 hops max, 52 byte packets, UDP mode\n"
        "Hop  IP                              Latency  ASN    Location      Owner        \n"
        "1    192.0.2.1                       0.52ms                                     \n"
        "     192.0.2.1                       0.49ms                                     \n"
        "2    gw.example.net (198.51.100.1)   1.21ms   64500  Tokyo, Japan  Example Net  \n"
        "3    *                                                                          \n"
        "4    192.0.2.200                     98.76ms  64502  Tokyo, Japan  Example Org  \n"
    )
    result = parse(text)
    assert result.ok, result.errors
    [trace] = result.traces
    assert trace.ip_path == (("192.0.2.1",), ("198.51.100.1",), (), ("192.0.2.200",))
    assert [r.rtt_ms for r in trace.hops[0].replies] == [0.52, 0.49]
    gateway = trace.hops[1].replies[0]
    assert (gateway.name, gateway.asn) == ("gw.example.net", (64500,))
    assert trace.hops[0].replies[0].asn == ()
    assert trace.reached is True


def test_hidden_destination_and_damaged_lines_are_errors() -> None:
    text = (
        "traceroute to 203.0.0.0/16, 30 hops max, 52 byte packets, ICMP mode\n"
        "1   192.0.2.1       AS64500                   Example City  example.net\n"
        "2   198.51.100.1    AS64500                   Example City  example.net\n"
        f"{PAD}1.00 ms\n"
        "3   203.0.0.0/16    AS64501                   Example City  example.org\n"
        f"{PAD}9.00 ms\n"
        "some prose\n"
    )
    result = parse(text)
    [trace] = result.traces
    assert trace.dst is None and trace.meta["dst_hidden"] == "203.0.0.0/16"
    assert trace.reached is None
    assert trace.ip_path == (("192.0.2.1",), ("198.51.100.1",))
    assert trace.hops[0].replies[0].rtt_ms is None  # its RTT line is missing
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "hop 1: no RTT line for 192.0.2.1"),
        (5, "hop 3: not an address '203.0.0.0/16' (NextTrace hid it)"),
        (7, "not a NextTrace line: 'some prose'"),
    ]


# --- what is not read, and detection ----------------------------------------------------

GOECS = """\
-------------------------------------三网回程路由检测-------------------------------------
[NextTrace API] preferred API IP - 192.0.2.53 - 334.84ms - Example.HKG
广州电信 - ICMP v4 - traceroute to 203.0.113.222, 30 hops max, 52 byte packets
0.31 ms      AS64496    [EXAMPLE-CLOUD]    韩国, 江原道, 春川, example.com
36.69 ms     AS64497                       日本, 东京都, 东京, example.net
*
135.83 ms    AS64498                       中国, 广东, 深圳, example.cn  电信
广州联通 - ICMP v4 - traceroute to 203.0.113.6, 30 hops max, 52 byte packets
*
0.30 ms      AS64496    [EXAMPLE-CLOUD]    韩国, 江原道, 春川, example.com
"""


def test_output_without_addresses_is_one_clear_error() -> None:
    """goecs's route test prints NextTrace's RTT, AS and place per hop but no address."""
    assert detect_format(GOECS).NAME == "nexttrace"
    result = parse_text(GOECS, source="goecs.txt")
    assert result.traces == []
    [error] = result.errors
    assert isinstance(error, FormatDetectionError)
    assert error.line == 3
    assert "NextTrace output without addresses (2 traces" in error.message


def test_a_summary_line_inside_a_trace_is_an_error_not_skipped() -> None:
    text = (
        "traceroute to 203.0.113.9, 30 hops max, 52 bytes payload, ICMP mode\n"
        f"1   192.0.2.1       AS64500                   Example City  example.net\n{PAD}1.00 ms\n"
        "36.69 ms     AS64497                       日本, 东京都, 东京, example.net\n"
        f"2   203.0.113.9     AS64501                   Example City  example.org\n{PAD}2.00 ms\n"
    )
    result = parse(text)
    assert [len(t.hops) for t in result.traces] == [2]
    assert [e.line for e in result.errors] == [4]
    assert not any(isinstance(e, FormatDetectionError) for e in result.errors)


@pytest.mark.parametrize(
    "text",
    [
        "traceroute to 203.0.113.9, 30 hops max, 52 bytes payload, ICMP mode\n1   *\n",
        "traceroute to 203.0.113.9 (example.net), 30 hops max, 52 byte packets\n",
        "NextTrace v1.2.8 2023-12-23T13:30:40Z f76c940\n",
        f"1   192.0.2.1       AS64500  Example\n{PAD}1.00 ms\n2   *\n",
        "Hop  IP          Latency  ASN  Location  Owner\n1    192.0.2.1   0.52ms\n",
    ],
)
def test_detection_picks_nexttrace(text: str) -> None:
    assert nexttrace.sniff(text)
    assert detect_format(text).NAME == "nexttrace"


@pytest.mark.parametrize(
    "text",
    [
        "traceroute to 203.0.113.9 (203.0.113.9), 30 hops max, 60 byte packets\n",
        "traceroute to example.net (203.0.113.9), 64 hops max, 52 byte packets\n",
        " 1  192.0.2.1  0.5 ms  *  192.0.2.2  0.6 ms\n 2  * * *\n",
        " 1  192.0.2.1 [AS64500]  0.5 ms\n 2  192.0.2.9 [*]  0.9 ms\n",
        " 1  192.0.2.1  5.04 ms  AS64500  Example, example.net\n"
        " 2  192.0.2.9  5.10 ms  *  Example\n",
    ],
)
def test_other_tools_are_not_nexttrace(text: str) -> None:
    assert not nexttrace.sniff(text)


@pytest.mark.parametrize("path", golden_inputs(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_sniff_accepts_only_nexttrace_golden_files(path: Path) -> None:
    text = path.read_bytes()[:65536].decode("utf-8", errors="replace")
    assert nexttrace.sniff(text) is (path.parent.name == "nexttrace")


# --- the shell around a pasted trace (Linux traceroute) ---------------------------------


def test_command_line_before_a_trace_is_kept_not_an_error() -> None:
    text = (
        "root@ip-10-10-230-195:~# traceroute tryhackme.example\n"
        "traceroute to tryhackme.example (203.0.113.10), 30 hops max, 60 byte packets\n"
        " 1  192.0.2.1 (192.0.2.1)  7.465 ms  6.540 ms  10.216 ms\n"
        " 2  203.0.113.10 (203.0.113.10)  20.276 ms  13.362 ms  18.973 ms\n"
        "root@ip-10-10-230-195:~#\n"
        "[ec2-user@ip-10-0-10-78 ~]$ traceroute -n 192.0.2.9\n"
        " 1  192.0.2.9  1.0 ms\n"
        "[ec2-user@ip-10-0-10-78 ~]$\n"
    )
    result = parse_text(text, source="t.txt")
    assert result.ok, result.errors
    first, second = result.traces
    assert first.format == "linux-traceroute"
    assert first.meta["command"] == "traceroute tryhackme.example"
    assert (first.dst, first.reached) == ("203.0.113.10", True)
    assert second.meta["command"] == "traceroute -n 192.0.2.9"
    assert first.origin is not None and first.origin.line == 2


@pytest.mark.parametrize(
    "header",
    [
        "$ traceroute to example.com (203.0.113.238), 30 hops max, 60 byte packets",
        "user@host:~$ traceroute to example.com (203.0.113.238), 30 hops max, 60 byte packets",
        "raceroute to example.com (203.0.113.238), 30 hops max, 60 byte packets",
    ],
)
def test_a_damaged_header_keeps_the_destination(header: str) -> None:
    text = f"{header}\n 1  192.0.2.1  3.04 ms\n 2  *\n 3  203.0.113.238  9.9 ms\n"
    result = parse_text(text, source="t.txt")
    assert result.ok, result.errors
    [trace] = result.traces
    assert (trace.dst, trace.dst_name, trace.reached) == ("203.0.113.238", "example.com", True)
    assert trace.meta["max_hops"] == 30


def test_other_commands_are_still_errors() -> None:
    text = "$ ping 192.0.2.9\n 1  192.0.2.1  0.3 ms\n 2  192.0.2.9  0.5 ms\n"
    result = parse_text(text, source="t.txt")
    assert [(e.line, e.message) for e in result.errors] == [
        (1, "not a traceroute line: '$ ping 192.0.2.9'")
    ]
    assert "command" not in result.traces[0].meta


# --- mtr's curses screen ------------------------------------------------------------------

CURSES = """\
~$ mtr -zn -c 10 192.0.2.9
                             My traceroute  [v0.93]
gorkov-me (172.17.0.14)                                2021-11-27T10:26:12+0000
Keys:  Help   Display mode   Restart statistics   Order of fields   quit
                                       Packets               Pings
 Host                                Loss%   Snt   Last   Avg  Best  Wrst StDev
 1. AS64500  198.51.100.66            0.0%    11    0.2   0.2   0.2   0.3   0.0
 2. AS64501  203.0.113.185            0.0%    11    0.7   2.1   0.6  14.7   4.2
 3. AS64502  192.0.2.9                0.0%    10    1.3   1.3   1.3   1.3   0.0
"""


def test_mtr_curses_screen_lines_are_known_preamble() -> None:
    result = parse_text(CURSES, source="m.txt")
    assert result.ok, result.errors
    [trace] = result.traces
    assert trace.format == "mtr-report"
    assert trace.ip_path == (("198.51.100.66",), ("203.0.113.185",), ("192.0.2.9",))
    assert (trace.src, trace.dst, trace.reached) == ("172.17.0.14", "192.0.2.9", True)
    assert trace.started is not None and trace.started.isoformat() == "2021-11-27T10:26:12+00:00"
    assert trace.meta["command"] == "mtr -zn -c 10 192.0.2.9"
    assert trace.meta["mtr_version"] == "0.93" and trace.meta["src_host"] == "gorkov-me"
    assert "dst_inferred" not in trace.meta  # the command named the target


def test_mtr_screen_without_command_and_an_old_date() -> None:
    text = CURSES.split("\n", 1)[1].replace("2021-11-27T10:26:12+0000", "Sat Nov 27 10:26:12 2021")
    [trace] = parse_text(text, source="m.txt").traces
    assert trace.meta["start"] == "Sat Nov 27 10:26:12 2021"  # no zone: not a time
    assert trace.dst == "192.0.2.9" and trace.meta["dst_inferred"] is True
