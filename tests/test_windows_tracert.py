"""Windows tracert in several languages: hops, addresses, RTTs, flags, errors, detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from topo.inputs import decode_bytes, read_input
from topo.parsers import ParseResult, detect_format, windows_tracert

from .conftest import DATA

SIDE_FILES = (".expected.json", ".cmd", ".truth.json", ".md")


def parse(text: str) -> ParseResult:
    return ParseResult.collect(windows_tracert.parse(text, source="t.txt"))


def test_english_names_timeouts_and_upper_bounds() -> None:
    result = parse(
        "Tracing route to dns.google [8.8.8.8]\n"
        "over a maximum of 30 hops:\n\n"
        "  1    <1 ms    <1 ms     2 ms  router.home [192.168.1.1]\n"
        "  2     *        *        *     Request timed out.\n"
        "  3    12 ms     *       11 ms  core.example.net [203.0.113.5]\n"
        "  4    14 ms    13 ms    13 ms  dns.google [8.8.8.8]\n\n"
        "Trace complete.\n"
    )
    assert result.ok
    [trace] = result.traces
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]
    assert trace.ip_path == (("192.168.1.1",), (), ("203.0.113.5",), ("8.8.8.8",))
    assert [r.rtt_ms for r in trace.hops[0].replies] == [1.0, 1.0, 2.0]
    assert trace.hops[0].replies[0].name == "router.home"
    assert [r.addr for r in trace.hops[2].replies] == ["203.0.113.5", None, "203.0.113.5"]
    assert trace.meta["rtt_upper_bounds"] == [[1, 1], [1, 2]]
    assert trace.meta["max_hops"] == 30 and trace.meta["complete"] is True
    assert (trace.dst, trace.dst_name, trace.reached, trace.protocol) == (
        "8.8.8.8",
        "dns.google",
        True,
        "icmp",
    )


def test_one_line_header_and_reports_lines_become_flags() -> None:
    [trace] = parse(
        "Tracing route to 10.42.0.19 over a maximum of 30 hops\n\n"
        "  1    52 ms     6 ms     1 ms  hub.example [192.168.200.1]\n"
        "  2  SCOTT-P5QC [192.168.1.102]  reports: Destination protocol unreachable.\n"
        "  3  192.168.1.1  reports: Destination host unreachable.\n"
        "  4  192.168.1.1  reports: Something new.\n"
    ).traces
    assert trace.dst == "10.42.0.19" and trace.dst_name is None and trace.reached is False
    [protocol] = trace.hops[1].replies
    assert (protocol.addr, protocol.name, protocol.rtt_ms, protocol.flags) == (
        "192.168.1.102",
        "SCOTT-P5QC",
        None,
        ("!P",),
    )
    assert trace.hops[2].replies[0].flags == ("!H",)
    assert trace.hops[3].replies[0].flags == ()
    assert trace.meta["hop_messages"] == {"4": "Something new."}


def test_japanese_cp932_bytes_through_the_decoder() -> None:
    text = (
        "apache-svr [10.0.3.6] へのルートをトレースしています\r\n"
        "経由するホップ数は最大 30 です:\r\n\r\n"
        "  1    <1 ms     1 ms     1 ms  10.0.2.1\r\n"
        "  2     *        *        *     要求がタイムアウトしました。\r\n"
        "  3     1 ms    <1 ms    <1 ms  apache-svr [10.0.3.6]\r\n\r\n"
        "トレースを完了しました。\r\n"
    )
    decoded = decode_bytes(text.encode("cp932"))
    assert decoded.encoding == "cp932"
    assert detect_format(decoded.text).NAME == "windows-tracert"
    [trace] = parse(decoded.text).traces
    assert trace.ip_path == (("10.0.2.1",), (), ("10.0.3.6",))
    assert trace.meta["language"] == "ja" and trace.meta["complete"] is True
    assert trace.dst_name == "apache-svr" and trace.reached is True


def test_ipv6_zone_and_localised_unit() -> None:
    [trace] = parse(
        "Трассировка маршрута к 2001:db8::9 с максимальным числом прыжков 30\n"
        "  1    <1 мс    <1 мс    <1 мс  fe80::1%12\n"
        "  2     5 мс     4 мс     4 мс  2001:db8::9\n"
    ).traces
    assert trace.ip_path == (("fe80::1%12",), ("2001:db8::9",))
    assert trace.meta["language"] == "ru" and trace.meta["max_hops"] == 30
    assert trace.reached is True


def test_unknown_language_header_and_footer() -> None:
    [trace] = parse(
        "Sledování trasy k www.example.cz [192.0.2.80]\n"
        "s nejvýše 30 směrovači:\n"
        "  1    <1 ms    <1 ms    <1 ms  192.0.2.1\n"
        "  2     9 ms     9 ms     9 ms  www.example.cz [192.0.2.80]\n"
        "Trasování bylo dokončeno.\n"
    ).traces
    assert (trace.dst, trace.dst_name, trace.meta["max_hops"]) == (
        "192.0.2.80",
        "www.example.cz",
        30,
    )
    assert trace.meta["complete"] is True and trace.reached is True


def test_several_runs_prompts_and_unresolved_target() -> None:
    result = parse(
        "C:\\>tracert -d 192.0.2.9\n"
        "Tracing route to 192.0.2.9 over a maximum of 30 hops\n"
        "  1     1 ms     1 ms     1 ms  192.0.2.9\n"
        "Trace complete.\n"
        "C:\\>tracert nosuch.invalid\n"
        "Unable to resolve target system name nosuch.invalid.\n"
        "C:\\>tracert 192.0.2.7\n"
        "Tracing route to 192.0.2.7 over a maximum of 30 hops\n"
        "  1     2 ms     2 ms     2 ms  192.0.2.7\n"
        "C:\\>\n"
    )
    assert [t.dst for t in result.traces] == ["192.0.2.9", "192.0.2.7"]
    assert result.traces[0].meta["command"] == "tracert -d 192.0.2.9"
    assert "complete" not in result.traces[1].meta
    [error] = result.errors
    assert error.line == 6 and "nosuch.invalid" in error.message


def test_junk_line_in_the_middle_and_truncated_file() -> None:
    result = parse(
        "Tracing route to 192.0.2.9 over a maximum of 30 hops\n"
        "  1     1 ms     1 ms     1 ms  192.0.2.1\n"
        "garbage: this is not tracert 42\n"
        "  2     3 ms     3 ms  RTT-without-address\n"
        "  3     5 ms     5 ms     5 ms  192.0.2.9\n"
        "  4     6 ms  "
    )
    assert [e.line for e in result.errors] == [3, 4, 6]
    [trace] = result.traces
    assert [h.ttl for h in trace.hops] == [1, 3]
    assert trace.ip_path == (("192.0.2.1",), ("192.0.2.9",))


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


@pytest.mark.parametrize(("folder", "text"), _golden_texts(), ids=str)
def test_sniff_only_accepts_tracert(folder: str, text: str) -> None:
    assert windows_tracert.sniff(text) is (folder == "windows-tracert")


def test_encodings_of_the_golden_files() -> None:
    folder = Path(DATA / "windows-tracert")
    encodings = {p.name: read_input(str(p)).encoding for p in folder.glob("*.txt")}
    assert encodings["ja-cmd-cp932.txt"] == "cp932"
    assert encodings["de-powershell-utf16.txt"].startswith("utf-16")
    assert encodings["en-cmd-utf8.txt"] == "utf-8"
