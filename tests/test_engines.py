"""Engines: how fast, never what. Every engine gives the one-process Topology.

The same inputs (a JSON Lines file cut into line ranges, a folder of text traces with a
manifest, broken lines, a missing file) go through :func:`topo.analyze` with no engine,
:class:`OneProcess`, :class:`Processes` (2 and 3 workers) and a local Dask cluster: nodes,
edges, every attribute (in order), ``G.graph``, the inference and the errors must be the
same; and through ``topo build --graph-json`` with ``--jobs 1``/``2`` and ``--engine dask``,
whose graph files must be byte-identical.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from topo import analyze
from topo.cli.progress import IngestProgress
from topo.engines import Dask, OneProcess, Processes, dask, processes, units
from topo.errors import ParseError
from topo.inputs import iter_input_paths, manifests_for, read_traces
from topo.render.graph_files import write_graph_json
from topo.topology import Job, Topology
from topo.topology.aggregate import Partial, aggregate, finish

from .test_scale import _synth

#: What the tests cut their JSON Lines file at (small enough to make several ranges).
SPLIT = 256 * 1024


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    synth = _synth()
    root = tmp_path_factory.mktemp("engines")
    lines = list(synth.atlas_lines(1500, 3, 3000))
    lines.insert(11, "{broken")
    lines.insert(900, '{"type": "ping", "result": []}')
    atlas = root / "atlas.jsonl"
    atlas.write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = root / "text"
    folder.mkdir()
    (folder / "topo.toml").write_text('name = "text set"\nprovider = "Amazon"\n', encoding="utf-8")
    rng = random.Random(4)
    pool = synth.address_pool(rng, 400)
    for number, (dst, hops) in enumerate(synth.paths(rng, pool, 120)):
        (folder / f"t{number:03d}.txt").write_text(synth.text_trace(dst, hops, rng))
    (folder / "t050.txt").write_text(" 1  10.0.0.1  oops\n", encoding="utf-8")
    return [str(atlas), str(folder), str(root / "missing.txt")]


@pytest.fixture
def small_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(units, "SPLIT_BYTES", SPLIT)


def _as_data(topology: Topology) -> dict[str, Any]:
    """Everything a Topology holds, as plain data in its order."""
    G = topology.graph
    return {
        "nodes": list(G.nodes(data=True)),
        "edges": list(G.edges(data=True)),
        "preds": [(key, list(into)) for key, into in G.pred.items()],
        "graph": G.graph,
        "inference": topology.inference,
        "answers": list(topology.answers.items()),
        "errors": [str(e) for e in topology.errors],
        "traces": topology.trace_count,
        "name": topology.name,
    }


def _local_cluster(*, processes: bool) -> Any:
    """Two Dask workers: processes on loopback, or threads of this process."""
    from dask.distributed import LocalCluster

    where = {"host": "127.0.0.1"} if processes else {}
    return LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, processes=processes, **where
    )


def test_every_engine_gives_the_one_process_topology(inputs: list[str], small_split: None) -> None:
    """The contract: the same Topology, node by node, edge by edge, error by error."""
    want = _as_data(analyze(inputs))
    assert want["traces"] == 1500 + 120 - 1 and want["name"] is None
    assert want["errors"][0].endswith(
        ":12: invalid JSON: Expecting property name enclosed in double quotes"
    )
    assert want["errors"][-1].endswith("missing.txt: no such file or directory")
    for engine in (OneProcess(), Processes(2), Processes(3, groups_per_job=5)):
        assert _as_data(analyze(inputs, engine=engine)) == want, engine
    with _local_cluster(processes=True) as cluster:
        assert _as_data(analyze(inputs, engine=Dask(2, cluster.scheduler_address))) == want


def test_jobs_2_and_dask_write_the_same_graph_file_as_one_process(
    inputs: list[str], tmp_path: Path
) -> None:
    """Through the command line: byte-identical graph files, the same messages."""

    def build(name: str, *extra: str) -> tuple[bytes, str, int]:
        code = (
            f"import sys, topo.engines.units as u; u.SPLIT_BYTES = {SPLIT}; "
            "from topo.cli import main; sys.exit(main(sys.argv[1:]))"
        )
        out = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-c", code, "build", *inputs, "--offline", "--no-cache",
             "--quiet", "--graph-json", str(out), *extra],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        return out.read_bytes(), done.stderr, done.returncode

    one, one_err, one_code = build("one.json", "--jobs", "1")
    two, two_err, two_code = build("two.json", "--jobs", "2")
    on_dask, dask_err, dask_code = build("dask.json", "--engine", "dask", "--jobs", "2")
    assert one_code == two_code == dask_code == 1  # the broken lines and the missing file
    assert b'"nodes"' in one and len(one) > 100_000
    assert two == one and on_dask == one
    assert "missing.txt: no such file or directory" in one_err
    assert ":12: invalid JSON" in one_err and "t050.txt" in one_err
    assert two_err == one_err == dask_err


def test_the_json_lines_file_is_cut_into_line_ranges(inputs: list[str], small_split: None) -> None:
    planned = units.plan_units(inputs, jobs=2)
    ranges = [u for u in planned if u.is_range]
    assert len(ranges) >= 2
    assert ranges[0].start == 0 and ranges[0].first_line == 1
    data = Path(inputs[0]).read_bytes()
    for before, after in itertools.pairwise(ranges):
        assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"
        assert after.first_line == data[: after.start].count(b"\n") + 1
    assert ranges[-1].end == len(data)
    assert planned[-1].error is not None  # the missing file, in its place


def test_line_starts_scanned_in_small_chunks_match_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut points found chunk by chunk (chunks of 1 to 64 bytes, so that lines and new
    lines straddle them) are those the whole file's bytes give."""
    rng = random.Random(7)
    for trial in range(400):
        monkeypatch.setattr(units, "SCAN_BYTES", rng.choice([1, 2, 3, 5, 8, 64]))
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 60)))
        path = tmp_path / f"{trial}.jsonl"
        path.write_bytes(data)
        cuts = [0, *(rng.randint(0, len(data) + 2) for _ in range(rng.randint(0, 6)))]
        expected = []
        for cut in sorted(cuts):
            at = 0 if cut == 0 else data.find(b"\n", max(cut - 1, 0)) + 1
            if (at or cut == 0) and (not expected or expected[-1][0] != at):
                expected.append((at, data[:at].count(b"\n") + 1))
        assert units._line_starts(str(path), cuts) == expected, (data, cuts)


def test_ranges_read_the_same_traces_as_the_whole_file(
    inputs: list[str], small_split: None
) -> None:
    whole = [str(x) if isinstance(x, ParseError) else x for x in read_traces([inputs[0]])]
    pieces = [
        str(item) if isinstance(item, ParseError) else item
        for unit in units.plan_units([inputs[0]], jobs=2)
        for item in units.unit_items(unit, Job())
    ]
    assert pieces == whole
    assert any(isinstance(x, str) and ":12: invalid JSON" in x for x in whole)


def test_a_line_over_the_json_limit_in_a_range_is_the_same_error(
    inputs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_split: None
) -> None:
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", "64k")
    lines = Path(inputs[0]).read_text(encoding="utf-8").splitlines()
    lines.insert(1200, '{"type": "traceroute", "padding": "' + "p" * 100_000 + '"}')
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = [str(x) for x in read_traces([str(path)]) if isinstance(x, ParseError)]
    seen: list[str] = []
    analyze([str(path)], engine=Processes(2), on_error=lambda e: seen.append(str(e)))
    assert any(":1201: JSON line longer than" in x for x in whole)
    assert seen == whole


def test_errors_of_a_split_file_are_capped_across_its_ranges(
    tmp_path: Path, small_split: None
) -> None:
    """At most 100 errors a file, then one line counting the rest, with or without workers."""
    lines = [f'{{"type": "traceroute", "result": {n}}}' for n in range(40_000)]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one: list[str] = []
    two: list[str] = []
    analyze([str(path)], on_error=lambda e: one.append(str(e)))
    analyze([str(path)], engine=Processes(2), on_error=lambda e: two.append(str(e)))
    assert len(units.plan_units([str(path)], jobs=2)) > 1
    assert (
        two == one
        and len(one) == 101
        and one[-1].endswith("39900 more errors in this file not shown")
    )


def test_partials_merged_in_order_equal_one_aggregate(inputs: list[str], tmp_path: Path) -> None:
    """In-process: three parts of the text folder, merged, give the whole folder's graph
    (each node's predecessors in the same order too)."""
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    whole = finish(aggregate(read_traces(files)))
    first = aggregate(read_traces(files[:40]))
    first.merge(aggregate(read_traces(files[40:80])))
    first.merge(aggregate(read_traces(files[80:])))
    merged = finish(first)
    a = write_graph_json(whole.graph, tmp_path / "a.json").read_bytes()
    b = write_graph_json(merged.graph, tmp_path / "b.json").read_bytes()
    assert a == b
    assert [list(p) for p in merged.graph.pred.values()] == [
        list(p) for p in whole.graph.pred.values()
    ]
    assert [str(e) for e in whole.errors] == [str(e) for e in merged.errors]


def test_a_partial_crosses_processes_by_plain_pickling(inputs: list[str]) -> None:
    partial = aggregate(read_traces(inputs[:2]))
    back = pickle.loads(pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL))
    assert list(back.answers.items()) == list(partial.answers.items())
    assert back.verdicts == partial.verdicts
    assert back.builder.nodes == partial.builder.nodes
    assert list(back.builder.edge_items()) == list(partial.builder.edge_items())


def test_no_domain_type_pickles_its_own_way() -> None:
    """Storage formats stay out of the domain: no custom pickling on the model, the
    core's types or the owners' answers."""
    from topo import model
    from topo.owners import model as owners_model
    from topo.topology import digest, graph, infer, result, views

    for module in (model, owners_model, digest, graph, infer, result, views):
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for method in ("__getstate__", "__setstate__", "__reduce__", "__reduce_ex__"):
                    own = vars(value).get(method)
                    made_by_dataclasses = getattr(own, "__name__", "").startswith("_dataclass")
                    assert own is None or made_by_dataclasses, f"{value.__name__}.{method}"
    for cls in (Partial,):
        assert "__getstate__" not in vars(cls)


def test_the_one_process_engine_counts_files_bytes_and_traces(inputs: list[str]) -> None:
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    topology = analyze(inputs[:2], engine=OneProcess(), progress=progress)
    files = [f for f in iter_input_paths(inputs[:2]) if isinstance(f, str)]
    assert (progress.files, progress.count) == (len(files), topology.trace_count)
    assert progress.bytes == sum(Path(f).stat().st_size for f in files)


def test_the_processes_engine_counts_each_part_as_it_is_merged(
    inputs: list[str], small_split: None
) -> None:
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    topology = analyze(inputs, engine=Processes(2), progress=progress)
    files = [f for f in iter_input_paths(inputs) if isinstance(f, str)]
    assert (progress.files, progress.count) == (len(files), topology.trace_count)
    assert progress.bytes == sum(Path(f).stat().st_size for f in files)


def test_a_worker_that_fails_stops_the_build_with_its_error(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_split: None
) -> None:
    parent = os.getpid()
    real = processes.read_group

    def broken(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("worker broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(processes, "read_group", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the runs' files go
    with pytest.raises(RuntimeError, match="worker broke"):
        analyze(inputs, engine=Processes(2))
    assert list(tmp_path.iterdir()) == []  # the folder of the workers' results is gone


def test_the_workers_results_leave_no_file_behind(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_split: None
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[str] = []
    real = processes._load

    def load(name: str) -> Any:
        seen.append(name)
        assert Path(name).parent.parent == tmp_path and Path(name).exists()
        return real(name)

    monkeypatch.setattr(processes, "_load", load)
    analyze(inputs, engine=Processes(3))
    assert len(seen) == 2 and list(tmp_path.iterdir()) == []


#: The Dask ordering test's units, the first one's wait for the others, and the real
#: reader (module-level: the cluster's worker threads run :func:`_first_last` by name).
_PLANNED: list[units.Unit] = []
_OTHERS_DONE = threading.Semaphore(0)
_READ_UNIT = dask._dask_unit


def _first_last(unit: units.Unit, job: Job) -> Any:
    """Read ``unit``, the first planned one only once every other one is read."""
    if unit == _PLANNED[0]:
        for _ in _PLANNED[1:]:
            assert _OTHERS_DONE.acquire(timeout=120)
        return _READ_UNIT(unit, job)
    try:
        return _READ_UNIT(unit, job)
    finally:
        _OTHERS_DONE.release()


def test_dask_merges_units_in_input_order_whatever_order_they_arrive(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch, small_split: None
) -> None:
    """The Dask engine's units come back as the cluster finishes them (here the first one
    last: it waits for the others); the merge still follows the input's order, and the
    progress line counts every unit."""
    _PLANNED[:] = units.plan_units(inputs, jobs=2)
    assert len(_PLANNED) > 3
    monkeypatch.setattr(dask, "_dask_unit", _first_last)
    order: list[int] = []
    in_order = dask.in_input_order

    def recorded(planned_units: Any, arrived: Any) -> Iterator[Any]:
        return in_order(planned_units, ((order.append(n), (n, r))[1] for n, r in arrived))

    monkeypatch.setattr(dask, "in_input_order", recorded)
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    # worker threads in this process: they run the patched function
    with _local_cluster(processes=False) as cluster:
        got = analyze(inputs, engine=Dask(2, cluster.scheduler_address), progress=progress)
    assert sorted(order) == list(range(len(_PLANNED))) and order[-1] == 0  # the first, last
    assert _as_data(got) == _as_data(analyze(inputs))
    files = [f for f in iter_input_paths(inputs) if isinstance(f, str)]
    assert progress.files == len(files) and progress.count == got.trace_count
    assert progress.bytes == sum(Path(f).stat().st_size for f in files)


def _on_a_terminal(args: list[str]) -> str:
    """What ``topo`` writes to standard error when it is a terminal (a pseudo-terminal
    here), its JSON Lines files cut as in the tests above."""
    import pty

    code = (
        f"import sys, topo.engines.units as u; u.SPLIT_BYTES = {SPLIT}; "
        "from topo.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=follower,
    ) as process:  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.wait(timeout=600) in (0, 1)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("command", ["build", "infer"])
def test_the_progress_line_on_a_terminal(inputs: list[str], tmp_path: Path, command: str) -> None:
    args = [command, *inputs[:2], "--offline", "--no-cache", "--jobs", "2"]
    # --force: the second run writes the graph file the first one wrote
    args += (
        ["--graph-json", str(tmp_path / "g.json"), "--force"] if command == "build" else ["--json"]
    )
    shown = _on_a_terminal(args).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in shown.splitlines() if re.match(r"topo: [0-9]", line)]
    size = sum(Path(p).stat().st_size for p in iter_input_paths(inputs[:2]))  # type: ignore[arg-type]
    stages = [line.split("; ", 1)[1] for line in lines if "; " in line]
    assert stages and stages[-1] == "building the graph", lines
    final = [line for line in lines if "; " not in line and " of " not in line]
    assert final[-1].startswith(f"topo: 121 files, {size / 1e6:.1f} MB, 1,619 traces ("), lines
    assert not re.search(r"topo: [0-9]", _on_a_terminal([*args, "--quiet"]))


def test_infer_with_jobs_gives_the_inference_of_one_process(inputs: list[str]) -> None:
    args = ["infer", *inputs[:2], "--offline", "--no-cache", "--json", "--jobs"]
    said = [
        subprocess.run(
            [sys.executable, "-m", "topo", *args, jobs], capture_output=True, text=True, check=False
        )
        for jobs in ("1", "2")
    ]
    assert said[0].returncode == said[1].returncode == 1  # the broken lines
    assert said[0].stdout == said[1].stdout and json.loads(said[0].stdout)["traces"]


def test_traces_in_memory_are_analysed_with_or_without_an_engine() -> None:
    """``analyze`` also takes parsed traces (an engine reads paths: the traces are read
    here), and a single path."""
    traces = list(read_traces(["samples/aws-tokyo-seoul"]))
    manifests = manifests_for(["samples/aws-tokyo-seoul"])
    from_traces = analyze(traces, manifests=manifests)
    from_path = analyze("samples/aws-tokyo-seoul")
    assert nx.utils.graphs_equal(from_traces.graph, from_path.graph)
    assert from_traces.inference == from_path.inference
    streamed = analyze(iter(traces), manifests=manifests, engine=Processes(2))
    assert streamed.inference == from_path.inference
