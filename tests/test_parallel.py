"""One process, ``--jobs 2`` and Dask give identical results (issue 9).

The same inputs (a JSON Lines file cut into line ranges, a folder of text traces with a
manifest, broken lines, a missing file) go through ``topo build --graph-json`` with one
process, two forked workers and a local two-worker Dask cluster: the graph files must be
byte-identical (nodes, edges, every attribute, the inference) and stderr the same.
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
import time
from pathlib import Path
from typing import Any

import pytest

from topo import parallel
from topo.cli.progress import IngestProgress
from topo.errors import ParseError, TopoError
from topo.graph_json import write_graph_json
from topo.inputs import read_traces
from topo.parallel import Job, build_partial, plan_units
from topo.pipeline import Partial, aggregate, finish
from topo.topology.digest import digest_trace
from topo.topology.views import view_digest

from .test_scale import _synth


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    synth = _synth()
    root = tmp_path_factory.mktemp("parallel")
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


def _build(inputs: list[str], out: Path, *extra: str) -> tuple[bytes, str, int]:
    env_split = str(256 * 1024)  # small enough to cut the test's JSON Lines file
    code = (
        "import sys, topo.parallel as p; p.SPLIT_BYTES = int(sys.argv[1]); "
        "from topo.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, env_split, "build", *inputs, "--offline", "--no-cache",
         "--quiet", "--graph-json", str(out), *extra],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return out.read_bytes(), done.stderr, done.returncode


def test_the_json_lines_file_is_cut_into_line_ranges(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    units = plan_units(inputs, jobs=2)
    ranges = [u for u in units if u.is_range]
    assert len(ranges) >= 2
    assert ranges[0].start == 0 and ranges[0].first_line == 1
    data = Path(inputs[0]).read_bytes()
    for before, after in itertools.pairwise(ranges):
        assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"
        assert after.first_line == data[: after.start].count(b"\n") + 1
    assert ranges[-1].end == len(data)
    assert [u.error is not None for u in units][-1]  # the missing file, in its place


def test_line_starts_scanned_in_small_chunks_match_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut points found chunk by chunk (chunks of 1 to 64 bytes, so that lines and new
    lines straddle them) are those the whole file's bytes give."""
    rng = random.Random(7)
    for trial in range(400):
        monkeypatch.setattr(parallel, "SCAN_BYTES", rng.choice([1, 2, 3, 5, 8, 64]))
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 60)))
        path = tmp_path / f"{trial}.jsonl"
        path.write_bytes(data)
        cuts = [0, *(rng.randint(0, len(data) + 2) for _ in range(rng.randint(0, 6)))]
        expected = []
        for cut in sorted(cuts):
            at = 0 if cut == 0 else data.find(b"\n", max(cut - 1, 0)) + 1
            if (at or cut == 0) and (not expected or expected[-1][0] != at):
                expected.append((at, data[:at].count(b"\n") + 1))
        assert parallel._line_starts(str(path), cuts) == expected, (data, cuts)


def test_ranges_read_the_same_digests_as_the_whole_file(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    whole = [str(x) if isinstance(x, ParseError) else x for x in read_traces([inputs[0]])]
    pieces = []
    for unit in plan_units([inputs[0]], jobs=2):
        for item in parallel._range_items(unit, Job()):
            pieces.append(str(item) if isinstance(item, ParseError) else item)
    assert pieces == whole
    assert any(isinstance(x, str) and ":12: invalid JSON" in x for x in whole)


def test_jobs_2_and_dask_build_the_same_graph_as_one_process(
    inputs: list[str], tmp_path: Path
) -> None:
    one, one_err, one_code = _build(inputs, tmp_path / "one.json", "--jobs", "1")
    two, two_err, two_code = _build(inputs, tmp_path / "two.json", "--jobs", "2")
    dask, dask_err, dask_code = _build(
        inputs, tmp_path / "dask.json", "--engine", "dask", "--jobs", "2"
    )
    assert one_code == two_code == dask_code == 1  # the broken lines and the missing file
    assert b'"nodes"' in one and len(one) > 100_000
    assert two == one
    assert dask == one
    for err in (one_err, two_err, dask_err):
        assert "missing.txt: no such file or directory" in err
        assert ":12: invalid JSON" in err and "t050.txt" in err
    assert two_err == one_err
    assert [line for line in dask_err.splitlines() if "topo:" not in line] == [
        line for line in one_err.splitlines() if "topo:" not in line
    ]


def _on_a_terminal(args: list[str]) -> str:
    """What ``topo`` writes to standard error when it is a terminal (a pseudo-terminal
    here), its JSON Lines files cut as in :func:`_build`."""
    import pty

    code = (
        "import sys, topo.parallel as p; p.SPLIT_BYTES = 256 * 1024; "
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


def test_the_progress_line_says_how_much_is_read_and_what_follows(
    inputs: list[str], tmp_path: Path
) -> None:
    build = ["build", *inputs[:2], "--offline", "--no-cache", "--graph-json",
             str(tmp_path / "g.json"), "--jobs", "2"]  # fmt: skip
    shown = _on_a_terminal(build).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in shown.splitlines() if re.match(r"topo: [0-9]", line)]
    size = sum(Path(p).stat().st_size for p in parallel.iter_input_paths(inputs[:2]))
    reading = [line for line in lines if " of " in line and " MB (" in line]
    assert reading and all(f" of {size / 1e6:.1f} MB (" in line for line in reading)
    stages = [line.split("; ", 1)[1] for line in lines if "; " in line]
    assert stages[0].startswith("merging ") and stages[-1] == "building the graph", lines
    traces = len(json.loads((tmp_path / "g.json").read_bytes())["graph"]["trace_paths"])
    final = [line for line in lines if "; " not in line and " of " not in line]
    assert final[-1].startswith(f"topo: 121 files, {size / 1e6:.1f} MB, {traces:,} traces (")
    assert not re.search(r"topo: [0-9]", _on_a_terminal([*build, "--quiet"]))


def test_inputs_that_make_one_group_are_read_by_this_process_with_its_progress(
    inputs: list[str], tmp_path: Path
) -> None:
    """A small unit before a large one that is not cut (one group for --jobs 2) is read
    here, the progress line counting it as with --jobs 1."""
    head = tmp_path / "head.jsonl"
    head.write_text("".join(Path(inputs[0]).read_text().splitlines(True)[:80]))
    paths = [str(head), inputs[0]]
    units = plan_units(paths, jobs=2)
    assert len(units) == 2 and len(parallel._groups(units, 2, parallel.PARENT_WEIGHT)) == 1
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    errors: list[ParseError] = []
    partial = build_partial(paths, Job(), jobs=2, report=errors.append, progress=progress)
    assert (progress.files, progress.count) == (2, partial.traces) and partial.traces > 1000
    assert progress.bytes == sum(Path(p).stat().st_size for p in paths)


def test_partials_merged_in_order_equal_one_aggregate(inputs: list[str], tmp_path: Path) -> None:
    """In-process: two halves of the text folder, merged, give the whole folder's graph."""
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    whole = finish(aggregate(read_traces(files)))
    first = aggregate(read_traces(files[:60]))
    first.merge(aggregate(read_traces(files[60:])))
    merged = finish(first)
    a = write_graph_json(whole.graph, tmp_path / "a.json").read_bytes()
    b = write_graph_json(merged.graph, tmp_path / "b.json").read_bytes()
    assert a == b
    assert [str(e) for e in whole.errors] == [str(e) for e in merged.errors]


def test_a_graph_given_early_keeps_its_edges_and_the_builder_goes_on(
    inputs: list[str], tmp_path: Path
) -> None:
    """``graph()`` gives the builder's dicts to the graph; a builder that then merges more
    (or reads more traces) takes copies first: the early graph keeps the nodes and edges
    it had, and the final graph is one process's, in the same order (also each node's
    predecessors)."""
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    whole = finish(aggregate(read_traces(files)))
    first = aggregate(read_traces(files[:40]))
    early = first.builder.graph()
    early_nodes, early_edges = list(early.nodes), list(early.edges)
    first.merge(aggregate(read_traces(files[40:80])))
    first.merge(aggregate(read_traces(files[80:])))
    merged = finish(first)
    assert list(early.nodes) == early_nodes and list(early.edges) == early_edges
    assert len(early_edges) < merged.graph.number_of_edges()
    a = write_graph_json(whole.graph, tmp_path / "a.json").read_bytes()
    b = write_graph_json(merged.graph, tmp_path / "b.json").read_bytes()
    assert a == b
    assert list(merged.graph.edges) == list(whole.graph.edges)
    assert [list(p) for p in merged.graph.pred.values()] == [
        list(p) for p in whole.graph.pred.values()
    ]


def test_a_pickled_builder_keeps_its_edges_their_order_and_sharing(inputs: list[str]) -> None:
    """What a worker sends (its builder, edges packed as columns) unpickles to the same
    edges in the same order, each node's predecessors in theirs, one attribute dict per
    edge in ``succ`` and ``pred``; edges with other attributes (a silent destination's)
    keep their place."""
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    samples = str(Path(__file__).resolve().parent.parent / "samples")  # silent destinations
    builder = aggregate(read_traces([inputs[0], *files, samples])).builder
    edges = list(builder.edge_items())
    assert any("unreached" in data for _, data in edges)
    back = pickle.loads(pickle.dumps(builder, protocol=pickle.HIGHEST_PROTOCOL))
    assert list(back.edge_items()) == edges
    assert list(back.nodes.items()) == list(builder.nodes.items())
    assert [(k, list(p)) for k, p in back.pred.items()] == [
        (k, list(p)) for k, p in builder.pred.items()
    ]
    assert all(back.pred[v][u] is data for (u, v), data in back.edge_items())


def test_equal_rtt_deltas_are_one_float_in_a_finished_and_in_an_unpickled_builder(
    inputs: list[str],
) -> None:
    """A finished builder keeps one float object per distinct RTT delta (a large graph's
    million deltas hold a few thousand values), and so does the builder a worker's part
    unpickles to (pickle writes each float apart); the values are what they were."""
    builder = aggregate(read_traces([inputs[0]])).builder
    raw = [round(data["rtt_delta_min"], 6) for _, data in builder.edge_items()
           if isinstance(data.get("rtt_delta_min"), float)]  # fmt: skip
    builder.finish()
    back = pickle.loads(pickle.dumps(builder, protocol=pickle.HIGHEST_PROTOCOL))
    for held in (builder, back):
        deltas = [data["rtt_delta_min"] for _, data in held.edge_items()
                  if isinstance(data.get("rtt_delta_min"), float)]  # fmt: skip
        assert deltas == raw and len(deltas) > 3 * len(set(deltas))
        assert len({id(d) for d in deltas if d}) == len({d for d in deltas if d})


@pytest.mark.parametrize("finished", ["first", "second", "both", "neither"])
def test_finished_builders_merge_into_the_graph_of_one_process(
    inputs: list[str], tmp_path: Path, finished: str
) -> None:
    """Builders whose derived attributes were filled in before the merge (what each process
    of a ``--jobs`` build does), or one of them only, merge into the same graph; so does a
    finished builder that goes on reading traces afterwards."""
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    whole = finish(aggregate(read_traces(files)))
    first = aggregate(read_traces(files[:50]))
    second = aggregate(read_traces(files[50:90]))
    if finished in ("first", "both"):
        first.builder.finish()
        assert first.builder.ttl_sets == {}
    if finished in ("second", "both"):
        second.builder.finish()
    first.merge(second)
    assert first.builder.finished == (finished != "neither")
    rest = aggregate(read_traces(files[90:100]))
    rest.builder.finish()
    first.merge(rest)
    first.merge(aggregate(read_traces(files[100:])))  # unfinished after finished
    merged = finish(first)
    a = write_graph_json(whole.graph, tmp_path / "a.json").read_bytes()
    b = write_graph_json(merged.graph, tmp_path / "b.json").read_bytes()
    assert a == b


def test_a_finished_builder_reads_more_traces_as_if_never_finished(inputs: list[str]) -> None:
    files = sorted(str(p) for p in Path(inputs[1]).glob("t*.txt"))
    digests = [d for d in read_traces(files) if not isinstance(d, ParseError)]
    answers = aggregate(digests).answers
    whole = aggregate(digests, answers).builder.graph()
    builder = aggregate(digests[:70], answers).builder
    builder.finish()
    for index, digest in enumerate(digests[70:]):
        builder.add_view(view_digest(digest_trace(digest, 70 + index), answers))
        if index == 5:
            builder.finish()  # and once more in the middle
    again = builder.graph()
    assert list(again.nodes(data=True)) == list(whole.nodes(data=True))
    assert list(again.edges(data=True)) == list(whole.edges(data=True))
    assert again.graph == whole.graph


def test_a_partial_crosses_processes_whole(inputs: list[str]) -> None:
    """Pickled (as a worker sends it), a partial keeps its owner answers and their order
    (they travel as addresses and the distinct classifications and owners)."""
    partial = aggregate(read_traces(inputs[:2]))
    back = pickle.loads(pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL))
    assert list(back.answers.items()) == list(partial.answers.items())
    assert len({id(a.classification) for a in back.answers.values()}) == len(
        {id(a.classification) for a in partial.answers.values()}
    )
    odd = Partial(answers={"alias": next(iter(partial.answers.values()))})
    assert pickle.loads(pickle.dumps(odd)).answers == odd.answers


def test_build_partial_with_two_workers_reports_errors_in_input_order(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    seen: list[str] = []
    partial = build_partial(inputs, Job(), jobs=2, report=lambda e: seen.append(str(e)))
    assert partial.traces == 1500 + 120 - 1
    assert ":12: invalid JSON" in seen[0]
    assert seen[-1].endswith("missing.txt: no such file or directory")


def test_a_worker_s_large_part_crosses_packed_through_its_pipe(
    inputs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker packs a large part's per-trace results before sending them (the parent
    keeps only its own first ones as objects) and pickles its pieces into a pipe the
    parent unpickles from: the graph, verdicts and errors are one process's."""
    from topo import packed

    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    monkeypatch.setattr(packed, "UNPACKED", 64)  # the parent's own first results
    monkeypatch.setattr(parallel, "UNPACKED", 64)  # a part above 32 results is packed
    one_errors: list[str] = []
    one = build_partial(inputs, Job(), jobs=1, report=lambda e: one_errors.append(str(e)))
    two_errors: list[str] = []
    two = build_partial(inputs, Job(), jobs=2, report=lambda e: two_errors.append(str(e)))
    assert len(two.verdicts) == len(one.verdicts) == 1619
    assert list(two.verdicts) == list(one.verdicts)
    assert two.verdicts.unpacked <= 64 + packed.CHUNK  # the first ones and a last chunk
    assert two_errors == one_errors
    a = write_graph_json(finish(one).graph, tmp_path / "one.json").read_bytes()
    b = write_graph_json(finish(two).graph, tmp_path / "two.json").read_bytes()
    assert a == b


def test_a_jobs_build_widens_its_workers_pipes(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker's pipe gets a PIPE_BUFFER buffer (a worker then pickles its pieces
    ahead of the parent's unpickling instead of waiting on it every 64 KiB)."""
    fcntl = pytest.importorskip("fcntl")
    sizes: list[int] = []
    widen = parallel._widen

    def widen_and_look(fd: int) -> None:
        widen(fd)
        sizes.append(fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ))

    monkeypatch.setattr(parallel, "_widen", widen_and_look)
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    build_partial(inputs, Job(), jobs=2, report=lambda e: None)
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    expected = parallel.PIPE_BUFFER if os.geteuid() == 0 else min(parallel.PIPE_BUFFER, limit)
    assert sizes == [expected, expected]  # this process's unused range and the worker's


def _piece(first: int, count: int, tag: str) -> Any:
    """A piece of ``count`` units from unit ``first`` whose partial counts ``first`` traces
    and has one error per unit, named ``tag``."""
    units = [parallel.Unit(paths=(f"u{first + i}",)) for i in range(count)]
    errors = [[ParseError("bad", path=f"{tag}{first + i}", line=1)] for i in range(count)]
    return parallel._Piece(first, units, Partial(traces=first), errors)


def test_the_parts_merge_in_input_order_each_let_go_before_the_next_arrives() -> None:
    """This process's pieces and the workers' (which arrive in input order per worker)
    merge in input order; a merged part is no longer held when the next one arrives (its
    leftovers go then); a hole in the units is an error, not a silent gap."""
    import weakref

    own = [_piece(0, 2, "own"), _piece(7, 1, "took")]  # its range, and one unit it took over
    sent = [_piece(2, 3, "w"), _piece(5, 2, "w"), _piece(8, 2, "w")]
    merged_parts: list[weakref.ref[Partial]] = []
    held_when_arriving: list[bool] = []

    def arriving() -> Any:
        while sent:
            held_when_arriving.append(any(ref() is not None for ref in merged_parts))
            piece = sent.pop(0)
            merged_parts.append(weakref.ref(piece.partial))
            yield piece
            del piece

    weakref_of_took = weakref.ref(own[1].partial)
    reported: list[str] = []
    total = parallel._merged(parallel._in_order(own, arriving()), lambda e: reported.append(str(e)))
    assert total.traces == 0 + 2 + 5 + 7 + 8
    assert [r.split(":")[0] for r in reported] == [
        "own0", "own1", "w2", "w3", "w4", "w5", "w6", "took7", "w8", "w9"
    ]  # fmt: skip
    assert held_when_arriving == [False, False, False]  # each part merged and gone
    assert own == [] and weakref_of_took() is None
    with pytest.raises(TopoError, match="units from 2 on"):
        list(parallel._in_order([_piece(0, 2, "own")], iter([_piece(3, 1, "w")])))


@pytest.mark.parametrize("when", ["before sending", "while sending"])
def test_a_worker_that_fails_stops_the_build_with_its_error(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """A worker's error reaches this process, which does not wait for the rest of a pipe
    that will never come (the other workers keep its write end open)."""
    import signal

    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    parent = os.getpid()
    if when == "before sending":
        real = parallel.aggregate_units

        def broken(*args: Any, **kwargs: Any) -> Any:
            if os.getpid() != parent:
                raise RuntimeError("worker broke")
            return real(*args, **kwargs)

        monkeypatch.setattr(parallel, "aggregate_units", broken)
    else:

        def broken_dump(value: Any, stream: Any, protocol: int | None = None) -> None:
            data = pickle.dumps(value, protocol=protocol)
            if len(data) <= 200_000:  # the count of pieces, a unit taken over: sent whole
                stream.write(data)
                return
            # a large piece (the worker's own range): the parent is left in its middle
            stream.write(data[: len(data) // 2])
            stream.flush()
            raise RuntimeError("worker broke")

        monkeypatch.setattr(parallel.pickle, "dump", broken_dump)

    def hung(*_: Any) -> None:
        raise TimeoutError("the build waited for a worker that had failed")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        with pytest.raises(RuntimeError, match="worker broke"):
            build_partial(inputs, Job(), jobs=2, report=lambda e: None)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("slow", "jobs"), [("worker", 2), ("this process", 2), ("worker", 3)])
def test_a_slow_process_s_units_are_taken_over_and_the_graph_is_the_same(
    inputs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: str, jobs: int
) -> None:
    """Processes made slow (a busy core): the others take over the later half of their
    ranges, as pieces of their own, and the merged graph and errors are those of one
    process."""
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    monkeypatch.setattr(parallel, "MIN_UNIT_BYTES", 16 * 1024)
    one_errors: list[str] = []
    one = finish(build_partial(inputs, Job(), jobs=1, report=lambda e: one_errors.append(str(e))))
    parent = os.getpid()
    real = parallel.aggregate_units

    def slowed(*args: Any, **kwargs: Any) -> Any:
        if (os.getpid() == parent) == (slow == "this process"):
            time.sleep(0.2)
        return real(*args, **kwargs)

    pieces: list[list[Any]] = []
    real_merged = parallel._merged

    def merged(results: Any, report: Any) -> Any:
        results = list(results)
        pieces.append([units for units, _ in results])
        return real_merged(results, report)

    monkeypatch.setattr(parallel, "aggregate_units", slowed)
    monkeypatch.setattr(parallel, "_merged", merged)
    two_errors: list[str] = []
    two = finish(
        build_partial(inputs, Job(), jobs=jobs, report=lambda e: two_errors.append(str(e)))
    )
    units = parallel.plan_units(inputs, jobs=jobs)
    assert len(units) > 8
    (read,) = pieces
    assert len(read) > jobs  # the ranges, and at least one taken over
    assert [u for piece in read for u in piece] == units  # each unit once, in order
    a = write_graph_json(one.graph, tmp_path / "one.json").read_bytes()
    b = write_graph_json(two.graph, tmp_path / "two.json").read_bytes()
    assert a == b
    assert two_errors == one_errors and len(one_errors) > 2


def test_shares_give_every_unit_once_in_consecutive_ranges() -> None:
    """Three processes taking and stealing in random orders: every unit is read once, and
    each piece is a run of consecutive units."""
    rng = random.Random(9)
    for _ in range(300):
        sizes = [rng.randint(0, 6) for _ in range(3)]
        bounds: list[int] = []
        for size in sizes:
            start = bounds[-1] if bounds else 0
            bounds += [start, start + size]
        shares = parallel._Shares(bounds)
        pieces: dict[int, list[list[int]]] = {0: [], 1: [], 2: []}
        current: dict[int, list[int] | None] = {0: None, 1: None, 2: None}
        active = [0, 1, 2]
        while active:
            process = rng.choice(active)
            index = shares.take(process)
            if index is None:
                index = shares.steal(process)
                if index is None:
                    active.remove(process)
                    continue
                current[process] = None
            if current[process] is None:
                current[process] = []
                pieces[process].append(current[process])  # type: ignore[arg-type]
            current[process].append(index)  # type: ignore[union-attr]
        every = sorted(u for runs in pieces.values() for run in runs for u in run)
        assert every == list(range(sum(sizes)))
        for runs in pieces.values():
            for run in runs:
                assert run == list(range(run[0], run[0] + len(run)))


def test_a_line_over_the_json_limit_in_a_range_is_the_same_error(
    inputs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    monkeypatch.setenv("TOPO_MAX_JSON_BYTES", "64k")
    lines = Path(inputs[0]).read_text(encoding="utf-8").splitlines()
    lines.insert(1200, '{"type": "traceroute", "padding": "' + "p" * 100_000 + '"}')
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = [str(x) for x in read_traces([str(path)]) if isinstance(x, ParseError)]
    seen: list[str] = []
    build_partial([str(path)], Job(), jobs=2, report=lambda e: seen.append(str(e)))
    assert any(":1201: JSON line longer than" in x for x in whole)
    assert seen == whole


def test_dask_on_a_scheduler_address_builds_the_same_graph(
    inputs: list[str], tmp_path: Path
) -> None:
    """``--scheduler ADDRESS``: a cluster started apart (here two local worker processes)."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:  # fmt: skip
        remote, _, remote_code = _build(
            inputs, tmp_path / "remote.json", "--engine", "dask",
            "--scheduler", cluster.scheduler_address,
        )  # fmt: skip
        assert len(cluster.workers) == 2
    one, _, one_code = _build(inputs, tmp_path / "one.json", "--jobs", "1")
    assert remote_code == one_code == 1
    assert remote == one


def test_dask_counts_progress_as_units_arrive_and_merges_them_in_input_order(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dask engine's units come back as the cluster finishes them (here the first one
    last: it is slowed); the progress line counts each one's files, bytes and traces as it
    arrives, and the merge still follows the input's order (the one-process partial)."""
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 256 * 1024)
    units = plan_units(inputs, jobs=2)
    assert len(units) > 3
    first = units[0]
    real = parallel._dask_unit

    def first_slow(unit: parallel.Unit, job: Job) -> Any:
        if unit == first:
            time.sleep(1.5)
        return real(unit, job)

    monkeypatch.setattr(parallel, "_dask_unit", first_slow)
    monkeypatch.setattr(parallel, "plan_units", lambda *a, **k: units)
    order: list[int] = []
    in_order = parallel._in_input_order

    def recorded(units: Any, arrived: Any, progress: Any) -> Any:
        return in_order(units, ((order.append(n), (n, r))[1] for n, r in arrived), progress)

    monkeypatch.setattr(parallel, "_in_input_order", recorded)
    progress = IngestProgress(io.StringIO(), enabled=True, interval=0)
    errors: list[ParseError] = []
    from dask.distributed import LocalCluster

    # worker threads in this process: they run the slowed function
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:  # fmt: skip
        partial = parallel.build_partial_dask(
            inputs, Job(), jobs=2, scheduler=cluster.scheduler_address,
            report=errors.append, progress=progress,
        )  # fmt: skip
    files = list(parallel.iter_input_paths(inputs))
    readable = [f for f in files if isinstance(f, str)]
    assert progress.files == len(readable) and len(readable) < len(files)  # one is missing
    assert progress.bytes == sum(Path(f).stat().st_size for f in readable)
    assert progress.count == partial.traces
    assert sorted(order) == list(range(len(units))) and order[0] != 0  # the first came late
    whole_errors: list[ParseError] = []
    whole = build_partial(inputs, Job(), jobs=1, report=whole_errors.append)
    assert [str(e) for e in errors] == [str(e) for e in whole_errors]
    G, H = finish(partial).graph, finish(whole).graph
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(data=True)) == list(H.edges(data=True))


def test_infer_reads_like_build_with_jobs_and_a_progress_line(inputs: list[str]) -> None:
    """``topo infer`` takes build's reading options: the same inference from one process
    and two, and the progress line on a terminal."""
    args = ["infer", *inputs[:2], "--offline", "--no-cache", "--json"]
    command = [sys.executable, "-m", "topo", *args, "--jobs"]
    said = [
        subprocess.run([*command, jobs], capture_output=True, text=True, check=False)
        for jobs in ("1", "2")
    ]
    assert said[0].returncode == said[1].returncode == 1  # the broken lines
    assert said[0].stdout == said[1].stdout and json.loads(said[0].stdout)["traces"]
    shown = _on_a_terminal([*args, "--jobs", "2"])
    assert re.search(r"topo: 121 files, [0-9.]+ MB, [0-9,]+ traces \(", shown), shown
