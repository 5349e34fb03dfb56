"""Per-trace results kept packed (:mod:`topo.packed`): they read back as the list they
were, cross processes as their compressed bytes, are written to every graph format, and
take a fraction of the memory of the objects."""

from __future__ import annotations

import importlib.util
import json
import pickle
import tracemalloc
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from topo import packed
from topo.graph_json import write_graph_json
from topo.graphio import read_gexf, read_graph_json, read_graphml, write_gexf, write_graphml
from topo.graphio import write_graph_json as write_graph_json_plain
from topo.inputs import read_traces
from topo.packed import MappedList, PackedList, plain
from topo.pipeline import aggregate, build_topology, finish
from topo.topology.infer import TraceVerdict

ROOT = Path(__file__).resolve().parent.parent


def _synth():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A program of list operations: append one item, extend by a plain list, or extend by a
# packed list (which takes over its chunks).
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers()),
        st.tuples(st.just("extend"), st.lists(st.integers(), max_size=40)),
        st.tuples(st.just("extend-packed"), st.lists(st.integers(), max_size=700)),
    ),
    max_size=12,
)


@given(_operations, st.integers(min_value=1, max_value=9), st.sampled_from([0, 5, 30]))
def test_packed_list_reads_as_the_list_it_was_given(operations, chunk, unpacked) -> None:  # type: ignore[no-untyped-def]
    original = packed.CHUNK, packed.UNPACKED
    # small chunks and few items kept as objects: every boundary case in a few items
    packed.CHUNK, packed.UNPACKED = chunk, unpacked
    try:
        items: PackedList[int] = PackedList()
        want: list[int] = []
        for name, value in operations:
            if name == "append":
                items.append(value)
                want.append(value)
            elif name == "extend":
                items.extend(value)
                want.extend(value)
            else:
                items.extend(PackedList(value))
                want.extend(value)
        assert len(items) == len(want)
        assert list(items) == want
        assert [items[i] for i in range(len(want))] == want
        assert [items[-i] for i in range(1, len(want) + 1)] == [
            want[-i] for i in range(1, len(want) + 1)
        ]
        assert items[1:-1:2] == want[1:-1:2]
        assert items == want and want == items and items == tuple(want)
        assert pickle.loads(pickle.dumps(items)) == want
        assert items.unpacked <= unpacked + chunk and items.unpacked == len(want) - sum(
            len(packed._open(c)) for c in items._chunks if isinstance(c, bytes)
        )
    finally:
        packed.CHUNK, packed.UNPACKED = original


_dict_operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.dictionaries(st.sampled_from("abcdefgh"), st.integers())),
        st.tuples(st.just("update"), st.dictionaries(st.text(max_size=3), st.integers())),
        st.tuples(st.just("update-packed"), st.dictionaries(st.text(max_size=3), st.integers())),
    ),
    max_size=10,
)


@given(_dict_operations, st.sampled_from([0, 3]))
def test_packed_dict_reads_as_the_dict_it_was_given(operations, unpacked) -> None:  # type: ignore[no-untyped-def]
    original = packed.CHUNK, packed.UNPACKED
    packed.CHUNK, packed.UNPACKED = 2, unpacked
    try:
        got: packed.PackedDict[int] = packed.PackedDict()
        want: dict[str, int] = {}
        for name, items in operations:
            if name == "set":
                for key, value in items.items():
                    got[key] = value
            elif name == "update":
                got.update(items)
            else:  # a packed dict whose keys were all set twice (its values replaced)
                other: packed.PackedDict[int] = packed.PackedDict()
                for key, value in items.items():
                    other[key] = value + 1
                for key, value in items.items():
                    other[key] = value
                got.update(other)
            want.update(items)
        assert list(got.items()) == list(want.items()) and list(got) == list(want)
        assert list(got.values()) == list(want.values()) and len(got) == len(want)
        assert got == want and all(got[k] == v and k in got for k, v in want.items())
        assert got.get("no such key") is None and "no such key" not in got
        back = pickle.loads(pickle.dumps(got))
        assert list(back.items()) == list(want.items())
        assert json.loads(json.dumps(got, default=plain)) == want
    finally:
        packed.CHUNK, packed.UNPACKED = original


def test_index_out_of_range_and_other_comparisons() -> None:
    items = PackedList(range(600))
    with pytest.raises(IndexError):
        items[600]
    with pytest.raises(IndexError):
        items[-601]
    assert items != list(range(599)) and items != "abc" and items != 5
    assert repr(items) == "PackedList(<600 items>)"


def test_extending_by_a_packed_list_takes_its_chunks_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(packed, "UNPACKED", 0)
    first, second = PackedList(range(300)), PackedList(range(300, 900))
    chunks = list(second._chunks)
    first.extend(second)
    assert first._chunks[-len(chunks) :] == chunks  # not opened and packed again
    assert first == list(range(900))


def test_mapped_list_and_json_of_both() -> None:
    items = PackedList([{"n": n} for n in range(5)])
    doubled = MappedList(items, lambda d: {"n": d["n"] * 2})
    assert doubled[-1] == {"n": 8} and len(doubled) == 5
    document = {"traces": doubled, "raw": items}
    want = {"traces": [{"n": 2 * n} for n in range(5)], "raw": [{"n": n} for n in range(5)]}
    assert json.loads(json.dumps(document, default=plain)) == want
    assert orjson.loads(orjson.dumps(document, default=plain)) == want
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"x": object()}, default=plain)


def test_only_the_first_items_stay_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packed, "CHUNK", 10)
    monkeypatch.setattr(packed, "UNPACKED", 30)
    items = PackedList(range(100))
    assert [type(c) for c in items._chunks] == [list] * 3 + [bytes] * 7
    merged = PackedList(range(25))
    merged.extend(items)  # 25 kept + 30 more would pass 30: packed from there
    assert merged.unpacked == 25 and merged == [*range(25), *range(100)]
    assert PackedList(range(5)).packed_bytes == 0 < items.packed_bytes


def test_verdicts_take_a_fraction_of_their_objects_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packed, "UNPACKED", 0)
    synth = _synth()
    path = tmp_path / "atlas.jsonl"
    path.write_text("\n".join(synth.atlas_lines(1000, 3, 5000)) + "\n", encoding="utf-8")
    verdicts = list(build_topology(read_traces([str(path)])).inference.traces)
    verdicts = verdicts[: len(verdicts) // packed.CHUNK * packed.CHUNK]  # whole chunks
    PackedList(verdicts)  # pickle's first-use caches, not counted
    packed_size = _traced_size(lambda: PackedList(verdicts))
    objects_size = _traced_size(lambda: pickle.loads(pickle.dumps(verdicts)))
    assert PackedList(verdicts) == verdicts
    assert packed_size < objects_size / 4, (packed_size, objects_size)


def _traced_size(make) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        size = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del made
    return size


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # more than one packed chunk of verdicts, from two partials merged as --jobs merges them
    path = tmp_path_factory.mktemp("packed") / "atlas.jsonl"
    path.write_text("\n".join(_synth().atlas_lines(700, 5, 3000)) + "\n", encoding="utf-8")
    paths = [str(ROOT / "tests/data/ripe-atlas"), str(path), str(ROOT / "samples")]
    items = list(read_traces(paths))
    half = len(items) // 2
    kept = packed.UNPACKED
    packed.UNPACKED = 100  # some verdicts kept as objects, most packed
    try:
        first = aggregate(items[:half])
        second = aggregate(items[half:])
        merged = first.merge(pickle.loads(pickle.dumps(second)))
        return finish(merged), build_topology(items)
    finally:
        packed.UNPACKED = kept


def test_a_merged_build_has_the_verdicts_of_one_pass(topology) -> None:  # type: ignore[no-untyped-def]
    merged, whole = topology
    assert isinstance(whole.inference.traces, PackedList)
    assert len(whole.inference.traces) > 2 * packed.CHUNK
    for topology in (merged, whole):
        verdicts, paths = topology.inference.traces, topology.graph.graph["trace_paths"]
        assert isinstance(verdicts, PackedList) and verdicts.packed_bytes > 0
        assert isinstance(paths, packed.PackedDict) and paths._values.packed_bytes > 0
    assert list(merged.graph.graph["trace_paths"].items()) == list(
        whole.graph.graph["trace_paths"].items()
    )
    assert [v.verdict for v in merged.inference.traces] == [
        v.verdict for v in whole.inference.traces
    ]
    assert merged.inference.verdict_counts == whole.inference.verdict_counts


def test_finishing_a_build_unpacks_each_chunk_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_text("\n".join(_synth().atlas_lines(400, 7, 3000)) + "\n", encoding="utf-8")
    monkeypatch.setattr(packed, "CHUNK", 16)
    monkeypatch.setattr(packed, "UNPACKED", 0)
    partial = aggregate(read_traces([str(path)]))
    chunks = len(partial.verdicts._chunks) + len(
        partial.builder.graph_attrs["trace_paths"]._values._chunks
    )
    opened: list[bytes] = []
    real_open = packed._open
    monkeypatch.setattr(packed, "_open", lambda chunk: opened.append(chunk) or real_open(chunk))
    topology = finish(partial)  # the summary reads the verdicts, the segments the paths
    assert len(topology.inference.segments) > 1 and chunks > 20
    assert len(opened) <= chunks  # not once per segment
    assert any(
        "segment" in attrs for _, _, attrs in topology.graph.edges(data=True)
    )  # the segments' edges were marked from the paths


def test_graph_holds_the_verdicts_json_made_when_read(topology, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, whole = topology
    G = whole.graph
    held = G.graph["inference"]["traces"]
    assert isinstance(held, MappedList)
    want = whole.inference.to_dict()
    assert list(held) == want["traces"] and len(want["traces"]) == whole.traces
    assert list(G.graph["inference"]) == list(want)  # the keys in their documented order
    for write, read in [
        (write_graph_json, read_graph_json),
        (write_graph_json_plain, read_graph_json),
        (write_graphml, read_graphml),
        (write_gexf, read_gexf),
    ]:
        back = read(write(G, tmp_path / f"g-{write.__module__}-{write.__name__}"))
        assert back.graph["inference"] == want, write
        assert back.graph["trace_paths"] == dict(G.graph["trace_paths"].items()), write


def test_verdict_dicts_are_their_to_dict() -> None:
    verdict = TraceVerdict("o", "Amazon", None, None, "on-provider", ("r",), ())
    assert MappedList(PackedList([verdict]), TraceVerdict.to_dict)[0] == verdict.to_dict()
