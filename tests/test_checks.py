"""One rule for addresses, RTTs, TTLs and numbers, the same on every road (issue 25).

Each hostile value is put into a real trace of a text format and of a JSON format; the
parse road (``read_traces``, what ``topo parse`` reads) and the build road (``analyze`` in
one process and in worker processes, what ``topo build`` reads) must give the same traces
and the same errors, each error at its file and line, and never raise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from topo import analyze
from topo.engines import OneProcess, Processes
from topo.inputs import read_traces
from topo.parsers import ParseResult
from topo.parsers.checks import MAX_RTT_MS, canonical_address

DATA = Path(__file__).parent / "data"
TEXT = (DATA.parent.parent / "samples" / "aws-osaka-tokyo" / "traceroute.txt").read_text()
ATLAS = json.loads((DATA / "ripe-atlas" / "array-v4-v6.json").read_text())

BAD_ADDRESSES = [
    "256.256.256.256", "01.02.03.004", "0x7f.0.0.1", "1.2.3", "1.1.1.1/24", "999.1.1.1",
    "-1.-1.-1.-1", "2001:db8::g", "\u0661.1.1.1", "1.1.1.1\u200b",
]  # fmt: skip
BAD_RTTS = ["inf", "-inf", "1e309", "NaN", "-5", str(MAX_RTT_MS * 10)]


def _roads(path: Path) -> list[tuple[list[str], list[str]]]:
    """(trace origins, errors) as the parse road and both build engines see ``path``."""
    parsed = ParseResult.collect(read_traces([path]))
    outcomes = [(sorted(str(t.origin) for t in parsed.traces), sorted(map(str, parsed.errors)))]
    for engine in (OneProcess(), Processes(2)):
        topology = analyze([path], engine=engine)
        traces = sorted(str(o) for o in topology.graph.graph.get("trace_paths", {}))
        outcomes.append((traces, sorted(map(str, topology.errors))))
    return outcomes


def _atlas_with(tmp_path: Path, key: str, value: object) -> Path:
    results = json.loads(json.dumps(ATLAS))
    results[0]["result"][0]["result"][0][key] = value
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(results, allow_nan=True))
    return path


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_a_bad_address_is_one_error_on_every_road(tmp_path: Path, bad: str) -> None:
    text = tmp_path / "t.txt"
    text.write_text(TEXT.replace("15.230.26.193", bad, 1))
    atlas = _atlas_with(tmp_path, "from", bad)
    for path in (text, atlas):
        outcomes = _roads(path)
        assert all(o == outcomes[0] for o in outcomes), (path, outcomes)
        traces, errors = outcomes[0]
        assert errors and all(e.startswith(f"{path}") for e in errors)
        if path == atlas:
            assert len(traces) == len(ATLAS) - 1  # the other results are kept
            assert errors == [f"{path}: result 1: hop 1: not an IP address: {bad!r}"]


@pytest.mark.parametrize("bad", BAD_RTTS)
def test_an_rtt_that_is_not_a_sane_number_is_one_error(tmp_path: Path, bad: str) -> None:
    text = tmp_path / "t.txt"
    text.write_text(re.sub(r"2\.379 ms", f"{bad} ms", TEXT, count=1))
    atlas = _atlas_with(tmp_path, "rtt", float(bad))
    for path in (text, atlas):
        outcomes = _roads(path)
        assert all(o == outcomes[0] for o in outcomes), (path, outcomes)
        assert outcomes[0][1], f"{bad} in {path.name} was accepted"
    [error] = _roads(atlas)[0][1]
    assert f"an RTT of {float(bad)!r} ms" in error and error.startswith(f"{atlas}: result 1")


def test_ipv6_is_written_in_its_canonical_form() -> None:
    assert canonical_address("2001:DB8:0:0::1") == "2001:db8::1"
    assert canonical_address("fe80::1%eth0") == "fe80::1%eth0"


@pytest.mark.parametrize("sample", ["ripe-atlas/array-v4-v6.json", "mtr-json/json_ipv6_tcp_n.json"])
def test_numbers_of_thousands_of_digits_are_one_error(tmp_path: Path, sample: str) -> None:
    text = (DATA / sample).read_text()
    key = re.search(r'"(rtt|Avg)":\s*', text)
    assert key is not None
    path = tmp_path / "big.json"
    path.write_text(text[: key.end()] + "9" * 5000 + ', "x": ' + text[key.end() :])
    for traces, errors in _roads(path):
        assert not traces
        assert errors == [f"{path}:1: invalid JSON: a number of 5,000 digits (at most 40)"]


@pytest.mark.parametrize(
    "name", ["trace_icmp_paris_json.json", "tracelb_silent_hop.json"], ids=["trace", "tracelb"]
)
def test_a_huge_ttl_does_not_make_a_hop_per_ttl(tmp_path: Path, name: str) -> None:
    """A TTL of 10^23 once made a hop for every TTL up to it (minutes, gigabytes)."""
    text = (DATA / "scamper-json" / name).read_text()
    key = '"probe_ttl":' if '"probe_ttl":' in text else '"replyc":1, "ttl":'  # a probe's
    index = text.index(key, text.index(key) + 1)
    end = re.compile(r"\d+").match(text, index + len(key)).end()  # type: ignore[union-attr]
    path = tmp_path / name
    path.write_text(text[: index + len(key)] + "99999999999999999999999" + text[end:])
    for traces, errors in _roads(path):
        assert len(traces) == 1
        assert any("99999999999999999999999" in e and "255" in e for e in errors), errors
    [trace] = ParseResult.collect(read_traces([path])).traces
    assert max(h.ttl for h in trace.hops) < 64


@pytest.mark.parametrize("seconds", [10**30, -(10**12), 1e300])
def test_a_start_time_no_clock_can_show_is_left_out(tmp_path: Path, seconds: float) -> None:
    """A timestamp past year 9999 raised OSError (EOVERFLOW) from the scamper parser."""
    scamper = (DATA / "scamper-json" / "tracelb_mesh.json").read_text()
    scamper = re.sub(r'"start":\{"sec":\d+', f'"start":{{"sec":{seconds}', scamper, count=1)
    atlas = json.loads(json.dumps(ATLAS))
    atlas[0]["timestamp"] = seconds
    for name, text in (("s.json", scamper), ("a.json", json.dumps(atlas))):
        path = tmp_path / name
        path.write_text(text)
        outcomes = _roads(path)
        assert all(o == outcomes[0] for o in outcomes) and outcomes[0][0], outcomes
        first = ParseResult.collect(read_traces([path])).traces[0]
        assert first.started is None


def test_a_number_of_thousands_of_digits_in_text_skips_its_line(tmp_path: Path) -> None:
    """Each text parser converted such numbers with int() (ValueError past 4,300 digits)."""
    for sample in sorted(p for p in DATA.glob("*/*") if p.is_file()):
        if sample.suffix in {".md", ".json", ".jsonl", ".cmd", ".warts", ".gz", ".bz2", ".xz"}:
            continue
        try:
            text = sample.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # (UTF-16 and legacy code pages: the same rule, another test's encoding)
        lines = text.splitlines(keepends=True)
        spot = next((i for i, line in enumerate(lines) if re.search(r"\d", line)), None)
        if spot is None:
            continue
        lines[spot] = re.sub(r"\d+", "9" * 5000, lines[spot], count=1)
        path = tmp_path / sample.name
        path.write_text("".join(lines), encoding="utf-8")
        outcomes = _roads(path)
        assert all(o == outcomes[0] for o in outcomes), (sample, outcomes)
        first = f"{path}:{spot + 1}: a number of 5,000 digits (at most 40); line skipped"
        assert first in outcomes[0][1], (sample, outcomes[0][1][:3])
