"""``topo trace`` live in the lab: kernel routers in namespaces and the path simulator.

Every probe is sent from inside a lab namespace (``ip netns exec``) to an address that the
lab's own namespaces (or the simulator's TUN device) hold; nothing reaches the host.
Results are compared with what the lab was built to answer: the truth TTL by TTL, silent
routers, ECMP branches, configured RTTs and MPLS label stacks, the graph the system
traceroute gives, and the inference on the built page.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from tests.support.lab.netns import Lab
from tests.support.lab.simulator import SimulatedPath
from tests.support.lab.topology import chain_spec, ecmp_spec
from tests.support.tools import require_tool
from topo.inputs import read_traces
from topo.model import Trace
from topo.parsers import ParseResult
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

from ..test_golden_truth import check_against_truth

pytestmark = pytest.mark.lab

#: ``python -c`` running the topo command, ``trace`` registered if the CLI has not yet.
TOPO = [
    sys.executable,
    "-c",
    "from topo.cli import cli, main; from topo.cli.trace import trace; "
    "cli.commands.setdefault('trace', trace); main()",
    "trace",
]
FAST = ["--rate", "400", "--timeout", "1", "-q"]

Runner = Callable[[list[str]], Any]


def topo_trace(run: Runner, out: Path, *args: str) -> list[Trace]:
    """Run ``topo trace ARGS -o OUT`` through ``run`` and read the traces back."""
    result = run([*TOPO, *args, "-o", str(out), *FAST])
    assert result.returncode == 0, result.stderr
    parsed = ParseResult.collect(read_traces([out]))
    assert parsed.ok, [str(e) for e in parsed.errors]
    assert all(t.format == "topo-trace" for t in parsed.traces)
    return parsed.traces


@pytest.fixture(scope="module")
def chain() -> Iterator[Lab]:
    require_tool(*chain_spec().tools())
    with Lab(chain_spec()) as lab:
        yield lab


@pytest.fixture(scope="module")
def ecmp() -> Iterator[Lab]:
    require_tool(*ecmp_spec().tools())
    with Lab(ecmp_spec()) as lab:
        # a fixed ECMP hash seed (Linux 6.11+) makes which flow takes which branch repeatable
        lab.exec("r3", ["sysctl", "-q", "-w", "net.ipv4.fib_multipath_hash_seed=7"])
        yield lab


# -- kernel routers ----------------------------------------------------------------------


@pytest.mark.parametrize("version", [4, 6])
@pytest.mark.parametrize("proto", ["udp", "icmp", "tcp"])
def test_trace_reproduces_the_truth_ttl_by_ttl(
    chain: Lab, tmp_path: Path, version: int, proto: str
) -> None:
    dst = chain.addr("dst", version)
    truth = chain.truth("src", dst)
    [trace] = topo_trace(lambda a: chain.exec("src", a, timeout=120), tmp_path / "t.jsonl",
                         dst, "--proto", proto)  # fmt: skip
    check_against_truth(trace, truth.to_dict())
    assert [h.ttl for h in trace.hops] == [h.ttl for h in truth.hops]
    assert [set(h.addresses) for h in trace.hops] == [set(h.addrs) for h in truth.hops]
    assert trace.reached and trace.dst == dst and trace.src == chain.addr("src", version)
    assert all(r.flow_id == 0 and r.rtt_ms is not None for h in trace.hops for r in h.replies)
    exceeded = 11 if version == 4 else 3
    assert all(h.replies[0].icmp_type == exceeded for h in trace.hops[:-1])
    assert all(h.replies[0].quoted_ttl == 1 for h in trace.hops[:-1])


def test_silent_router_gives_a_star_and_the_destination_ends_the_trace(
    ecmp: Lab, tmp_path: Path
) -> None:
    dst = ecmp.addr("dst")
    truth = ecmp.truth("src", dst)
    [trace] = topo_trace(lambda a: ecmp.exec("src", a, timeout=120), tmp_path / "t.jsonl", dst)
    check_against_truth(trace, truth.to_dict())
    assert truth.silent_ttls == (6,)
    assert trace.hops[5].ttl == 6 and trace.hops[5].is_silent
    assert [r.addr for r in trace.hops[5].replies] == [None]
    assert trace.hops[-1].ttl == 7 and trace.hops[-1].addresses == (dst,)


@pytest.mark.parametrize(("flows", "branches"), [("8", 2), ("1", 1)])
def test_flows_reveal_the_ecmp_branches(
    ecmp: Lab, tmp_path: Path, flows: str, branches: int
) -> None:
    dst = ecmp.addr("dst")
    truth = ecmp.truth("src", dst)
    assert set(truth.hop(4).addrs) == {"13.208.1.2", "13.208.2.2"}
    [trace] = topo_trace(lambda a: ecmp.exec("src", a, timeout=120), tmp_path / "t.jsonl",
                         dst, "--flows", flows, "--sport", "40000")  # fmt: skip
    check_against_truth(trace, truth.to_dict())
    assert len(trace.hops[3].addresses) == branches
    assert len(trace.hops[4].addresses) == branches  # the Class E join, one address per branch
    assert {r.flow_id for r in trace.hops[3].replies} == set(range(int(flows)))


@pytest.mark.parametrize("version", [4, 6])
def test_system_traceroute_and_topo_trace_give_the_same_graph(
    chain: Lab, tmp_path: Path, version: int
) -> None:
    require_tool("traceroute.db")
    dst = chain.addr("dst", version)
    system = chain.exec("src", ["traceroute.db", f"-{version}", "-n", "-q", "1", "-w", "1", dst])
    assert system.returncode == 0, system.stderr
    text = tmp_path / "traceroute.txt"
    text.write_text(system.stdout, encoding="utf-8")
    ours = topo_trace(lambda a: chain.exec("src", a, timeout=120), tmp_path / "t.jsonl", dst)
    # traceroute's text does not say where it ran from: the vantage is the same source
    theirs = [replace(t, src=ours[0].src) for t in ParseResult.collect(read_traces([text])).traces]
    assert _graph(build_graph(ours)) == _graph(build_graph(theirs))


def _graph(G: nx.DiGraph) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """Nodes with what they hold (kind, address, TTLs) and edges; RTTs differ per run."""
    nodes = {
        n: (d.get("kind"), d.get("addr"), tuple(d.get("ttls", ()))) for n, d in G.nodes.items()
    }
    return nodes, set(G.edges)


def test_without_raw_socket_rights_one_line_and_exit_77(chain: Lab) -> None:
    require_tool("setpriv")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = chain.exec("src", [*nobody, *TOPO, chain.addr("dst")], timeout=120)
    assert result.returncode == 77, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("topo: ") and "raw sockets" in line and "CAP_NET_RAW" in line


@contextlib.contextmanager
def _route(lab: Lab, node: str, kind: str, addr: str) -> Iterator[None]:
    """A ``blackhole``, ``unreachable`` or ``prohibit`` route to ``addr`` on ``node`` while
    the block runs (removed after it, whatever happens)."""
    family = "-6" if ":" in addr else "-4"
    prefix = f"{addr}/{128 if ':' in addr else 32}"
    lab.exec(node, ["ip", family, "route", "add", kind, prefix], check=True)
    try:
        yield
    finally:
        lab.exec(node, ["ip", family, "route", "del", kind, prefix], check=True)


def _one_line(result: Any) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


@pytest.mark.parametrize("version", [4, 6])
def test_a_destination_that_never_answers_is_one_line_and_the_trace_is_kept(
    chain: Lab, tmp_path: Path, version: int
) -> None:
    """r3 drops what goes to the destination (a blackhole route): TTL 1 and 2 answer, then
    silence. Even with -q, one line says so; the trace is written and the exit code is 0."""
    dst = chain.addr("dst", version)
    truth = chain.truth("src", dst)
    out = tmp_path / "t.jsonl"
    with _route(chain, "r3", "blackhole", dst):
        result = chain.exec("src", [*TOPO, dst, "-o", str(out), *FAST], timeout=120)
    assert result.returncode == 0, result.stderr
    last = truth.hop(2).addrs[0]
    line = _one_line(result)
    assert re.fullmatch(
        rf"{re.escape(dst)}: the destination never answered: the last reply came from "
        rf"{re.escape(last)} at TTL 2, then \d+ silent TTLs; \d+ probes, [\d.]+ s",
        line,
    ), line
    [trace] = ParseResult.collect(read_traces([out])).traces
    assert not trace.reached
    assert [h.addresses for h in trace.hops[:2]] == [truth.hop(1).addrs, truth.hop(2).addrs]
    assert all(h.is_silent for h in trace.hops[2:]) and len(trace.hops) >= 2 + 5  # gap limit


def test_nothing_answering_at_all_is_one_line(chain: Lab, tmp_path: Path) -> None:
    """The first router drops everything to the destination: every TTL is silent."""
    dst = chain.addr("dst")
    with _route(chain, "r1", "blackhole", dst):
        result = chain.exec("src", [*TOPO, dst, "-o", str(tmp_path / "t.jsonl"), *FAST])
    assert result.returncode == 0, result.stderr
    line = _one_line(result)
    pattern = rf"{re.escape(dst)}: nothing answered: TTL 1-\d+ all silent; \d+ probes, [\d.]+ s"
    assert re.fullmatch(pattern, line), line


@pytest.mark.parametrize(
    ("version", "kind", "words"),
    [
        (4, "unreachable", "host unreachable (!H)"),
        (4, "prohibit", "communication administratively prohibited (!X)"),
        (6, "unreachable", "network unreachable (!N)"),
        (6, "prohibit", "communication administratively prohibited (!X)"),
    ],
)
@pytest.mark.parametrize("proto", ["udp", "icmp"])
def test_a_router_saying_unreachable_is_one_line_and_the_trace_is_kept(
    chain: Lab, tmp_path: Path, version: int, kind: str, words: str, proto: str
) -> None:
    """r3 has an ``unreachable`` (or ``prohibit``) route to the destination: it answers
    the probes with an ICMP destination unreachable error, and the trace ends there."""
    dst = chain.addr("dst", version)
    truth = chain.truth("src", dst)
    router = truth.hop(3).addrs[0]
    out = tmp_path / "t.jsonl"
    with _route(chain, "r3", kind, dst):
        result = chain.exec("src", [*TOPO, dst, "--proto", proto, "-o", str(out), *FAST])
    assert result.returncode == 0, result.stderr
    line = _one_line(result)
    assert line.startswith(f"{dst}: unreachable: {router} at TTL 3 answered {words}; "), line
    [trace] = ParseResult.collect(read_traces([out])).traces
    assert not trace.reached and len(trace.hops) == 3
    assert trace.hops[2].addresses == (router,) and trace.hops[2].replies[0].flags


@pytest.mark.parametrize(
    ("version", "kind"), [(4, "unreachable"), (4, "blackhole"), (6, "unreachable")]
)
def test_no_route_from_the_source_is_one_line_exit_1_and_the_next_target_is_traced(
    chain: Lab, tmp_path: Path, version: int, kind: str
) -> None:
    dst = chain.addr("dst", version)
    other = chain.addr("r5", version, toward="r4")
    out = tmp_path / "t.jsonl"
    with _route(chain, "src", kind, dst):
        result = chain.exec("src", [*TOPO, dst, other, "-o", str(out), *FAST])
    assert result.returncode == 1, result.stderr
    why = "a blackhole route" if kind == "blackhole" else "No route to host"
    assert _one_line(result) == f"{dst}: no route from this host ({why}); nothing sent"
    [trace] = ParseResult.collect(read_traces([out])).traces
    assert trace.dst == other and trace.reached


# -- the path simulator ------------------------------------------------------------------

SIM_V4, SIM_V6 = "198.51.100.77", "2001:db8:77::77"
#: TTL -> (address or None when silent, configured RTT in ms, MPLS labels)
SIM_HOPS: dict[int, list[tuple[str | None, float, list[int]]]] = {
    4: [("13.208.0.67", 2.0, []), ("15.230.24.168", 4.0, []),
        ("100.65.1.9", 8.0, [299808, 24005]), (None, 0.0, []), ("240.1.52.17", 14.0, [24005]),
        ("15.230.154.163", 16.0, [])],
    6: [("2001:db8:1::1", 2.0, []), ("2001:db8:2::1", 6.0, [16005]), (None, 0.0, []),
        ("2001:db8:4::1", 10.0, [])],
}  # fmt: skip
SIM_DST_RTT = 18.0
MULTI = "198.51.100.88"  # 2- and 4-way load balancing
MULTI_HOPS: list[Any] = [
    "10.1.0.1", "10.2.0.1", ["10.3.0.1", "10.3.0.2"], "10.4.0.1",
    ["10.5.0.1", "10.5.0.2", "10.5.0.3", "10.5.0.4"], "10.6.0.1", "10.7.0.1",
]  # fmt: skip
INTERCONNECT = "198.51.100.1"  # Osaka -> reserved run -> Tokyo (AWS's published ranges)
INTERCONNECT_HOPS = ["13.208.0.67", "15.230.24.168", "100.65.1.9", "240.1.52.17", None,
                     "100.66.0.45", "15.230.154.163", "52.95.31.166"]  # fmt: skip


def _path(dst: str, hops: list[tuple[str | None, float, list[int]]]) -> dict[str, Any]:
    return {
        "destination": {"address": dst, "rtt_ms": SIM_DST_RTT, "tcp": "syn-ack"},
        "hops": [None if addr is None else
                 {"address": addr, "rtt_ms": rtt, "mpls": [{"label": x} for x in labels]}
                 for addr, rtt, labels in hops],
    }  # fmt: skip


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatedPath]:
    spec = {"paths": [
        _path(SIM_V4, SIM_HOPS[4]),
        _path(SIM_V6, SIM_HOPS[6]),
        {"destination": {"address": MULTI, "rtt_ms": 1.0},
         "hops": [{"addresses": h if isinstance(h, list) else [h], "rtt_ms": 0.5}
                  for h in MULTI_HOPS]},
        {"destination": {"address": INTERCONNECT, "rtt_ms": 24.0},
         "hops": [None if a is None else {"address": a, "rtt_ms": 1.0 + 3.0 * i}
                  for i, a in enumerate(INTERCONNECT_HOPS)]},
    ]}  # fmt: skip
    with SimulatedPath(spec) as sim:
        yield sim


@pytest.mark.parametrize("version", [4, 6])
@pytest.mark.parametrize("proto", ["udp", "icmp", "tcp"])
def test_rtts_and_mpls_stacks_as_configured(
    simulator: SimulatedPath, tmp_path: Path, version: int, proto: str
) -> None:
    dst = SIM_V4 if version == 4 else SIM_V6
    hops = SIM_HOPS[version]
    [trace] = topo_trace(lambda a: simulator.run(a, timeout=120), tmp_path / "t.jsonl", dst,
                         "--proto", proto, "--rounds", "3")  # fmt: skip
    assert len(trace.hops) == len(hops) + 1 and trace.reached
    for hop, (addr, rtt, labels) in zip(trace.hops, hops, strict=False):
        if addr is None:
            assert hop.is_silent and len(hop.replies) == 3
            continue
        assert hop.addresses == (addr,)
        assert len(hop.rtts) == 3 and _as_configured(hop.rtts, rtt), (hop.ttl, hop.rtts)
        assert {tuple(m.label for m in r.mpls) for r in hop.replies} == {tuple(labels)}
        assert all(m.s == (i == len(labels) - 1) for r in hop.replies
                   for i, m in enumerate(r.mpls))  # fmt: skip
    last = trace.hops[-1]
    assert last.addresses == (dst,)
    assert _as_configured(last.rtts, SIM_DST_RTT), last.rtts


def _as_configured(measured: tuple[float, ...], configured: float) -> bool:
    """Never below the configured RTT (the simulator holds every answer that long), and
    the least of the probes less than 50 ms above it: a probe may wait for a busy CPU (the
    simulator and the tracer are processes like any other), all of them that long hardly."""
    return configured <= min(measured) < configured + 50


def test_mda_finds_every_branch_with_fewer_probes_than_16_flows(
    simulator: SimulatedPath, tmp_path: Path
) -> None:
    def run(*args: str) -> Trace:
        out = tmp_path / f"t{len(list(tmp_path.iterdir()))}.jsonl"  # topo never overwrites
        [trace] = topo_trace(lambda a: simulator.run(a, timeout=120), out,
                             MULTI, "--sport", "41000", *args)  # fmt: skip
        return trace

    auto = run("--flows", "auto")
    for hop, expected in zip(auto.hops, MULTI_HOPS, strict=False):
        assert set(hop.addresses) == set(expected if isinstance(expected, list) else [expected])
    assert auto.hops[-1].addresses == (MULTI,) and len(auto.hops) == len(MULTI_HOPS) + 1
    sixteen = run("--flows", "16")
    assert auto.meta["method"] == "mda" and auto.meta["probes"] < sixteen.meta["probes"]


def test_build_writes_a_page_whose_segment_matches_the_design(
    simulator: SimulatedPath, tmp_path: Path
) -> None:
    page = tmp_path / "output" / "lab.html"
    result = simulator.run([*TOPO, INTERCONNECT, "--build", str(page), *FAST], timeout=120)
    assert result.returncode == 0, result.stderr
    jsonl = page.with_suffix(".jsonl")
    traces = ParseResult.collect(read_traces([jsonl])).traces
    [segment] = infer_interconnects(traces).segments
    assert (segment.kind, segment.from_region, segment.to_region) == (
        "inter-region", "ap-northeast-3", "ap-northeast-1")  # fmt: skip
    assert segment.ttls == (3, 4, 5, 6)
    assert set(segment.addrs) == {"100.65.1.9", "240.1.52.17", "100.66.0.45"}
    assert "segment seg-1: inter-region ap-northeast-3 -> ap-northeast-1, TTL 3-6" in result.stderr
    assert "verdict: on-provider" in result.stderr
    try:
        import topo.render  # noqa: F401
    except ImportError:
        assert page.with_suffix(".json").exists()
    else:
        text = page.read_text(encoding="utf-8")
        assert "100.65.1.9" in text and "ap-northeast-3" in text
