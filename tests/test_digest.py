"""One pipeline: the digest made straight from decoded JSON equals the digest of the parsed trace.

:func:`topo.parsers.atlas.result_to_digest` skips the ``Trace`` (no object per reply) for
speed; these tests hold it to :func:`topo.digest.digest_trace` of
:func:`topo.parsers.atlas.result_to_trace` on every golden file, on fuzzed mutations of
them (hypothesis), and through the streaming reader on a large file, errors included.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topo.digest import digest_trace
from topo.errors import ParseError
from topo.inputs import read_digests, read_traces
from topo.model import Origin
from topo.parsers import atlas
from topo.parsers.json_input import iter_json_records

from .test_fuzz import EXAMPLES
from .test_golden import golden_inputs

ATLAS = [p for p in golden_inputs() if p.parent.name == "ripe-atlas"]


def _records(path: Path) -> list[dict[str, Any]]:
    items = iter_json_records(path.read_text(encoding="utf-8"), source=str(path))
    return [obj for item in items if not isinstance(item, ParseError) for _, obj in [item]]


def _outcome(function: Any, result: Any) -> Any:
    """The value, or the exception's type: both roads must fail alike."""
    try:
        return function(result)
    except (TypeError, ValueError, AttributeError, OverflowError) as err:
        return type(err)


def _both(result: Any) -> tuple[Any, Any]:
    origin = Origin("x.json", 3)
    fast = _outcome(lambda r: atlas.result_to_digest(r, origin=origin), result)
    slow = _outcome(lambda r: digest_trace(atlas.result_to_trace(r, origin=origin)), result)
    return fast, slow


def test_atlas_golden_files_exist() -> None:
    assert len(ATLAS) >= 3


@pytest.mark.parametrize("path", ATLAS, ids=lambda p: p.name)
def test_digest_from_json_equals_digest_of_trace(path: Path) -> None:
    records = _records(path)
    assert records
    for record in records:
        fast, slow = _both(record)
        assert fast == slow
        assert not isinstance(fast, type)


def test_digest_keeps_mpls_rtts_and_silent_hops() -> None:
    result = {
        "type": "traceroute", "dst_addr": "192.0.2.9", "src_addr": "10.0.0.5",
        "result": [
            {"hop": 2, "result": [{"x": "*"}, {"x": "*"}]},
            {"hop": 1, "result": [
                {"from": "10.0.0.1", "rtt": 0.5}, {"from": "10.0.0.2", "rtt": 2},
                {"from": "10.0.0.1", "rtt": 0.25,
                 "icmpext": {"obj": [{"class": 1, "mpls": [{"label": 24001}, {"label": 7}]}]}}]},
            {"hop": 3, "result": [{"from": "192.0.2.9", "rtt": 4.0, "err": "p"}]},
            {"hop": 4, "result": [{"x": "*"}]},
        ],
    }  # fmt: skip
    fast, slow = _both(result)
    assert fast == slow
    assert [ttl for ttl, _, _ in fast.steps] == [1, 2, 3]  # sorted, trailing star dropped
    assert fast.steps[0] == (
        1,
        0.25,
        (("10.0.0.1", 0.25, 750_000, 2, (), ("24001/7",)), ("10.0.0.2", 2.0, 2_000_000, 1, (), ())),
    )
    assert fast.steps[1] == (2, None, ()) and fast.reached


def _mutations() -> st.SearchStrategy[Any]:
    values = st.one_of(
        st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=True),
        st.sampled_from(["", "*", "10.0.0.1", "192.0.2.9", "::ffff:10.0.0.1", "fe80::1%eth0",
                         "999.1.1.1", "<script>", "p", "H"]),
        st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.none()),
    )  # fmt: skip
    keys = st.sampled_from(
        ["from", "rtt", "x", "err", "hop", "result", "icmpext", "late", "ittl", "dst_addr",
         "timestamp", "error", "obj", "mpls", "label"]
    )  # fmt: skip
    return st.tuples(st.integers(0, 10**6), st.lists(st.tuples(keys, values), max_size=6))


def _mutate(result: Any, seed: int, changes: list[tuple[str, Any]]) -> Any:
    """Set keys to odd values at random places of the result's nested dicts."""
    rng = random.Random(seed)
    mutated = copy.deepcopy(result)
    places: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            places.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(mutated)
    for key, value in changes:
        target = rng.choice(places)
        if rng.random() < 0.2:
            target.pop(key, None)
        else:
            target[key] = value
    return mutated


RECORDS = [record for path in ATLAS for record in _records(path)]


@settings(max_examples=EXAMPLES * 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(RECORDS), _mutations())
def test_fuzzed_results_give_equal_digests_or_equal_errors(result: Any, mutation: Any) -> None:
    seed, changes = mutation
    fast, slow = _both(_mutate(result, seed, changes))
    assert fast == slow


def _large_file(tmp_path: Path) -> Path:
    """A JSON Lines file over the streaming threshold, with broken and foreign lines."""
    records = RECORDS * (1 + 70_000 // sum(len(json.dumps(r)) for r in RECORDS))
    lines = [json.dumps(r) for r in records]
    lines[3] = "{broken"
    lines[5] = json.dumps({"type": "ping", "result": []})
    path = tmp_path / "large.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 64 * 1024
    return path


def test_streamed_digests_equal_digests_of_streamed_traces(tmp_path: Path) -> None:
    path = _large_file(tmp_path)
    fast = list(read_digests([str(path)]))
    slow = [
        item if isinstance(item, ParseError) else digest_trace(item)
        for item in read_traces([str(path)])
    ]
    assert [str(x) for x in fast if isinstance(x, ParseError)] == [
        str(x) for x in slow if isinstance(x, ParseError)
    ]
    assert len([x for x in fast if isinstance(x, ParseError)]) == 2
    assert [x for x in fast if not isinstance(x, ParseError)] == [
        x for x in slow if not isinstance(x, ParseError)
    ]


def test_text_inputs_become_digests_with_their_origin(tmp_path: Path) -> None:
    text = "traceroute to 192.0.2.9 (192.0.2.9), 30 hops max\n 1  10.0.0.1  0.5 ms  0.7 ms *\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    [digest] = read_digests([str(tmp_path / "a.txt")])
    assert not isinstance(digest, ParseError)
    assert digest.trace_id == f"{tmp_path / 'a.txt'}:1"
    assert digest.steps == ((1, 0.5, (("10.0.0.1", 0.5, 1_200_000, 2, (), ()),)),)
