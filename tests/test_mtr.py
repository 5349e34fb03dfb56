"""The five mtr parsers: report, JSON, CSV, raw and XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from topo.errors import ParseError
from topo.model import Trace
from topo.parsers import PARSERS, detect_format, mtr_csv, mtr_json, mtr_raw, mtr_report, mtr_xml
from topo.parsers.base import ParseResult

from .conftest import DATA

MTR = (mtr_report, mtr_json, mtr_csv, mtr_raw, mtr_xml)
SIDE = (".expected.json", ".cmd", ".truth.json", ".md")
ECMP_PATH = (
    ("192.168.1.1",),
    ("100.64.0.2",),
    ("13.208.0.2",),
    ("13.208.2.2",),
    ("240.0.2.2",),
    (),
    ("13.209.0.10",),
)


def _read(folder: str, name: str) -> str:
    return (DATA / folder / name).read_text(encoding="utf-8")


def _one(module: object, text: str, source: str = "t") -> tuple[Trace, list[ParseError]]:
    result = ParseResult.collect(module.parse(text, source=source))  # type: ignore[attr-defined]
    assert len(result.traces) == 1, result
    return result.traces[0], result.errors


def _inputs(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(SIDE)]


# -- mtr-report ------------------------------------------------------------------------


def test_report_captured_ecmp_lab() -> None:
    trace, errors = _one(mtr_report, _read("mtr-report", "report_n.txt"))
    assert not errors
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4, 5, 6, 7]
    assert trace.ip_path == ECMP_PATH
    assert trace.dst == "13.209.0.10" and trace.reached is True
    assert trace.meta["dst_inferred"] is True and trace.meta["src_host"] == "vm"
    assert trace.src is None  # HOST: is the local host name, never the target
    assert trace.started is not None and trace.started.isoformat() == "2026-11-29T10:42:02+00:00"
    first, silent = trace.hops[0], trace.hops[5]
    assert first.replies[0].rtt_ms is None
    assert first.stats is not None and (first.stats.sent, first.stats.loss) == (3, 0.0)
    assert (first.stats.avg, first.stats.best, first.stats.worst) == (0.1, 0.1, 0.1)
    assert silent.is_silent and silent.stats is not None and silent.stats.loss == 100.0
    assert silent.stats.avg is None  # mtr's 0.0 for a hop nobody answered is not a time


def test_report_ecmp_continuation_line() -> None:
    trace, errors = _one(mtr_report, _read("mtr-report", "report_udp_ecmp_n.txt"))
    assert not errors
    assert trace.hops[3].addresses == ("13.208.2.2", "13.208.1.2")
    assert trace.hops[3].stats is not None and trace.hops[3].stats.sent == 6


def test_report_names_only_are_not_anonymous() -> None:
    trace, _ = _one(mtr_report, _read("mtr-report", "report_names.txt"))
    first = trace.hops[0].replies[0]
    assert (first.addr, first.name) == (None, "gw.home.lan")
    assert trace.meta["unresolved_names"][0] == {"ttl": 1, "name": "gw.home.lan"}
    assert trace.hops[2].addresses == ("13.208.0.2",)
    assert trace.dst is None and trace.reached is True


def test_report_b_cut_host_keeps_the_name() -> None:
    trace, _ = _one(mtr_report, _read("mtr-report", "report_b_names.txt"))
    assert trace.hops[0].replies[0].addr == "192.168.1.1"
    assert trace.hops[0].replies[0].name == "gw.home.lan"
    cut = trace.hops[1].replies[0]
    assert (cut.addr, cut.name) == (None, "cgnat.isp.example")  # "(100.64" was cut
    assert {"ttl": 2, "text": "cgnat.isp.example (100.64"} in trace.meta["truncated_hosts"]


def test_report_columns_by_name() -> None:
    trace, errors = _one(mtr_report, _read("mtr-report", "report_o_all_n.txt"))
    assert not errors
    assert trace.meta["columns"][:4] == ["Loss%", "Drop", "Rcv", "Snt"]
    silent = trace.hops[5]
    assert silent.stats is not None and (silent.stats.sent, silent.stats.loss) == (3, 100.0)
    assert trace.meta["extra_stats"][5] == {
        "ttl": 6, "Drop": 3, "Rcv": 0, "Gmean": 0.0, "Jttr": 0.0, "Javg": 0.0, "Jmax": 0.0,
        "Jint": 0.0,
    }  # fmt: skip


def test_report_old_tree_layout_mpls_and_unreached() -> None:
    trace, errors = _one(mtr_report, _read("mtr-report", "old_tree_ecmp_mpls.txt"))
    assert not errors
    assert trace.hops[2].addresses == ("198.51.100.17", "198.51.100.21", "198.51.100.25")
    main, alt = trace.hops[3].replies
    assert [m.label for m in main.mpls] == [24001] and [m.label for m in alt.mpls] == [24002]
    assert trace.hops[6].stats is not None and trace.hops[6].stats.avg == 2520.0
    assert trace.reached is False and trace.dst is None
    assert trace.started is None and trace.meta["start"] == "Thu Nov 25 15:15:20 2021"


def test_report_ipinfo_and_two_reports() -> None:
    result = ParseResult.collect(
        mtr_report.parse(_read("mtr-report", "ipinfo_z_two_runs.txt"), source="z")
    )
    assert not result.errors
    first, second = result.traces
    assert first.hops[1].addresses == ("198.51.100.9", "198.51.100.13")
    assert first.hops[1].replies[0].asn == (64500,) and first.hops[0].replies[0].asn == ()
    assert first.hops[1].replies[1].mpls[0].ttl == 254
    assert second.origin is not None and second.origin.line == 8
    assert second.reached is False


def test_report_junk_line_in_the_middle() -> None:
    lines = _read("mtr-report", "report_n.txt").splitlines()
    lines.insert(4, "$ some pasted shell prompt")
    lines[6] = "  4.|-- 13.208.2.2   zero%  3  x  y  z  w  v"
    trace, errors = _one(mtr_report, "\n".join(lines))
    assert [e.line for e in errors] == [5, 7]
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 5, 6, 7]
    assert trace.hops[-1].addresses == ("13.209.0.10",)


def test_report_truncated_file() -> None:
    text = _read("mtr-report", "report_n.txt")
    trace, errors = _one(mtr_report, text[: text.index("  5.|--") + 20])
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]
    assert [e.line for e in errors] == [7]


# -- mtr-json --------------------------------------------------------------------------


def test_json_captured() -> None:
    trace, errors = _one(mtr_json, _read("mtr-json", "json_n.json"))
    assert not errors
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4, 5, 6, 7]
    assert trace.ip_path == ECMP_PATH
    assert trace.dst == "13.209.0.10" and trace.reached is True and "dst_inferred" not in trace.meta
    assert trace.meta["tests"] == 3 and trace.meta["src_host"] == "vm"
    stats = trace.hops[0].stats
    assert stats is not None and (stats.last, stats.avg, stats.best, stats.worst) == (
        0.083, 0.083, 0.083, 0.085,
    )  # fmt: skip


def test_json_old_layout_strings_asn_and_names() -> None:
    trace, errors = _one(mtr_json, _read("mtr-json", "mtr092_strings_asn.json"))
    assert not errors
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]
    assert trace.hops[1].replies[0].name == "edge1.isp.example"
    assert trace.hops[1].replies[0].asn == (64500,)
    assert trace.dst_name == "example.net" and trace.dst == "203.0.113.80"
    assert trace.meta["dst_inferred"] is True and trace.meta["tests"] == "10"


def test_json_several_documents_and_a_bad_one() -> None:
    two = _read("mtr-json", "two_runs_o_columns.json").splitlines()
    text = "\n".join([two[0], "{not json", two[1]])
    result = ParseResult.collect(mtr_json.parse(text, source="j"))
    assert [e.line for e in result.errors] == [2]
    assert [t.dst for t in result.traces] == ["203.0.113.80", "203.0.113.99"]
    assert result.traces[1].reached is False
    assert result.traces[0].hops[1].stats is not None
    assert result.traces[0].hops[1].stats.loss == 25.0
    assert result.traces[0].meta["extra_stats"][1]["Drop"] == 1


def test_json_bad_hub_is_reported_and_skipped() -> None:
    text = '{"report": {"mtr": {"dst": "192.0.2.9"}, "hubs": [{"count": 1, "host": "192.0.2.1"},'
    text += ' 7, {"count": 3, "host": "192.0.2.9"}]}}'
    trace, errors = _one(mtr_json, text)
    assert [h.ttl for h in trace.hops] == [1, 3]
    assert len(errors) == 1 and "hub 2" in errors[0].message


def test_json_truncated() -> None:
    text = _read("mtr-json", "json_n.json")
    result = ParseResult.collect(mtr_json.parse(text[:400], source="j"))
    assert not result.traces and len(result.errors) == 1


# -- mtr-csv ---------------------------------------------------------------------------


def test_csv_captured() -> None:
    trace, errors = _one(mtr_csv, _read("mtr-csv", "csv_n.csv"))
    assert not errors
    assert trace.ip_path == ECMP_PATH
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4, 5, 6, 7]
    assert trace.started is not None and trace.started.isoformat() == "2026-11-29T10:42:53+00:00"
    assert trace.meta["mtr_version"] == "0.95" and trace.reached is True
    assert trace.hops[0].stats is not None and trace.hops[0].stats.best == 0.07


def test_csv_appended_runs() -> None:
    result = ParseResult.collect(
        mtr_csv.parse(_read("mtr-csv", "appended_runs_asn.csv"), source="c")
    )
    assert not result.errors
    first, second = result.traces
    assert first.hops[0].replies[0].asn == () and first.hops[1].replies[0].asn == (64500,)
    assert first.hops[3].replies[0].name == "www.example.net"
    assert (first.dst, first.dst_name, first.reached) == ("203.0.113.80", "example.net", True)
    assert second.origin is not None and second.origin.line == 6 and second.reached is False


def test_csv_junk_and_headerless_rows() -> None:
    rows = _read("mtr-csv", "csv_n.csv").splitlines()[1:]
    rows.insert(2, "prefix,org,country")
    rows[4] = rows[4].replace(",3,", ",x,", 1).replace(",4,", ",x,", 1)
    trace, errors = _one(mtr_csv, "\n".join(rows))
    assert [e.line for e in errors] == [3, 5]
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 5, 6, 7]  # hop 4 lost its number


# -- mtr-raw ---------------------------------------------------------------------------


def test_raw_captured_rtts_and_silent_probes() -> None:
    trace, errors = _one(mtr_raw, _read("mtr-raw", "raw_n.txt"))
    assert not errors
    assert trace.ip_path == ECMP_PATH
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4, 5, 6, 7]  # position 0 is TTL 1
    assert trace.hops[0].rtts == (0.09, 0.084, 0.092)  # microseconds -> ms
    assert [r.addr for r in trace.hops[5].replies] == [None, None, None]
    assert trace.dst == "13.209.0.10" and trace.reached is True
    assert trace.meta["dropped_after_destination"] == 1


def test_raw_ecmp_each_reply_has_its_address() -> None:
    trace, _ = _one(mtr_raw, _read("mtr-raw", "raw_udp_ecmp_n.txt"))
    hop4 = trace.hops[3]
    assert [r.addr for r in hop4.replies] == [
        "13.208.2.2", "13.208.1.2", "13.208.2.2", "13.208.2.2", "13.208.2.2", "13.208.1.2",
    ]  # fmt: skip
    assert hop4.replies[1].rtt_ms == 0.148
    assert set(trace.hops[4].addresses) == {"240.0.1.2", "240.0.2.2"}


def test_raw_names_and_old_stream() -> None:
    trace, _ = _one(mtr_raw, _read("mtr-raw", "raw_names.txt"))
    assert trace.hops[0].replies[0].name == "gw.home.lan"
    assert trace.hops[2].replies[0].name is None  # "d 2 13.208.0.2": no name
    old, errors = _one(mtr_raw, _read("mtr-raw", "old_no_seq.txt"))
    assert not errors
    assert old.ip_path == (("192.0.2.1",), ("198.51.100.9",), ("203.0.113.80",))
    assert old.hops[2].rtts == (12.03, 11.8)


def test_raw_junk_line_and_unreached() -> None:
    text = "x 0 1\nh 0 192.0.2.1\np 0 500 1\nhello world\nx 1 2\nx 2 3\nh 2 192.0.2.7\n"
    text += "p 2 900 3\nx 3 4\nx 4 5\nx 5 6\n"
    trace, errors = _one(mtr_raw, text)
    assert [e.line for e in errors] == [4]
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4]  # one silent position after the last
    assert trace.hops[1].is_silent and trace.reached is False and trace.dst is None


def test_raw_reply_before_address_is_an_error() -> None:
    trace, errors = _one(mtr_raw, "x 0 1\np 0 500 1\nx 1 2\nh 1 192.0.2.9\np 1 700 2\n")
    assert [e.line for e in errors] == [2]
    assert trace.hops[0].is_silent and trace.hops[1].rtts == (0.7,)


# -- mtr-xml ---------------------------------------------------------------------------


def test_xml_captured() -> None:
    trace, errors = _one(mtr_xml, _read("mtr-xml", "xml_n.xml"))
    assert not errors
    assert trace.ip_path == ECMP_PATH
    assert [h.ttl for h in trace.hops] == [1, 2, 3, 4, 5, 6, 7]
    assert trace.meta["psize"] == 64 and trace.reached is True
    assert trace.hops[5].stats is not None and trace.hops[5].stats.loss == 100.0


def test_xml_old_unquoted_and_loss_percent() -> None:
    trace, errors = _one(mtr_xml, _read("mtr-xml", "mtr08x_unquoted.xml"))
    assert not errors
    assert trace.ip_path == (("192.0.2.1",), (), ("203.0.113.80",))
    assert trace.hops[0].stats is not None and trace.hops[0].stats.loss == 0.0
    named, _ = _one(mtr_xml, _read("mtr-xml", "loss_percent_tag_names.xml"))
    assert (
        named.dst_name == "www.example.net" and named.hops[2].replies[0].name == "www.example.net"
    )


def test_xml_truncated_keeps_the_hops_before() -> None:
    text = _read("mtr-xml", "xml_n.xml")
    cut = text[: text.index('<HUB COUNT="4"') + 40]
    trace, errors = _one(mtr_xml, cut)
    assert [h.ttl for h in trace.hops] == [1, 2, 3]
    assert [e.line for e in errors] == [30, 31]


def test_xml_bad_hub_in_the_middle() -> None:
    text = _read("mtr-xml", "xml_n.xml").replace('COUNT="2"', 'COUNT="two"')
    trace, errors = _one(mtr_xml, text)
    assert [e.line for e in errors] == [12]
    assert [h.ttl for h in trace.hops] == [1, 3, 4, 5, 6, 7]


# -- detection -------------------------------------------------------------------------


@pytest.mark.parametrize("module", MTR, ids=lambda m: m.NAME)
def test_sniff_accepts_own_and_rejects_other_golden_files(module: object) -> None:
    name = module.NAME  # type: ignore[attr-defined]
    formats = {parser.NAME for parser in PARSERS}
    for folder in sorted(DATA.iterdir()):
        if not folder.is_dir() or folder.name not in formats:  # golden folders only
            continue
        for path in _inputs(folder):
            head = path.read_text(encoding="utf-8", errors="replace")[:65536]
            accepted = module.sniff(head)  # type: ignore[attr-defined]
            assert accepted == (folder.name == name), path


@pytest.mark.parametrize(
    "text",
    [
        "prefix,org,country,asn\n13.208.0.0/16,Amazon,JP,16509\n",
        "traceroute to 13.209.0.10 (13.209.0.10), 30 hops max\n 1  192.168.1.1  0.1 ms\n",
        " 1?: [LOCALHOST]                      pmtu 1500\n 1:  192.168.1.1   0.1ms\n",
        '{"type": "traceroute", "result": []}',
        "<html><body>no</body></html>",
    ],
)
def test_mtr_sniffers_refuse_other_formats(text: str) -> None:
    assert not any(module.sniff(text) for module in MTR)


def test_detection_picks_each_mtr_format() -> None:
    for folder in ("mtr-report", "mtr-json", "mtr-csv", "mtr-raw", "mtr-xml"):
        for path in _inputs(DATA / folder):
            detected = detect_format(path.read_text(encoding="utf-8")).NAME
            assert detected == folder, path


@pytest.mark.parametrize("event", ["p 0 --1 5", "p 0 ² 5", "x 0 ²", "m 0 ² 1 1 1", "p 0 -5"])
def test_raw_numbers_int_cannot_read_are_errors_not_crashes(event: str) -> None:
    """'--1' and '²' pass str.isdigit() but not int(): found by the fuzz test (seed 164)."""
    text = f"h 0 10.0.0.1\nx 0 1\n{event}\np 0 1500 1\n"
    result = ParseResult.collect(mtr_raw.parse(text, source="raw.txt"))
    assert [t.ip_path for t in result.traces] == [(("10.0.0.1",),)]
