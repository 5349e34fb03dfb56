"""Every available traceroute tool, run live in the lab, parsed by topo, checked against truth.

Two test beds: kernel routers in network namespaces (``chain_spec``: public, CGNAT, Class E)
and the path simulator (per-hop RTTs, a silent hop, an MPLS label stack). For each tool and
output format the raw output is written to a file, read back through ``topo.inputs`` with
format detection, and the parsed hops are compared with what the bed was built to answer:
addresses per TTL, silent TTLs, RTTs no lower than configured (simulator), MPLS labels
(tools that decode RFC 4950 extensions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.lab.netns import Lab
from tests.support.lab.simulator import SimulatedPath
from tests.support.lab.topology import chain_spec
from tests.support.tools import require_tool
from topo.inputs import read_traces
from topo.model import Trace
from topo.parsers import ParseResult

from ..test_golden_truth import check_against_truth

pytestmark = pytest.mark.lab

SIM_DST = "198.51.100.77"
#: TTL -> (address or None when silent, configured RTT in ms, MPLS labels)
SIM_HOPS: list[tuple[str | None, float, list[int]]] = [
    ("13.208.0.67", 2.0, []),
    ("15.230.24.168", 4.0, []),
    ("100.65.1.9", 8.0, [299808, 24005]),
    (None, 0.0, []),
    ("240.1.52.17", 14.0, [24005]),
    ("15.230.154.163", 16.0, []),
]
SIM_SPEC = {
    "destination": {"address": SIM_DST, "rtt_ms": 18.0, "tcp": "rst"},
    "hops": [
        None
        if addr is None
        else {"address": addr, "rtt_ms": rtt, "mpls": [{"label": label} for label in labels]}
        for addr, rtt, labels in SIM_HOPS
    ],
}


@dataclass(frozen=True)
class Tool:
    """A tool run: its argv (``{dst}`` filled in), the format topo must detect, what it shows."""

    key: str
    argv: tuple[str, ...]
    expected_format: str
    suffix: str = ".txt"
    decodes_mpls: bool = False
    per_probe_rtts: bool = True

    @property
    def binary(self) -> str:
        return self.argv[0]

    def command(self, dst: str, out: Path) -> list[str]:
        return [part.format(dst=dst, out=out) for part in self.argv]


TOOLS = [
    Tool("traceroute-n", ("traceroute.db", "-n", "-w", "1", "-q", "3", "-m", "10", "{dst}"),
         "linux-traceroute"),
    Tool("traceroute-e", ("traceroute.db", "-e", "-n", "-w", "1", "-q", "2", "-m", "10", "{dst}"),
         "linux-traceroute", decodes_mpls=True),
    Tool("traceroute-I", ("traceroute.db", "-I", "-n", "-w", "1", "-q", "2", "-m", "10", "{dst}"),
         "linux-traceroute"),
    Tool("inetutils", ("inetutils-traceroute", "-w", "1", "-q", "2", "-m", "10", "{dst}"),
         "inetutils-traceroute"),
    Tool("tracepath", ("tracepath", "-n", "-m", "10", "{dst}"), "tracepath"),
    Tool("mtr-report", ("mtr", "-n", "-c", "2", "-i", "0.2", "-m", "10", "--report", "{dst}"),
         "mtr-report", per_probe_rtts=False),
    Tool("mtr-json", ("mtr", "-n", "-c", "2", "-i", "0.2", "-m", "10", "--json", "{dst}"),
         "mtr-json", ".json", per_probe_rtts=False),
    Tool("mtr-csv", ("mtr", "-n", "-c", "2", "-i", "0.2", "-m", "10", "--csv", "{dst}"),
         "mtr-csv", ".csv", per_probe_rtts=False),
    Tool("mtr-xml", ("mtr", "-n", "-c", "2", "-i", "0.2", "-m", "10", "--xml", "{dst}"),
         "mtr-xml", ".xml", per_probe_rtts=False),
    Tool("mtr-raw", ("mtr", "-n", "-c", "2", "-i", "0.2", "-m", "10", "--raw", "{dst}"),
         "mtr-raw"),
    Tool("scamper-json", ("scamper", "-O", "json", "-c", "trace -w 1 -q 1", "-i", "{dst}"),
         "scamper-json", ".json", decodes_mpls=True),
    Tool("scamper-warts", ("scamper", "-O", "warts", "-o", "{out}", "-c", "trace -w 1 -q 1",
                           "-i", "{dst}"), "scamper-warts", ".warts", decodes_mpls=True),
]  # fmt: skip


def _run_tool(
    tool: Tool, runner: Callable[[list[str]], Any], dst: str, tmp_path: Path
) -> list[Trace]:
    require_tool(tool.binary)
    out = tmp_path / f"{tool.key}{tool.suffix}"
    result = runner(tool.command(dst, out))
    assert result.returncode == 0, result.stderr
    if "{out}" not in tool.argv:
        out.write_text(result.stdout, encoding="utf-8")
    parsed = ParseResult.collect(read_traces([out]))
    assert parsed.ok, [str(e) for e in parsed.errors]
    assert parsed.traces, f"{tool.key}: no trace parsed from {out.read_bytes()[:200]!r}"
    for trace in parsed.traces:
        assert trace.format == tool.expected_format
    return parsed.traces


@pytest.fixture(scope="module")
def kernel_lab() -> Iterator[Lab]:
    with Lab(chain_spec()) as lab:
        yield lab


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatedPath]:
    with SimulatedPath(SIM_SPEC) as sim:
        yield sim


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.key)
def test_tool_against_kernel_routers(tool: Tool, kernel_lab: Lab, tmp_path: Path) -> None:
    dst = kernel_lab.addr("dst")
    truth = kernel_lab.truth("src", dst).to_dict()
    traces = _run_tool(tool, lambda argv: kernel_lab.exec("src", argv, timeout=120), dst, tmp_path)
    for trace in traces:
        check_against_truth(trace, truth)
        assert trace.destination_responded or any(
            r.name == "dst.example.net" for h in trace.hops for r in h.replies
        )


def _simulator_truth() -> dict[str, Any]:
    hops = [
        {"ttl": ttl, "addrs": [] if addr is None else [addr], "silent": addr is None,
         "destination": False, "names": {}}
        for ttl, (addr, _, _) in enumerate(SIM_HOPS, start=1)
    ]  # fmt: skip
    hops.append({"ttl": len(SIM_HOPS) + 1, "addrs": [SIM_DST], "silent": False,
                 "destination": True, "names": {}})  # fmt: skip
    return {"dst": SIM_DST, "hops": hops}


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.key)
def test_tool_against_simulator(tool: Tool, simulator: SimulatedPath, tmp_path: Path) -> None:
    traces = _run_tool(tool, lambda argv: simulator.run(argv, timeout=120), SIM_DST, tmp_path)
    configured = {ttl: (rtt, labels) for ttl, (_, rtt, labels) in enumerate(SIM_HOPS, start=1)}
    configured[len(SIM_HOPS) + 1] = (18.0, [])
    for trace in traces:
        check_against_truth(trace, _simulator_truth())
        assert trace.destination_responded
        for hop in trace.hops:
            if hop.is_silent:
                continue
            rtt, labels = configured[hop.ttl]
            measured = list(hop.rtts)
            if not tool.per_probe_rtts and hop.stats is not None and hop.stats.best is not None:
                measured.append(hop.stats.best)
            assert measured, f"{tool.key}: TTL {hop.ttl} has no RTT"
            # every probe well under the delay plus 50 ms of load; at least one probe at the
            # delay (a tool that reads its clock after sendto() returns reads a probe short
            # by the time it was descheduled in between, as inetutils did under load)
            assert all(value < rtt + 50 for value in measured), (hop.ttl, measured)
            assert max(measured) >= rtt - 0.5, (hop.ttl, measured)
            if tool.decodes_mpls:
                seen = {tuple(m.label for m in r.mpls) for r in hop.replies if r.addr}
                assert seen == {tuple(labels)}, f"TTL {hop.ttl}: labels {seen}, want {labels}"
