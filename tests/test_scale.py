"""The scale path gives the same results as the plain one.

- the one-pass core (:func:`topo.topology.aggregate.aggregate`, resolving in batches) makes
  the same graph as ``build_graph`` + ``infer_interconnects`` over a list of traces;
- a large JSON Lines file read line by line gives the same traces as read whole;
- the fast writer's JSON reads back as the same graph;
- the progress line stays silent off a terminal.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import networkx as nx
import pytest

from topo.cli.progress import IngestProgress
from topo.inputs import read_traces
from topo.inputs.manifest import manifests_for
from topo.parsers import ParseResult, atlas
from topo.parsers.json_input import iter_json_records
from topo.render.graph_files import LONG_LIST, read_graph_json, write_graph_json
from topo.topology.aggregate import aggregate, finish
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

ROOT = Path(__file__).resolve().parent.parent


def _synth():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def atlas_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 synthetic Atlas results (~1 MB: large enough to be streamed)."""
    path = tmp_path_factory.mktemp("scale") / "atlas.jsonl"
    lines = list(_synth().atlas_lines(300, 1, 2000))
    lines.insert(7, "{not json")  # a broken line keeps its number and its message
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import random

    synth = _synth()
    folder = tmp_path_factory.mktemp("text")
    rng = random.Random(2)
    pool = synth.address_pool(rng, 500)
    for number, (dst, hops) in enumerate(synth.paths(rng, pool, 60)):
        (folder / f"t{number:03d}.txt").write_text(synth.text_trace(dst, hops, rng))
    return folder


def _canonical(G: nx.DiGraph, *, preds: bool = True) -> object:
    """The graph as data, with each node's predecessors in their order (which a graph
    file does not keep: ``preds=False``)."""
    data = json.loads(json.dumps(nx.node_link_data(G, edges="edges")))
    return data, [(key, list(into)) for key, into in G.pred.items()] if preds else None


def _reference(paths: list[str]) -> tuple[nx.DiGraph, list[str]]:
    result = ParseResult.collect(read_traces(paths))
    manifests = manifests_for(paths)
    G = build_graph(result.traces, manifests=manifests)
    infer_interconnects(result.traces, manifests=manifests, graph=G)
    return G, [str(e) for e in result.errors]


@pytest.mark.parametrize("batch", [1, 7, 5000])
def test_pipeline_graph_is_the_plain_graph(atlas_file: Path, batch: int) -> None:
    want, want_errors = _reference([str(atlas_file)])
    topology = finish(aggregate(read_traces([str(atlas_file)]), batch=batch))
    assert _canonical(topology.graph) == _canonical(want)
    assert list(topology.graph.nodes) == list(want.nodes)  # the same order too
    assert [str(e) for e in topology.errors] == want_errors
    assert topology.trace_count == 300


@pytest.mark.parametrize("folder", ["samples", "tests/data/ripe-atlas", "tests/data/scamper-json"])
def test_pipeline_on_shipped_data(folder: str) -> None:
    path = str(ROOT / folder)
    want, _ = _reference([path])
    got = finish(aggregate(read_traces([path]), manifests=manifests_for([path]))).graph
    assert _canonical(got) == _canonical(want)


def test_pipeline_on_text_files(text_dir: Path) -> None:
    want, _ = _reference([str(text_dir)])
    got = finish(aggregate(read_traces([str(text_dir)]), batch=9)).graph
    assert _canonical(got) == _canonical(want)


def test_streamed_file_reads_like_the_whole_text(atlas_file: Path) -> None:
    text = atlas_file.read_text(encoding="utf-8")
    whole = list(atlas.parse_records(iter_json_records(text, source="x"), source="x"))
    streamed = list(read_traces([str(atlas_file)], format="ripe-atlas"))
    assert len(streamed) == len(whole) == 301
    for got, want in zip(streamed, whole, strict=True):
        if isinstance(want, Exception):
            assert str(got) == str(want).replace("x:", f"{atlas_file}:", 1)
        else:
            assert got.hops == want.hops and got.meta == want.meta  # type: ignore[union-attr]
            assert got.origin.line == want.origin.line  # type: ignore[union-attr]


def test_fast_writer_reads_back(tmp_path: Path) -> None:
    path = str(ROOT / "samples")
    topology = finish(aggregate(read_traces([path]), manifests=manifests_for([path])))
    back = read_graph_json(write_graph_json(topology.graph, tmp_path / "g.json"))
    assert _canonical(back, preds=False) == _canonical(topology.graph, preds=False)
    assert back.graph == topology.graph.graph


@pytest.mark.parametrize("size", [0, 1, 4096, 4097, 9000])
def test_long_lists_are_written_one_item_per_line_and_read_back(tmp_path: Path, size: int) -> None:
    """Lists longer than :data:`LONG_LIST` are written one item per line, also when a
    string holds the ``},{`` between two written dicts."""
    G = nx.DiGraph(trace_paths={"t},{": {"path": ["a},{b"]}})
    traces = [{"origin": f"t{i}", "reasons": ["x},{y"] if i == 4500 else []} for i in range(size)]
    G.graph["inference"] = {
        "verdict": "on-provider",
        "traces": traces,
        "segments": [[{"nested": i}, {"list": i}] for i in range(size)],
        "notes": [],
    }
    for i in range(size):
        G.add_edge(f"n{i}", "hub", trace_ids=["},{"] if i == 5000 else [f"t{i}"])
    path = write_graph_json(G, tmp_path / "g.json")
    back = json.loads(path.read_text(encoding="utf-8"))
    assert back == nx.node_link_data(G, edges="edges")
    lines = path.read_text(encoding="utf-8").splitlines()
    in_pieces = size if size > LONG_LIST else 0  # shorter lists stay on one line
    assert sum(line.startswith('    {"origin":') for line in lines) == in_pieces
    assert sum(line.startswith('  {"trace_ids":') for line in lines) == size


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = IngestProgress(stream)
    for _ in range(3):
        progress.file("x")
        progress.read(10)
        progress.traces()
    progress.close()
    assert stream.getvalue() == ""
    shown = IngestProgress(stream, enabled=True, interval=0)
    shown.file("x")
    shown.traces(5)
    shown.close()
    assert "1 file, 0.0 MB, 5 traces" in stream.getvalue()


def test_progress_estimates_the_rest_and_keeps_the_reading_rate_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("topo.cli.progress.time.monotonic", lambda: clock[0])
    stream = io.StringIO()
    progress = IngestProgress(stream, enabled=True, interval=0)
    progress.expect(8_000_000)
    progress.file("a")
    progress.read(2_000_000)
    progress.traces(1000)
    clock[0] += 1.0  # too early to guess
    assert progress.text() == "1 file, 2.0 of 8.0 MB (25%), 1,000 traces (1,000 traces/s)"
    clock[0] += 3.0
    progress.read(2_000_000)
    progress.traces(3000)  # half read in 4 s: about 4 s more
    assert progress.text().endswith("(50%), 4,000 traces (1,000 traces/s), about 4 s left")
    progress.read(4_000_000)
    progress.traces(4000)
    clock[0] += 4.0
    progress.stage("merging 2 parts")
    clock[0] += 30.0  # merging takes long: the rate is still the reading's
    assert progress.text() == "1 file, 8.0 MB, 8,000 traces (1,000 traces/s); merging 2 parts"
    progress.close()
    last = stream.getvalue().rsplit("\r", 1)[1]  # padded over the longer line before it
    assert last.endswith("\n")
    assert last.rstrip() == "topo: 1 file, 8.0 MB, 8,000 traces (1,000 traces/s)"


def test_synthetic_results_over_repeated_paths_make_a_graph_that_stops_growing(
    tmp_path: Path,
) -> None:
    """``synth.py --distinct N`` (the benchmark of memory over a graph that stops growing):
    results go over the same N paths again with new RTTs, so four times the results make
    the same nodes and edges, each edge taken by four times the traces."""
    synth = _synth()
    graphs = []
    for count in (40, 160):
        path = tmp_path / f"atlas-{count}.jsonl"
        path.write_text("\n".join(synth.atlas_lines(count, 1, 2000, 40)) + "\n", "utf-8")
        graphs.append(finish(aggregate(read_traces([str(path)]))).graph)
    small, large = graphs
    assert list(small.nodes) == list(large.nodes) and list(small.edges) == list(large.edges)
    assert sum(d["traces"] for *_, d in large.edges(data=True)) == 4 * sum(
        d["traces"] for *_, d in small.edges(data=True)
    )
    first, repeat = (json.loads(line) for line in path.read_text().splitlines()[0:80:40])
    assert [[r.get("from") for r in h["result"]] for h in first["result"]] == [
        [r.get("from") for r in h["result"]] for h in repeat["result"]
    ]
    assert first["result"] != repeat["result"]  # new RTTs
