"""The merged graph (keys, attributes, writers) and the inference on hand-built traces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from topo.cli import cli
from topo.errors import TopoError
from topo.inputs.manifest import load_manifest, manifests_for
from topo.model import Hop, Origin, Reply, Trace
from topo.render.graph_files import (
    read_gexf,
    read_graph_json,
    read_graphml,
    write_gexf,
    write_graph_json,
    write_graphml,
)
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "aws-osaka-tokyo"


def hop(ttl: int, *replies: tuple[str | None, float | None]) -> Hop:
    return Hop(ttl, tuple(Reply(a, r) for a, r in replies))


def trace(name: str, *hops: Hop, dst: str | None = None, src: str | None = None) -> Trace:
    return Trace(dst=dst, src=src, hops=hops, origin=Origin(f"{name}.txt", 1), format="x")


def test_stars_are_keyed_by_their_context() -> None:
    a = trace(
        "a", hop(1, ("13.208.0.67", 1.0)), hop(2, (None, None)), hop(3, ("52.95.31.166", 9.0))
    )
    b = trace(
        "b", hop(1, ("13.208.0.67", 1.1)), hop(2, (None, None)), hop(3, ("52.95.31.166", 9.2))
    )
    c = trace(
        "c", hop(1, ("13.208.0.67", 1.0)), hop(2, (None, None)), hop(3, ("15.230.154.163", 8.0))
    )
    G = build_graph([a, b, c])
    stars = sorted(n for n in G if n.startswith("*|"))
    assert stars == ["*|13.208.0.67|15.230.154.163|1", "*|13.208.0.67|52.95.31.166|1"]
    assert G.nodes["*|13.208.0.67|52.95.31.166|1"]["traces"] == 2


def test_lost_probes_trailing_stars_and_unreached_destination() -> None:
    t = trace("t", hop(1, ("13.208.0.67", 1.0), (None, None)), hop(2, ("52.95.31.166", 9.0)),
              hop(3, (None, None)), hop(4, (None, None)), dst="13.115.231.114")  # fmt: skip
    G = build_graph([t])
    assert not [n for n in G if n.startswith("*|")]
    assert G.nodes["dst:13.115.231.114"]["reached"] is False
    assert G.edges["52.95.31.166", "dst:13.115.231.114"]["unreached"] is True
    assert G.nodes["dst:13.115.231.114"]["region"] == "ap-northeast-1"


def test_ecmp_and_exact_rtt_merge() -> None:
    t1 = trace(
        "t1", hop(1, ("13.208.0.67", 1.0), ("13.208.0.69", 1.4)), hop(2, ("15.230.24.168", 2.0))
    )
    t2 = trace("t2", hop(1, ("13.208.0.67", 3.0)), hop(2, ("15.230.24.168", 4.0)))
    G = build_graph([t1, t2])
    assert G.has_edge("13.208.0.69", "15.230.24.168") and G.has_edge("13.208.0.67", "15.230.24.168")
    node = G.nodes["13.208.0.67"]
    assert (node["rtt_min"], node["rtt_sum"], node["rtt_count"], node["traces"]) == (1.0, 4.0, 2, 2)
    assert G.nodes["13.208.0.69"]["rtt_sum"] == 1.4
    assert G.edges["13.208.0.67", "15.230.24.168"]["traces"] == 2


def test_special_addresses_are_scoped() -> None:
    aws = trace("aws", hop(1, ("13.208.0.67", 1.0)), hop(2, ("10.0.0.1", 2.0)))
    gcp = trace("gcp", hop(1, ("34.1.208.1", 1.0)), hop(2, ("10.0.0.1", 2.0)))
    home = trace("home", hop(1, ("10.0.0.1", 1.0)), hop(2, ("192.0.2.1", 2.0)), src="192.168.1.5")
    G = build_graph([aws, gcp, home])
    assert {"10.0.0.1@Amazon", "10.0.0.1@Google", "10.0.0.1@vantage:192.168.1.5"} <= set(G)


def test_writers_keep_every_attribute(tmp_path: Path) -> None:
    traces = _sample_traces()
    G = build_graph(traces)
    infer_interconnects(traces, graph=G, manifests=manifests_for([SAMPLE]))
    node = "100.65.1.9@Amazon"
    for write, read, stock in (
        (write_graphml, read_graphml, nx.read_graphml),
        (write_gexf, read_gexf, nx.read_gexf),
        (write_graph_json, read_graph_json, None),
    ):
        path = write(G, tmp_path / f"g.{write.__name__}")
        back = read(path)
        assert set(back.nodes) == set(G.nodes) and set(back.edges) == set(G.edges)
        for key, value in G.nodes[node].items():
            assert back.nodes[node][key] == value, (write.__name__, key)
        edge = ("15.230.26.193", node)
        assert back.edges[edge]["segment"] == "seg-1" and back.edges[edge]["trace_ids"]
        if stock is not None:
            assert stock(path).nodes[node]["reg_name"] == "Shared Address Space"
    for written, read in ((tmp_path / "g.write_graphml", read_graphml),
                          (tmp_path / "g.write_gexf", read_gexf)):  # fmt: skip
        graph = read(written).graph
        assert graph["inference"]["verdict"] == "on-provider"
        assert graph["trace_paths"] == G.graph["trace_paths"]


def _sample_traces() -> list[Trace]:
    from topo.inputs import read_traces
    from topo.parsers import ParseResult

    return ParseResult.collect(read_traces([SAMPLE])).traces


def test_sample_done_means() -> None:
    result = infer_interconnects(_sample_traces(), manifests=manifests_for([SAMPLE]))
    assert result.verdict == "on-provider"
    [segment] = result.segments
    assert (segment.kind, segment.from_region, segment.to_region) == (
        "inter-region",
        "ap-northeast-3",
        "ap-northeast-1",
    )
    assert len(segment.addrs) == 12 and segment.categories == {"cgnat": 8, "class-e": 4}
    assert segment.rtt_plausible is True and 0 < (segment.directness or 0) <= 1


def test_infer_cli_json_and_fail_on(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["infer", str(SAMPLE), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"verdict", "verdict_counts", "traces", "segments"}
    assert set(data["traces"][0]) >= {"origin", "src_region", "dst_region", "verdict", "reasons",
                                      "segments"}  # fmt: skip
    assert set(data["segments"][0]) >= {
        "kind",
        "from_region",
        "to_region",
        "ttls",
        "addrs",
        "categories",
        "rtt_delta_ms",
        "rtt_bound_ms",
        "directness",
        "rtt_plausible",
        "traces",
        "confidence",
        "evidence",
    }
    assert runner.invoke(cli, ["infer", str(SAMPLE), "--fail-on", "on-provider", "--no-cache"]
                         ).exit_code == 3  # fmt: skip
    assert runner.invoke(cli, ["infer", str(SAMPLE), "--fail-on", "left-provider", "--no-cache"]
                         ).exit_code == 0  # fmt: skip
    human = runner.invoke(cli, ["infer", str(SAMPLE), "--no-cache"]).stdout
    assert "Osaka [13.208.0." in human
    assert "12 reserved hops (12 addresses: 8 CGNAT, 4 Class E)" in human


def test_build_writes_only_graph_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.graphml"
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "--graphml", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert out.exists() and list(tmp_path.iterdir()) == [out]
    monkeypatch.chdir(tmp_path)  # without -o the page goes to ./output/<slug>.html
    assert CliRunner().invoke(cli, ["build", str(SAMPLE), "--no-cache"]).exit_code == 0
    assert (tmp_path / "output" / "aws-osaka-to-tokyo-the-article-s-traceroute.html").exists()


def test_bad_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "topo.toml").write_text("provider = 3\nsrc_regoin = 'x'\n")
    with pytest.raises(TopoError, match="unknown keys src_regoin"):
        load_manifest(tmp_path / "topo.toml")


def test_build_names_a_parent_folder_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    parent = tmp_path / "pairs"
    parent.mkdir()
    shutil.copytree(SAMPLE, parent / "one")
    result = CliRunner().invoke(cli, ["build", str(parent), "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    assert "24 nodes" in result.stdout
    page = tmp_path / "output" / "pairs.html"
    # the manifest below names its own folder, not the parent: a title from the contents
    title = "<title>Osaka EC2 instance to Tokyo EC2 instance</title>"
    assert page.exists() and title in page.read_text(encoding="utf-8")
