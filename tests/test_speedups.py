"""The compiled road (topo._speedups) gives exactly what the Python road gives.

Each compiled function is held to the Python function it speeds up: on the golden files,
on synthetic benchmark data (where it must also really take the compiled road, not hand
everything back), on hypothesis-fuzzed input, and through the whole ``topo build``
(``TOPO_PURE_PYTHON=1`` against the default: byte-identical graph files).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topo.parsers import atlas

from .test_digest import RECORDS, _mutate, _mutations
from .test_fuzz import EXAMPLES
from .test_scale import _synth

ROOT = Path(__file__).resolve().parents[1]
HAVE_COMPILER = (
    shutil.which(os.environ.get("CC", "cc")) is not None
    and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()
)


def _atlas_file(path: Path, count: int) -> Path:
    path.write_text("\n".join(_synth().atlas_lines(count, 1, 2000)) + "\n", encoding="utf-8")
    return path


def _text_dir(path: Path, count: int) -> Path:
    import random

    synth = _synth()
    rng = random.Random(1)
    pool = synth.address_pool(rng, 500)
    path.mkdir()
    for number, (dst, hops) in enumerate(synth.paths(rng, pool, count)):
        (path / f"trace-{number:04d}.txt").write_text(synth.text_trace(dst, hops, rng))
    return path


def _native() -> Any:
    try:
        from topo import _speedups  # type: ignore[attr-defined]
    except ImportError:
        if HAVE_COMPILER:
            raise
        pytest.skip("needs a C compiler (cc) and Python.h to build topo._speedups")
    return _speedups


def test_compiled_road_is_built_where_a_compiler_is() -> None:
    """``pip install`` builds the extension when it can (optional=True must not hide a
    broken build on a machine that has everything)."""
    if not HAVE_COMPILER:
        pytest.skip("needs a C compiler (cc) and Python.h to build topo._speedups")
    assert importlib.util.find_spec("topo._speedups") is not None
    assert _native().atlas_steps([], None) == ((), False)


def _python_steps(hops: Any, dst: Any) -> Any:
    try:
        return atlas._hop_steps(hops, dst)
    except (TypeError, ValueError, AttributeError, OverflowError) as err:
        return type(err)


def _compare(result: Any) -> Any:
    """The compiled answer (None: handed back), after checking it against Python's."""
    native = _native()
    hops = result.get("result") if isinstance(result, dict) else None
    dst = (result.get("dst_addr") or None) if isinstance(result, dict) else None
    fast = native.atlas_steps(hops, dst)
    if fast is not None:
        assert fast == _python_steps(hops, dst)
    return fast


def test_atlas_steps_equal_python_on_golden_records() -> None:
    handled = [_compare(record) for record in RECORDS]
    assert any(h is not None for h in handled)


def test_atlas_steps_take_the_compiled_road_on_ordinary_data(tmp_path: Path) -> None:
    import orjson

    path = _atlas_file(tmp_path / "a.jsonl", 300)
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    handled = [_compare(record) for record in records]
    assert all(h is not None for h in handled)  # stars, ECMP, silent hops: all compiled


ODD = [
    {"result": [{"hop": 2, "result": [{"from": "a", "rtt": 1.0}]}, {"hop": 1, "result": []}]},
    {"result": [{"hop": True, "result": [{"from": "a", "rtt": 1}]}]},
    {"result": [{"hop": 10**30, "result": [{"from": "a", "rtt": 1}]}]},
    {"result": [{"hop": 1, "result": [{"from": "a", "rtt": 10**400}]}]},
    {"result": [{"hop": 1, "result": [{"from": "a", "rtt": float("nan")}]}]},
    {"result": [{"hop": 1, "result": [{"from": "a", "rtt": 2.5e-7}, {"from": "a", "rtt": 5e-7}]}]},
    {"result": [{"hop": 1, "result": [{"from": 5, "rtt": 1.0}]}]},
    {"result": [{"hop": 1, "result": [{"from": "", "rtt": 1.0}, {"from": None}]}]},
    {"result": [{"hop": 1, "result": "abc"}, {"hop": 2, "error": "x", "result": []}]},
    {"result": [{"hop": 1, "result": [{"from": "a", "rtt": True}, {"x": "*", "from": "b"}]}]},
    {"result": [{"hop": 1, "result": [{"from": "a", "icmpext": {"obj": []}, "rtt": 1.0}]}]},
    {"result": [{"hop": 1, "result": [{"from": "b", "rtt": 3.0}, {"from": "a", "rtt": -0.0},
                                      {"from": "b", "rtt": 0.0}, {"from": "a", "rtt": 0.0}]}],
     "dst_addr": "a"},
    {"result": [{"hop": 1, "result": [{"from": f"10.0.0.{i}", "rtt": i} for i in range(20)]}],
     "dst_addr": "10.0.0.19"},
    {"result": None},
    {"result": {"hop": 1}},
    {"result": [{"hop": 1, "result": [{"from": "a"}]}, {"hop": 2}, {"hop": 3, "result": []}],
     "dst_addr": 7},
]  # fmt: skip


@pytest.mark.parametrize("result", ODD, ids=[f"odd-{i}" for i in range(len(ODD))])
def test_atlas_steps_equal_python_on_odd_results(result: dict[str, Any]) -> None:
    _compare(result)


@settings(max_examples=EXAMPLES * 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(RECORDS), _mutations())
def test_atlas_steps_equal_python_on_fuzzed_results(result: Any, mutation: Any) -> None:
    seed, changes = mutation
    _compare(_mutate(result, seed, changes))


def _build(inputs: list[Path], out: Path, *, pure: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOPO_PURE_PYTHON": "1" if pure else "0"}
    return subprocess.run(
        [sys.executable, "-m", "topo", "build", *map(str, inputs), "--offline", "--no-cache",
         "--graph-json", str(out), "--quiet", "--jobs", "1"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def test_topo_build_gives_the_same_graph_on_both_roads(tmp_path: Path) -> None:
    _native()
    atlas_file = _atlas_file(tmp_path / "a.jsonl", 400)
    text_dir = _text_dir(tmp_path / "text", 60)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(atlas_file.read_bytes()[:5000] + b"\n{not json\n")
    inputs = [atlas_file, text_dir, broken, *sorted((ROOT / "samples").glob("*"))[:3]]
    compiled = _build(inputs, tmp_path / "c.json", pure=False)
    python = _build(inputs, tmp_path / "p.json", pure=True)
    assert compiled.returncode == python.returncode
    assert compiled.stderr == python.stderr
    assert (tmp_path / "c.json").read_bytes() == (tmp_path / "p.json").read_bytes()


def test_version_names_the_road() -> None:
    _native()
    for pure, road in (("0", "compiled"), ("1", "python")):
        env = {**os.environ, "TOPO_PURE_PYTHON": pure}
        shown = subprocess.run(
            [sys.executable, "-m", "topo", "--version"], capture_output=True, text=True, env=env
        )
        assert shown.stdout.strip().endswith(f"(hot loops: {road})")


def _views_of(paths: list[Path]) -> list[Any]:
    from topo.inputs import read_traces
    from topo.manifest import manifest_for_trace, manifests_for
    from topo.parsers import ParseResult
    from topo.steps import answers_for, view_trace

    traces = ParseResult.collect(read_traces(paths)).traces
    answers = answers_for(traces)
    manifests = manifests_for(paths)
    return [
        view_trace(t, answers, manifest=manifest_for_trace(t, manifests), index=i)
        for i, t in enumerate(traces)
    ]


def _builder_state(builder: Any) -> Any:
    return (
        list(builder.nodes.items()),
        list(builder.edge_items()),
        [(key, list(into)) for key, into in builder.pred.items()],  # the order of each
        list(builder.rtt_ns.items()),
        list(builder.ttl_sets.items()),
        builder.graph_attrs,
    )


def _builders_of_both_roads(views: list[Any]) -> list[Any]:
    """A builder of ``views`` aggregated by the compiled graph steps, then one by Python's."""
    from topo import graph

    builders = []
    for road in (_native().graph_steps, None):
        saved = graph._graph_steps
        graph._graph_steps = road
        try:
            builder = graph.GraphBuilder()
            for view in views:
                builder.add_view(view)
        finally:
            graph._graph_steps = saved
        builders.append(builder)
    return builders


def _both_builders(views: list[Any]) -> tuple[Any, Any]:
    compiled, python = map(_builder_state, _builders_of_both_roads(views))
    return compiled, python


def test_graph_steps_equal_python_on_samples_and_goldens(tmp_path: Path) -> None:
    from .test_golden import golden_inputs

    views = _views_of([*sorted((ROOT / "samples").glob("*/")), *golden_inputs()])
    compiled, python = _both_builders(views)
    assert compiled == python
    assert any(step.kind == "unknown" for view in views for step in view.steps)  # stars
    assert any(len(step.answers) > 1 for view in views for step in view.steps)  # ECMP
    assert any(s[5] for view in views for step in view.steps for s in step.stats)  # MPLS
    assert any(s[4] for view in views for step in view.steps for s in step.stats)  # names


def test_graph_steps_equal_python_on_synthetic_traces(tmp_path: Path) -> None:
    views = _views_of([_text_dir(tmp_path / "text", 300), _atlas_file(tmp_path / "a.jsonl", 300)])
    compiled, python = _both_builders(views)
    assert compiled == python
    assert len(compiled[1]) > 1000


def test_graph_steps_keep_each_edge_once_in_succ_and_pred(tmp_path: Path) -> None:
    """Both roads put an edge's one attribute dict in ``succ[u][v]`` and ``pred[v][u]``
    (what networkx keeps), and every node has both entries, in the nodes' order."""
    views = _views_of([_text_dir(tmp_path / "text", 200), _atlas_file(tmp_path / "a.jsonl", 50)])
    for builder in _builders_of_both_roads(views):
        assert list(builder.succ) == list(builder.pred) == list(builder.nodes)
        edges = list(builder.edge_items())
        assert all(builder.pred[v][u] is data for (u, v), data in edges)
        assert sum(map(len, builder.pred.values())) == len(edges) > 1000


def test_graph_steps_treat_odd_numbers_as_python_does() -> None:
    """Integer RTTs and TTLs past a machine word take Python's arithmetic on both roads."""
    from topo.digest import TraceDigest
    from topo.steps import answers_for, view_digest

    big = 2**70
    digest = TraceDigest(
        "t:1", "t", None, "192.0.2.9", False,
        ((big, 3, (("198.51.100.1", 3, 3_000_000, 1, ("r1",), ("16/17",)),)),
         (big + 2, None, ()),
         (big + 3, 2.5, (("100.64.0.1", 2.5, 2_500_000, 1, (), ()),
                         ("198.51.100.2", 7, 7_000_000, 2, (), ())))),
    )  # fmt: skip
    from topo.model import Hop, Reply, Trace

    answers = answers_for([Trace(dst="192.0.2.9", hops=(Hop(1, (
        Reply("198.51.100.1"), Reply("100.64.0.1"), Reply("198.51.100.2"))),))])  # fmt: skip
    views = [view_digest(digest, answers)] * 2
    compiled, python = _both_builders(views)
    assert compiled == python


# -- detection: the cheap scans before the line-by-line detectors ---------------------------

_SCANNED = (
    "windows_tracert", "cisco_ios", "inetutils_traceroute", "mtr_report", "paris_traceroute",
    "tracepath", "bsd_traceroute",
)  # fmt: skip


def _heads() -> list[str]:
    from topo.parsers.base import SNIFF_BYTES

    from .test_golden import golden_inputs

    heads = []
    for path in golden_inputs():
        data = path.read_bytes()[:SNIFF_BYTES]
        heads.append(data.decode("utf-8", errors="replace"))
    return heads


def _agree(head: str) -> None:
    import importlib

    from topo.parsers.base import non_blank_lines

    for name in _SCANNED:
        module = importlib.import_module(f"topo.parsers.{name}")
        assert module.sniff(head) == module._sniff_lines(non_blank_lines(head)), name


def test_detector_scans_agree_with_the_line_by_line_detectors_on_goldens() -> None:
    heads = _heads()
    for head in heads:
        _agree(head)
    import importlib

    for module in [importlib.import_module(f"topo.parsers.{name}") for name in _SCANNED]:
        assert any(module.sniff(h) for h in heads)  # each still finds its own format
        assert not all(module.sniff(h) for h in heads)


_PIECES = [
    "  1    <1 ms    <1 ms    <1 ms  192.168.1.1",
    "  2     *        *        *     Request timed out.",
    "  3    12 ms    11 ms    *     gw [10.0.0.1]", " 1  10.0.0.1  0.5 ms  0.6 ms  *",
    " 2  * * *", "  1 10.0.0.1 4 msec 3 msec 2 msec", "Type escape sequence to abort.",
    "Tracing the route to 192.0.2.9", "traceroute to a (10.0.0.9), 64 hops max",
    " 1  10.0.0.1  0.512ms  0.4ms", " 3  10.0.0.3 (x)  1ms  2ms", "Trace complete.",
    "Ablaufverfolgung beendet.", "Routenverfolgung zu x [1.2.3.4]", "\r", "\x0c", "\u2028",
    "12\t<1\tms\t*", "999  1 ms", " 5  1 MS 2 ms 3 ms", "  4  ٣ ms  ٤ ms  ٥ ms  x",
    "traceroute [(10.0.0.1:33456)->(192.0.2.9:33457)], protocol udp, algo hopbyhop",
    "traceroute to x (10.0.0.9), 30 hops max, 60 bytes packets", " 2 P(3, 3) 10.0.0.2 1.0 ms",
    "   MPLS Label 24001 TTL=1", " 1?: [LOCALHOST]                      pmtu 1500",
    " 1:  10.0.0.1                                            0.456ms", " 2:  no reply",
    "     Resume: pmtu 1500 hops 3 back 3", " 1  [AS16509] 10.0.0.1  1.0 ms",
    "    10.0.0.5  1.2 ms", "\t\t\t10.0.0.6 (10.0.0.6)  0.5 ms",
    "HOST: host                          Loss%   Snt   Last   Avg  Best  Wrst StDev",
    "  1.|-- 10.0.0.1                   0.0%    10    0.5   0.6   0.4   0.9   0.1",
    "  2.|-- ???                        100.0    10    0.0   0.0   0.0   0.0   0.0",
    "traceroute to x (10.0.0.9), 64 hops max, 52 byte packets", "\xa0\xa0\xa010.0.0.7 1 ms",
    "  4  * * *  gw [10.0.0.1]", "  5  *  *  *  ", " 6  12 ms  *  *", " 7  * 10.0.0.1 [x]",
    "  8  *\t*\t*\tx", " 9  *  10.0.0.9  1.2 ms  *", "10  * *  1 ms", "  1 10.0.0.1 4 MSEC",
    "  2 10.0.0.2 4 m\u017fec 3 msec", "TRACING THE ROUTE to x", " 3  10.0.0.3  ٣ms  ٤ms",
    "MDA TO x (10.0.0.9), 30 HOPS MAX, 60 BYTES PACKETS", "  mpls label 24001", "\tMPLS Label 1",
    " 4?: 10.0.0.4  1.5ms", " 5:  x (10.0.0.5)  2.0ms asymm 3", "  Resume: pmtu 1500",
    "   10.0.0.8  1 ms", "\t \u200910.0.0.8 (10.0.0.8) 2.5 ms", " 2  [AS0] x",
    "TRACEROUTE TO x (10.0.0.9), 64 HOPS MAX, 40 BYTE PACKETS", "\u2003\u2003\u2003x 1 ms",
]  # fmt: skip


@settings(max_examples=EXAMPLES * 10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=30)), min_size=1, max_size=30),
    st.sampled_from(["\n", "\r\n", "\r", "\n\n", "  \n"]),
)
def test_detector_scans_agree_with_the_line_by_line_detectors_fuzzed(
    lines: list[str], newline: str
) -> None:
    _agree(newline.join(lines))


# -- Linux traceroute text straight to digests --------------------------------------------


def _linux_reference(text: str, source: str) -> Any:
    """What the Python road makes: the digests of the parsed traces, or None when the
    parser reports an error (the compiled road hands such texts back)."""
    from topo.digest import digest_trace
    from topo.errors import ParseError
    from topo.parsers import linux_traceroute

    items = list(linux_traceroute.parse(text, source=source))
    if any(isinstance(item, ParseError) for item in items):
        return None
    return [digest_trace(item) for item in items]


def _compare_linux(text: str, source: str = "t.txt") -> Any:
    _native()
    from topo.parsers import linux_traceroute

    fast = linux_traceroute.digests(text, source=source)
    if fast is not None:
        assert fast == _linux_reference(text, source)
    return fast


def _linux_goldens() -> list[Path]:
    from .test_golden import golden_inputs

    return [p for p in golden_inputs() if p.parent.name == "linux-traceroute"]


def test_linux_digests_equal_python_on_goldens() -> None:
    handled = [_compare_linux(p.read_text(encoding="utf-8"), str(p)) for p in _linux_goldens()]
    assert sum(h is not None for h in handled) >= 3  # -n goldens take the compiled road


def test_linux_digests_take_the_compiled_road_on_plain_n_output(tmp_path: Path) -> None:
    folder = _text_dir(tmp_path / "text", 200)
    for path in sorted(folder.iterdir()):
        assert _compare_linux(path.read_text(encoding="utf-8"), str(path)) is not None


LINUX_ODD = [
    "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  10.0.0.1  1 ms  2 ms\n"
    " 2  * * *\n 3  192.0.2.9  3.5 ms !H  4 ms\n 4  * * *\n",
    " 1  10.0.0.1  0.5ms  <1 ms\n 2  10.0.0.2  1 ms 10.0.0.3  2 ms  10.0.0.2  0.5 ms\n"
    " 1  10.0.0.9  1 ms\n",
    "traceroute to x (10.9.9.9) from 10.0.0.5, 30 hops max\r\n 1  10.9.9.9  1 ms\r\n",
    "traceroute to a (1.1.1.1), 30 hops max\ntraceroute to b (2.2.2.2), 30 hops max\n"
    " 1  2.2.2.2  1 ms\n",
    " 1  fe80::1%eth0  0.1 ms  2001:db8::1  0.2 ms\n 2  ::ffff:10.0.0.1  1 ms\n",
    " 1  10.0.0.1  1 ms  !X\n 2  *  !H\n",
    " 1  1 ms\n", " 1\n 2  10.0.0.1  1 ms\n", " 1  10.0.0.1  99999999999 ms\n",
    " 1  10.0.0.1  1 ms\n    10.0.0.2  2 ms\n", " 1  host (10.0.0.1)  1 ms\n",
    " 1  10.0.0.1  1 ms\n 2  10.0.0.2\t2\tms\n 1000  10.0.0.3  1 ms\n",
    " 1  10.0.0.1  1 ms\u2028 2  10.0.0.2  1 ms\n", " 1  10.0.0.1  1 MS  2 Msec\n",
    "traceroute: warning: x has multiple addresses\n 1  10.0.0.1  1 ms\n",
    " 01  10.0.0.1  1 ms\n 1  010.0.0.1  1 ms\n", " 1  10.0.0.1  1.5.5 ms\n",
]  # fmt: skip


@pytest.mark.parametrize("text", LINUX_ODD, ids=[f"odd-{i}" for i in range(len(LINUX_ODD))])
def test_linux_digests_equal_python_on_odd_texts(text: str) -> None:
    _compare_linux(text)


_LINUX_LINES = [
    line for path in _linux_goldens() for line in path.read_text(encoding="utf-8").splitlines()
] + [line for text in LINUX_ODD for line in text.splitlines()]


@settings(max_examples=EXAMPLES * 10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.sampled_from(_LINUX_LINES), min_size=1, max_size=25),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(
        ["*", "ms", "1", "<1", "!H", "10.0.0.1", "(x)", "[AS1]", "'-1'", "F=1500", "\t", "  ",
         "", "0.000001", "1e5", "x"])), max_size=4),
)  # fmt: skip
def test_linux_digests_equal_python_on_fuzzed_texts(
    lines: list[str], edits: list[tuple[int, str]]
) -> None:
    text = "\n".join(lines)
    for position, piece in edits:
        cut = position % (len(text) + 1)
        text = text[:cut] + piece + text[cut:]
    _compare_linux(text)


def test_the_c_source_compiles_without_warnings() -> None:
    if not HAVE_COMPILER:
        pytest.skip("needs a C compiler (cc) and Python.h to build topo._speedups")
    compiled = subprocess.run(
        [os.environ.get("CC", "cc"), "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
         "-Wno-unused-parameter", "-Wno-missing-field-initializers",
         f"-I{sysconfig.get_paths()['include']}", str(ROOT / "topo" / "_speedups.c")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr
