"""The shipped samples say what their path descriptions say.

Every ``samples/<name>/`` with a ``path.toml`` holds real traceroute output of topo's path
simulator replaying that description. For each folder: there is one output file per command,
every trace parses, every TTL answered from the addresses the description puts there, and
:func:`topo.topology.infer.infer_interconnects` gives the verdict and the interconnect segments the
description implies. Those are derived here from ``path.toml`` alone, by the documented rules:
a run of reserved or silent TTLs (at least one reserved) between two of AWS's public hops, or
between the vantage point and one, is a segment whose regions are the published regions of
the hops on either side; a public hop owned by anyone else means the trace left AWS.
Owners are resolved offline: AWS's shipped ranges and the folder's own owner tables.
"""

from __future__ import annotations

import doctest
import functools
import importlib.util
import json
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.lab.pathspec import PathSpec
from tests.support.tools import require_tool, skip_or_fail
from topo.classify import classify_address
from topo.cli import cli
from topo.inputs import read_traces
from topo.inputs.manifest import Manifest, find_manifest, manifests_for
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.owners.tables import load_owner_tables
from topo.parsers import ParseResult
from topo.topology.infer import infer_interconnects
from topo.topology.regions import load_regions
from topo.topology.views import answers_for

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FOLDERS = sorted(p.parent.name for p in SAMPLES.glob("*/path.toml"))
ARTICLE = SAMPLES / "aws-osaka-tokyo"
PROVIDER = "Amazon"


def _load_regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("samples_regenerate", SAMPLES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _load_regenerate()


# -- what a path description implies ---------------------------------------------------------


@dataclass(frozen=True)
class ExpectedSegment:
    kind: str
    from_region: str | None
    to_region: str | None
    ttls: tuple[int, ...]
    addrs: frozenset[str]  # every reserved address the description puts in the run
    spec_rtt_gain_ms: float  # right bracket's rtt_ms minus the left one's (0 for the vantage)


@dataclass(frozen=True)
class ExpectedTrace:
    verdict: str
    segments: tuple[ExpectedSegment, ...]
    exit_ttl: int | None


def _step(addrs: tuple[str, ...], answers: dict[str, OwnerAnswer]) -> tuple[str, str | None]:
    """The run kind and region of a TTL answered by ``addrs``."""
    if not addrs:
        return "unknown", None
    public = [a for a in addrs if not classify_address(a).special]
    if not public:
        return "reserved", None
    owners = [answers[a].owner for a in public]
    if all(o is not None and o.family == PROVIDER for o in owners):
        return "provider", next((o.region for o in owners if o and o.region), None)
    return "foreign", None


def expected_trace(
    path: PathSpec, manifest: Manifest, answers: dict[str, OwnerAnswer]
) -> ExpectedTrace:
    """Verdict and segments of one described path, by the rules in the module docstring."""
    steps: list[tuple[int, str, str | None, tuple[str, ...], float]] = []
    for ttl, hop in enumerate(path.hops, start=1):
        kind, region = _step(hop.addresses, answers)
        rtt = min((r.rtt_ms for r in hop.routers), default=0.0)
        steps.append((ttl, kind, region, hop.addresses, rtt))
    reached = not path.destination.silent
    if reached:
        kind, region = _step((path.destination.address,), answers)
        steps.append(
            (path.ttl_of_destination, kind, region, (path.destination.address,),
             path.destination.rtt_ms)
        )  # fmt: skip
    while steps and steps[-1][1] == "unknown":
        steps.pop()
    segments = []
    index = 0
    while index < len(steps):
        if steps[index][1] not in ("reserved", "unknown"):
            index += 1
            continue
        end = index
        while end + 1 < len(steps) and steps[end + 1][1] in ("reserved", "unknown"):
            end += 1
        run = steps[index : end + 1]
        left = steps[index - 1] if index else None
        right = steps[end + 1] if end + 1 < len(steps) else None
        index = end + 1
        if not any(s[1] == "reserved" for s in run) or right is None or right[1] != "provider":
            continue
        if left is not None and left[1] != "provider":
            continue
        from_region = left[2] if left else manifest.src_region
        to_region = right[2]
        kind = "inter-region" if from_region != to_region else "intra-region"
        segments.append(
            ExpectedSegment(
                kind=kind,
                from_region=from_region,
                to_region=to_region,
                ttls=tuple(s[0] for s in run),
                addrs=frozenset(a for s in run for a in s[3]),
                spec_rtt_gain_ms=right[4] - (left[4] if left else 0.0),
            )
        )
    foreign = next((s for s in steps if s[1] == "foreign"), None)
    if foreign is not None:
        verdict = "left-provider"
    elif not reached and (steps[-1][1] != "provider" or steps[-1][2] != manifest.dst_region):
        verdict = "incomplete"
    else:
        verdict = "on-provider"
    return ExpectedTrace(verdict, tuple(segments), foreign[0] if foreign else None)


# -- loading a folder --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    folder: Path
    spec: dict[str, Any]
    commands: list[list[str]]
    outputs: list[Path]
    paths: dict[str, PathSpec]
    manifest: Manifest
    result: ParseResult
    answers: dict[str, OwnerAnswer]


def load_sample(folder: Path) -> Sample:
    """A sample folder read, parsed and resolved offline (the shipped ones are cached)."""
    spec = tomllib.loads((folder / "path.toml").read_text(encoding="utf-8"))
    single = "command" in spec
    commands = regenerate.commands_of(dict(spec))
    outputs = [folder / name for name in regenerate.output_names(commands, single)]
    paths = {p.destination.address: p for p in (PathSpec.from_dict(d) for d in spec["paths"])}
    manifest = find_manifest(folder)
    assert manifest is not None, f"{folder.name}: no topo.toml"
    result = ParseResult.collect(read_traces([str(folder)]))
    config = ResolverConfig(online=False, use_cache=False, owner_tables=manifest.owner_tables)
    resolver = OwnerResolver(config)
    try:
        answers = answers_for(result.traces, resolver)
        answers.update(
            (a.addr, a)
            for a in resolver.resolve(
                a for p in paths.values() for h in p.hops for a in h.addresses
            )
        )
        answers.update((a.addr, a) for a in resolver.resolve(list(paths)))
        assert not resolver.table_errors, resolver.table_errors
    finally:
        resolver.close()
    return Sample(folder, spec, commands, outputs, paths, manifest, result, answers)


@functools.cache
def shipped_sample(name: str) -> Sample:
    return load_sample(SAMPLES / name)


@pytest.fixture(params=FOLDERS)
def sample(request: pytest.FixtureRequest) -> Sample:
    return shipped_sample(request.param)


def _traces_by_file(sample: Sample) -> dict[Path, list[Trace]]:
    found: dict[Path, list[Trace]] = {}
    for trace in sample.result.traces:
        assert trace.origin is not None
        found.setdefault(Path(trace.origin.path).resolve(), []).append(trace)
    return found


# -- the tests ---------------------------------------------------------------------------------


def test_there_are_samples_of_several_pairs() -> None:
    assert "aws-osaka-tokyo" in FOLDERS
    pairs = set()
    for name in FOLDERS:
        manifest = find_manifest(SAMPLES / name)
        assert manifest is not None
        pairs.add((manifest.src_region, manifest.dst_region))
    assert len(FOLDERS) >= 6
    assert ("ap-northeast-1", "ap-northeast-3") in pairs  # the article's pair, both ways
    assert ("ap-northeast-3", "ap-northeast-1") in pairs


def test_every_trace_parses_and_each_command_has_its_file(sample: Sample) -> None:
    assert sample.result.errors == []
    by_file = _traces_by_file(sample)
    assert sorted(by_file) == sorted(p.resolve() for p in sample.outputs)
    for command, output in zip(sample.commands, sample.outputs, strict=True):
        (trace,) = by_file[output.resolve()]
        assert trace.format == "linux-traceroute"
        assert trace.dst == command[-1]
        assert trace.dst in sample.paths, f"{output.name}: no described path to {trace.dst}"
    if "commands" in sample.spec:
        assert len(sample.commands) >= 3, "several traces per pair"
        assert len({c[-1] for c in sample.commands}) == len(sample.commands)


def test_every_ttl_answered_as_described(sample: Sample) -> None:
    for trace in sample.result.traces:
        path = sample.paths[trace.dst or ""]
        for hop in trace.hops:
            if hop.ttl <= len(path.hops):
                described = set(path.hops[hop.ttl - 1].addresses)
            elif hop.ttl == path.ttl_of_destination and not path.destination.silent:
                described = {path.destination.address}
            else:
                described = set()
            assert set(hop.addresses) <= described, f"{trace.origin} TTL {hop.ttl}"
            if described:
                assert hop.addresses, f"{trace.origin} TTL {hop.ttl} should answer"
        assert trace.destination_responded is (not path.destination.silent)


def test_inference_matches_the_description(sample: Sample) -> None:
    manifests = manifests_for([sample.folder])
    inference = infer_interconnects(sample.result.traces, sample.answers, manifests=manifests)
    regions = load_regions()
    verdicts = []
    for trace, verdict in zip(sample.result.traces, inference.traces, strict=True):
        expected = expected_trace(sample.paths[trace.dst or ""], sample.manifest, sample.answers)
        verdicts.append(expected.verdict)
        assert verdict.verdict == expected.verdict, (verdict.origin, verdict.reasons)
        got = [(s.kind, s.from_region, s.to_region, s.ttls) for s in verdict.segments]
        want = [(s.kind, s.from_region, s.to_region, s.ttls) for s in expected.segments]
        assert got == want, verdict.origin
        for segment, described in zip(verdict.segments, expected.segments, strict=True):
            assert set(segment.addrs) <= described.addrs
            if segment.kind == "inter-region":
                bound = regions.rtt_bound_ms(segment.from_region, segment.to_region)
                assert bound is not None
                assert described.spec_rtt_gain_ms >= bound, "described RTTs below the bound"
                assert segment.rtt_plausible is True, segment.evidence
        if expected.exit_ttl is None:
            assert verdict.exit is None
        else:
            assert verdict.exit is not None and verdict.exit["to_ttl"] == expected.exit_ttl
    worst = min(verdicts, key=("left-provider", "undetermined", "incomplete", "on-provider").index)
    assert inference.verdict == worst


def test_cli_infer_gives_the_same_verdict(sample: Sample) -> None:
    result = CliRunner().invoke(cli, ["infer", str(sample.folder), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = [
        expected_trace(sample.paths[t.dst or ""], sample.manifest, sample.answers).verdict
        for t in sample.result.traces
    ]
    assert [t["verdict"] for t in data["traces"]] == expected


def test_the_sample_shapes() -> None:
    """The folders together show the shapes the samples promise."""
    shapes: dict[str, set[str]] = {}
    for name in FOLDERS:
        loaded = shipped_sample(name)
        found = shapes.setdefault(name, set())
        for path in loaded.paths.values():
            expected = expected_trace(path, loaded.manifest, loaded.answers)
            found.add(expected.verdict)
            for segment in expected.segments:
                hops = [path.hops[ttl - 1] for ttl in segment.ttls]
                categories = {classify_address(a).category for h in hops for a in h.addresses}
                found.add("+".join(sorted(categories)))
                found.update("ecmp" for h in hops if len(h.routers) > 1)
                found.update("silent" for h in hops if h.silent)
                found.update("mpls" for h in hops for r in h.routers if r.mpls)
    every = set().union(*shapes.values())
    assert {"cgnat", "cgnat+class-e", "ecmp", "silent", "mpls"} <= every
    assert {"on-provider", "left-provider"} <= every
    assert shapes["example-leaves-provider"] >= {"left-provider"}


def test_the_article_owner_table_answers_offline() -> None:
    manifest = find_manifest(ARTICLE)
    assert manifest is not None
    assert [t.name for t in manifest.owner_tables] == ["owners-from-article.csv"]
    table, errors = load_owner_tables(manifest.owner_tables)
    assert errors == []
    hit = table.lookup("13.208.0.67")
    assert hit is not None and hit.org == "Amazon Data Services Osaka"
    resolver = OwnerResolver(
        ResolverConfig(online=False, use_cache=False, owner_tables=manifest.owner_tables)
    )
    try:
        osaka, tokyo = resolver.resolve(["13.208.0.67", "15.230.24.168"])
        assert resolver.report.looked_up_online == 0
    finally:
        resolver.close()
    assert osaka.owner is not None and osaka.owner.org == "Amazon Data Services Osaka"
    assert tokyo.owner is not None and tokyo.owner.org == "Amazon Technologies Inc."
    assert "owner-table" in (osaka.owner.answered_by or "")
    assert osaka.owner.region == "ap-northeast-3"  # the published range still adds its region


def test_the_article_owner_table_is_the_articles() -> None:
    article = json.loads((ROOT / "tests" / "data" / "article-osaka-tokyo.json").read_text())
    table, _ = load_owner_tables([ARTICLE / "owners-from-article.csv"])
    for addr, org in article["whois_orgname_table"]:
        hit = table.lookup(addr)
        assert hit is not None and hit.org == org and hit.prefix == f"{addr}/32"
    assert len(table) == len({addr for addr, _ in article["whois_orgname_table"]})
    text = (ARTICLE / "owners-from-article.csv").read_text(encoding="utf-8")
    assert text.startswith("prefix,")  # folder walks recognise it as an owner table
    assert "taken from the article's whois output" in text.lower()


def test_the_readme_describes_every_folder() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in FOLDERS:
        assert f"`{name}/`" in readme, name


def test_regenerate_commands() -> None:
    failures, _ = doctest.testmod(regenerate, verbose=False)
    assert failures == 0
    assert regenerate.commands_of({"command": ["traceroute.db", "x"]}) == [["traceroute.db", "x"]]
    with pytest.raises(ValueError, match="not both"):
        regenerate.commands_of({"command": ["a"], "commands": [["a"]]})
    with pytest.raises(ValueError, match="non-empty"):
        regenerate.commands_of({"commands": []})


@pytest.mark.lab
def test_regenerate_writes_one_file_per_command(tmp_path: Path) -> None:
    """Replays a sample (root, iproute2, traceroute.db; inside a private namespace)."""
    from tests.support.lab.netns import lab_available

    reason = lab_available()
    if reason is not None:
        skip_or_fail(reason)
    require_tool("traceroute.db")
    folder = tmp_path / "aws-tokyo-seoul"
    folder.mkdir()
    for name in ("path.toml", "topo.toml"):
        shutil.copy(SAMPLES / folder.name / name, folder / name)
    written = regenerate.regenerate(folder)
    assert [p.name for p in written] == ["traceroute-1.txt", "traceroute-2.txt", "traceroute-3.txt"]
    test_every_ttl_answered_as_described(load_sample(folder))
