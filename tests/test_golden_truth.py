"""Golden files captured from real tools in the lab agree with the lab's truth.

Every golden input with a ``<name>.truth.json`` beside it (written by ``tests/lab/capture.py``
from the lab's description) must parse to traces whose hops match the truth: at each TTL
only addresses that can answer there, the silent TTLs silent, every TTL up to the
destination present, the destination reached when it answers, and host names as the lab's
hosts file gives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from topo.inputs import read_traces
from topo.model import Trace
from topo.parsers import ParseResult

from .conftest import DATA
from .test_golden import golden_inputs, require_parser_program


def with_truth() -> list[Path]:
    return [p for p in golden_inputs() if p.with_name(p.stem + ".truth.json").exists()]


def check_against_truth(trace: Trace, truth: dict[str, Any]) -> None:
    hops = {h["ttl"]: h for h in truth["hops"]}
    for hop in trace.hops:
        assert hop.ttl in hops, f"TTL {hop.ttl} is not on the lab's path"
        expected = hops[hop.ttl]
        unexpected = set(hop.addresses) - set(expected["addrs"])
        assert not unexpected, f"TTL {hop.ttl}: {unexpected} cannot answer there"
        if expected["silent"]:
            assert hop.is_silent, f"TTL {hop.ttl} is a silent router but answered"
        for reply in hop.replies:
            if reply.name and reply.addr in expected["names"]:
                assert reply.name == expected["names"][reply.addr]
            elif reply.name and reply.addr is None:
                assert reply.name in expected["names"].values()
    if not trace.hops:
        return  # the tool recorded nothing (e.g. scamper's IPv6 udp-paris here): consistent
    last_ttl = max(hops)
    seen = {hop.ttl for hop in trace.hops}
    missing = [ttl for ttl in range(1, last_ttl + 1) if ttl not in seen]
    assert not missing, f"TTLs {missing} are missing"
    answered = {a for hop in trace.hops for a in hop.addresses}
    if trace.dst is not None and trace.dst in answered:
        assert trace.reached in (True, None)


@pytest.mark.parametrize("path", with_truth(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_golden_matches_lab_truth(path: Path) -> None:
    require_parser_program(path)
    truth = json.loads(path.with_name(path.stem + ".truth.json").read_text(encoding="utf-8"))
    result = ParseResult.collect(read_traces([path]))
    assert result.ok, [str(e) for e in result.errors]
    assert result.traces
    for trace in result.traces:
        if trace.dst is not None:
            assert trace.dst == truth["dst"]
        check_against_truth(trace, truth)


def test_some_golden_files_carry_truth() -> None:
    assert len(with_truth()) >= 3
