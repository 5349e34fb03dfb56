"""topo.render without a browser: the page's data and safety, layout, budget, CLI, figure."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from tests.browser.traceset import XSS_NAMES, XSS_ORG, write_trace_set
from topo import render
from topo.cli import cli
from topo.inputs import read_traces
from topo.inputs.manifest import manifests_for
from topo.parsers import ParseResult
from topo.render.aggregate import aggregate
from topo.render.packed import unpack_rows
from topo.render.webpage import script_json
from topo.topology import analyze
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "aws-osaka-tokyo"


def graph_of(*paths: str | Path, owner_tables: tuple[Path, ...] = ()) -> nx.DiGraph:
    from topo.owners import OwnerResolver, ResolverConfig
    from topo.topology.views import answers_for

    names = [str(p) for p in paths]
    traces = ParseResult.collect(read_traces(names)).traces
    manifests = manifests_for(names)
    resolver = OwnerResolver(ResolverConfig(use_cache=False, owner_tables=owner_tables))
    try:
        answers = answers_for(traces, resolver)
    finally:
        resolver.close()
    G = build_graph(traces, answers, manifests=manifests)
    infer_interconnects(traces, answers, manifests=manifests, graph=G)
    return G


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_page_is_self_contained(tmp_path: Path) -> None:
    page = render.html(graph_of(SAMPLE), tmp_path / "p.html").read_text()
    parser = Tags()
    parser.feed(page)
    tags = parser.tags
    assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed")]
    assert all("src" not in a for t, a in tags if t == "script")
    assert "cdn" not in page.lower().replace("cdnjs", "") or "cdn." not in page
    assert "bootstrap" not in page.lower()
    assert "vis.Network" in page and "default-src 'none'" in page


def test_hostile_strings_never_become_markup(tmp_path: Path) -> None:
    files = write_trace_set(tmp_path / "set")
    G = graph_of(files["traces"], owner_tables=(files["owners"],))
    page = render.html(G, tmp_path / "p.html").read_text()
    for probe in (*XSS_NAMES[:2], XSS_ORG, "<img"):
        assert probe not in page
    assert "\u202e" not in page
    data = re.search(r'<script id="topo-data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    decoded = json.loads(data.group(1))
    info = [unpack_rows(flat, decoded["strings"]) for flat in decoded["info"]]
    names = [v for rows in info for k, v in rows if k == "names"]
    assert XSS_NAMES[0] in names and "evil\\u202egnp.exe" in names
    assert any(XSS_ORG in e["label"] for e in decoded["legend"])


def test_page_edges_are_compact_facts_not_rows() -> None:
    """The page writes an edge's details on click from its facts (no rows per edge)."""
    from topo.render.pagedata import page_data

    G = graph_of(SAMPLE)
    data = page_data(G)
    script = data.script_data()
    assert "edge_info" not in script
    traces = list(G.graph["trace_paths"])
    for edge, (_, _, attrs) in zip(data.edges, G.edges(data=True), strict=True):
        assert set(edge) <= {"from", "to", "t", "n", "d", "g", "seg", "dashes", "exit"}
        assert [traces[t] for t in edge["t"]] == list(attrs["trace_ids"])
        assert edge["n"] == attrs["traces"]
        if attrs.get("rtt_delta_min") is not None:
            assert edge["d"] == round(attrs["rtt_delta_min"], 3)
    assert any("d" in e for e in data.edges) and any("seg" in e for e in data.edges)


def test_script_json_cannot_close_the_script_element() -> None:
    text = script_json(["</script>", "<!--", "&amp;", "\u2028\u2029"])
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == ["</script>", "<!--", "&amp;", "\u2028\u2029"]


def test_layout_goes_left_to_right_with_region_boxes_and_band() -> None:
    G = graph_of(SAMPLE)
    layout = render.compute_layout(G)
    x = {n: p[0] for n, p in layout.positions.items()}
    path = G.graph["trace_paths"][next(iter(G.graph["trace_paths"]))]["path"]
    assert x[path[0]] < x["15.230.26.193"] < x["100.65.1.9@Amazon"] < x["15.230.154.163"]
    assert x["100.91.137.163@Amazon"] < x[path[-1]]
    assert layout.positions["13.208.0.67"][1] != layout.positions["13.208.0.69"][1]  # ECMP
    osaka, tokyo = layout.boxes
    assert osaka.label == "Osaka ap-northeast-3" and "vantage:Osaka EC2 instance" in osaka.members
    assert tokyo.label == "Tokyo ap-northeast-1" and "dst:13.115.231.114" in tokyo.members
    (band,) = layout.bands
    assert len(band.members) == 12 and osaka.x1 < band.x0 + 60 and band.x1 < tokyo.x0 + 60
    assert band.summary[1] == "+6.1 ms, light in fibre needs 4.0 ms"


def test_two_region_pairs_get_separate_lanes(tmp_path: Path) -> None:
    files = write_trace_set(tmp_path / "set")
    G = graph_of(files["traces"], owner_tables=(files["owners"],))
    layout = render.compute_layout(G)
    labels = [b.label for b in layout.boxes]
    assert {"Osaka ap-northeast-3", "Tokyo ap-northeast-1", "Singapore ap-southeast-1"} <= set(
        labels
    )
    # the two interconnects, and the reserved hop between Amazon's last answer and the
    # foreign network of the trace that leaves (an open segment)
    kinds = sorted(b.label.split(" → ")[-1] for b in layout.bands)
    assert kinds == ["After Amazon's last answer (in Osaka)", "Singapore region interconnect",
                     "Tokyo region interconnect"]  # fmt: skip
    [open_band] = [b for b in layout.bands if "last answer" in b.label]
    assert open_band.members == ("198.18.0.1@Amazon",)
    y = {n: p[1] for n, p in layout.positions.items()}
    assert y["100.70.1.1@Amazon"] > max(y["100.65.1.9@Amazon"], y["100.65.3.136@Amazon"])


def test_region_boxes_of_a_multi_pair_page_do_not_overlap() -> None:
    """Every shipped sample set at once: six region pairs, Tokyo on four of them."""
    paths = [str(ROOT / "samples")]
    G = analyze(paths).graph
    layout = render.compute_layout(G)
    boxes = layout.boxes
    assert len({b.label for b in boxes}) >= 6
    overlaps = [
        (a.key, b.key)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
    ]
    assert overlaps == []
    for box in boxes:  # each box holds its members
        for node in box.members:
            x, y = layout.positions[node]
            assert box.x0 < x < box.x1 and box.y0 < y < box.y1


def synthetic(traces: int, length: int = 12) -> nx.DiGraph:
    from topo.model import Hop, Reply, Trace

    trace_list = []
    for t in range(traces):
        hops = [Hop(1, (Reply(f"13.208.{t % 4}.1", 0.5),))]
        hops += [Hop(h, (Reply(f"100.65.{t}.{h}", float(h)),)) for h in range(2, length)]
        last = f"52.95.{30 + t // 250}.{t % 250 + 1}"  # 52.95.30.0/23: ap-northeast-1
        hops += [Hop(length, (Reply(last, 9.0),))]
        trace_list.append(Trace(dst=last, hops=tuple(hops)))
    G = build_graph(trace_list)
    infer_interconnects(trace_list, graph=G)
    return G


def test_budget_collapses_runs_then_prefixes() -> None:
    G = synthetic(60)
    assert G.number_of_nodes() > 600
    H = aggregate(G, max_nodes=100)
    assert H.number_of_nodes() <= 100
    steps = H.graph["aggregation"]["steps"]
    assert steps[0].startswith("600 reserved or silent hops collapsed into 1 segment node")
    kinds = nx.get_node_attributes(H, "kind")
    assert list(kinds.values()).count("segment") == 1
    (segment,) = [n for n, k in kinds.items() if k == "segment"]
    assert H.nodes[segment]["members"] == 600 and H.nodes[segment]["traces"] == 60
    assert all(segment in info["path"] for info in H.graph["trace_paths"].values())
    assert aggregate(G, max_nodes=None) is G and aggregate(G, max_nodes=10_000) is G


def test_prefix_grouping_when_runs_are_not_enough() -> None:
    G = synthetic(80)
    H = aggregate(G, max_nodes=20)
    assert any("prefixes" in s for s in H.graph["aggregation"]["steps"])
    assert any(a.get("kind") == "prefix" for _, a in H.nodes(data=True))


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        ("AWS Osaka → Tokyo", ["x"], "output/aws-osaka-tokyo.html"),
        (None, ["samples/aws-osaka-tokyo"], "output/aws-osaka-tokyo.html"),
        (None, ["../../etc/passwd"], "output/passwd.html"),
        ("../../../tmp/evil", ["x"], "output/tmp-evil.html"),
        ("日本語", ["Trace File.TXT"], "output/trace-file.html"),
        (None, ["-"], "output/stdin.html"),
        ("///", ["..."], "output/topology.html"),
    ],
)
def test_default_output_is_a_slug_inside_output(
    name: str | None, inputs: list[str], expected: str
) -> None:
    assert str(render.default_output(name, inputs)) == expected


def test_build_writes_the_page_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "--no-cache"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "output" / "aws-osaka-to-tokyo-the-article-s-traceroute.html"
    assert page.exists() and "24 nodes, 24 edges" in result.output
    text = page.read_text()
    assert "<title>AWS Osaka to Tokyo (the article&#39;s traceroute)</title>" in text


def test_build_options_figure_and_graph_only(tmp_path: Path) -> None:
    out, svg, png = tmp_path / "a.html", tmp_path / "a.svg", tmp_path / "a.png"
    runner = CliRunner()
    args = ["build", str(SAMPLE), "--no-cache", "-o", str(out), "--figure", str(svg)]
    assert runner.invoke(cli, args).exit_code == 0
    assert out.exists() and svg.read_text().lstrip().startswith("<?xml")
    assert "Osaka ap-northeast-3" in svg.read_text()
    args = ["build", str(SAMPLE), "--no-cache", "--graphml", str(tmp_path / "g.graphml")]
    args += ["--figure", str(png), "--max-nodes", "10"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.png", "a.svg", "g.graphml"]


def test_inline_view_is_a_sandboxed_iframe() -> None:
    view = render.inline(graph_of(SAMPLE))._repr_html_()
    assert view.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in view
    assert "<script" not in view.split('srcdoc="', 1)[1].split('"', 1)[0]


def test_page_shows_each_traces_strip(tmp_path: Path) -> None:
    """The header's per-trace line (``Osaka [...] ── 12 reserved hops (...) ── Tokyo [...]``)
    comes from the inference in ``G.graph``: it was empty on every page before."""
    G = graph_of(SAMPLE)
    strips = [t["strip"] for t in G.graph["inference"]["traces"]]
    assert strips and all("reserved" in s for s in strips)
    page = render.html(G, tmp_path / "p.html").read_text()
    shown = re.findall(r'<div class="strip">(.*?)</div>', page)
    assert shown and all("reserved" in s and "Osaka" in s for s in shown)
