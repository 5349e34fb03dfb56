"""Inference on real traceroute output from the path simulator, against known truth.

Each path below is described hop by hop (addresses, RTTs, silent routers, ECMP); the real
``traceroute.db`` probes it inside a private namespace; topo parses the output, resolves
owners offline (AWS's published ranges and an owner table) and must find exactly the
segments and verdict the description implies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lab.simulator import SimulatedPath
from tests.support.tools import require_tool
from topo.inputs import read_traces
from topo.owners import OwnerResolver, ResolverConfig
from topo.parsers import ParseResult
from topo.topology.infer import Inference, infer_interconnects

pytestmark = pytest.mark.lab

OSAKA = ["13.208.0.67", "15.230.24.168"]
TOKYO = ["15.230.154.163", "52.95.31.166"]
RESERVED = ["100.65.1.9", "240.1.52.17", "100.66.0.45"]
FOREIGN_PUBLIC = "5.6.7.8"


def hops(addrs: list[str | list[str] | None], start: float, step: float) -> list[object]:
    out: list[object] = []
    for i, addr in enumerate(addrs):
        rtt = round(start + i * step, 2)
        if addr is None:
            out.append(None)
        elif isinstance(addr, list):
            out.append({"addresses": addr, "rtt_ms": rtt})
        else:
            out.append({"address": addr, "rtt_ms": rtt})
    return out


PATHS = {
    # Osaka -> reserved run (with ECMP and a silent router) -> Tokyo; 50 ms gained across
    # the run, far above the ~4 ms bound: all five probes of a hop would have to wait 46 ms
    # more for a busy CPU than those after it to hide it
    "198.51.100.1": hops([*OSAKA, "100.65.1.9", ["240.1.52.17", "240.1.52.29"], None,
                          "100.66.0.45", *TOKYO], 1.0, 10.0),
    # leaves AWS through a foreign public hop owned (per the owner table) by Example Transit
    "198.51.100.2": hops([*OSAKA, FOREIGN_PUBLIC, *TOKYO], 1.0, 1.5),
    # an unresolved public hop (no range, no table)
    "198.51.100.3": hops([*OSAKA, "44.1.2.3", *TOKYO], 1.0, 1.5),
    # intra-region: Tokyo -> reserved -> Tokyo
    "198.51.100.4": hops(["15.230.154.163", *RESERVED, "52.95.31.166"], 1.0, 0.2),
    # Osaka -> reserved -> Tokyo with 20 ms less after the run than before it: below the
    # ~4 ms bound unless all five probes of the hop after it wait 24 ms more than those before
    "198.51.100.5": hops([*OSAKA, *RESERVED], 30.0, 0.1) + hops(TOKYO, 10.0, 0.1),
}  # fmt: skip


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    require_tool("traceroute.db")
    spec = {"paths": [{"destination": {"address": dst, "silent": True}, "hops": path}
                      for dst, path in PATHS.items()]}  # fmt: skip
    folder = tmp_path_factory.mktemp("traces")
    files = {}
    with SimulatedPath(spec) as sim:
        for dst in PATHS:
            result = sim.run(["traceroute.db", "-n", "-w", "1", "-q", "5", "-m", "10", dst])
            assert result.returncode == 0, result.stderr
            files[dst] = folder / f"{dst}.txt"
            files[dst].write_text(result.stdout, encoding="utf-8")
    table = folder / "owners.csv"
    table.write_text(f"prefix,org,asn\n{FOREIGN_PUBLIC}/24,Example Transit Ltd,64500\n")
    files["table"] = table
    # the silent destinations are the provider's instances: the user says so
    ours = folder / "ours.csv"
    ours.write_text("prefix,org,asn,region\n198.51.100.0/24,Amazon Data Services Japan,,"
                    "ap-northeast-1\n")  # fmt: skip
    files["ours"] = ours
    yield files


def infer(files: dict[str, Path], dst: str, *, ours: bool = True) -> Inference:
    """Offline, without the origin-AS table: the lab's public addresses stand in for
    routers of the regions they are published for, and are not their holders' routers."""
    traces = ParseResult.collect(read_traces([files[dst]])).traces
    tables = (files["table"], files["ours"]) if ours else (files["table"],)
    config = ResolverConfig(use_cache=False, owner_tables=tables, origin_as=False)
    return infer_interconnects(traces, OwnerResolver(config))


def test_clean_inter_region_path_with_ecmp_and_silent_router(traced: dict[str, Path]) -> None:
    result = infer(traced, "198.51.100.1")
    assert result.verdict == "on-provider"
    # without the user's word that the silent destination is the provider's, the last
    # answer being Amazon's proves nothing
    unsure = infer(traced, "198.51.100.1", ours=False)
    assert unsure.verdict == "incomplete"
    assert unsure.traces[0].reasons[0].code == "unreached-destination"
    [segment] = result.segments
    assert (segment.kind, segment.from_region, segment.to_region) == (
        "inter-region",
        "ap-northeast-3",
        "ap-northeast-1",
    )
    assert segment.ttls == (3, 4, 5, 6)
    assert set(segment.addrs) <= {"100.65.1.9", "240.1.52.17", "240.1.52.29", "100.66.0.45"}
    assert segment.categories["cgnat"] == 2 and segment.categories["class-e"] >= 1
    assert segment.rtt_plausible is True and segment.rtt_bound_ms == pytest.approx(3.96, abs=0.05)


def test_foreign_hop_means_left_provider_and_names_the_exit(traced: dict[str, Path]) -> None:
    result = infer(traced, "198.51.100.2")
    assert result.verdict == "left-provider"
    [trace] = result.traces
    assert trace.exit == {"from_ttl": 2, "from_addr": "15.230.24.168", "to_ttl": 3,
                          "to_addr": FOREIGN_PUBLIC, "to_owner": "Example Transit Ltd",
                          "to_asn": 64500, "unowned_before": []}  # fmt: skip
    assert trace.reasons[0].code == "left-provider"
    assert "Example Transit Ltd" in str(trace.reasons[0])


def test_unresolved_public_hop_is_undetermined(traced: dict[str, Path]) -> None:
    result = infer(traced, "198.51.100.3")
    assert result.verdict == "undetermined"
    assert result.traces[0].reasons[0]["addrs"] == ("44.1.2.3",)
    assert "44.1.2.3" in str(result.traces[0].reasons[0])


def test_intra_region_segment(traced: dict[str, Path]) -> None:
    result = infer(traced, "198.51.100.4")
    [segment] = result.segments
    assert (segment.kind, segment.from_region, segment.to_region) == (
        "intra-region",
        "ap-northeast-1",
        "ap-northeast-1",
    )
    assert segment.addrs == tuple(RESERVED)


def test_rtt_below_the_bound_is_flagged(traced: dict[str, Path]) -> None:
    [segment] = infer(traced, "198.51.100.5").segments
    assert segment.kind == "inter-region"
    assert segment.rtt_plausible is False
    assert segment.rtt_delta_ms is not None and segment.rtt_delta_ms < 3.96
    assert any("below" in line for line in segment.evidence)
