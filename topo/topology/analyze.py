"""``analyze``: the one pipeline. Paths or traces in, a :class:`Topology` out.

Reading (:mod:`topo.inputs`), parsing (:mod:`topo.parsers`), classification
(:mod:`topo.classify`), owners (:mod:`topo.owners`), the merged graph and its inference
(:func:`topo.topology.aggregate.aggregate`): every command that builds a topology
(``build``, ``infer``, ``compare``, ``report``, ``trace --build``) calls this, and so can a
notebook.

How fast, never what: an *engine* (:mod:`topo.engines`) may read the input in other
processes or on a Dask cluster; every engine gives the :class:`Topology` that reading it
here in one process gives. Without one, the input is read here, in this process.

>>> topology = analyze(["samples/aws-osaka-tokyo"])
>>> topology.verdict, topology.graph.number_of_nodes(), topology.name
('on-provider', 24, "AWS Osaka to Tokyo (the article's traceroute)")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Protocol

from topo.errors import ParseError, TopoError, UsageError
from topo.inputs import STDIN, manifests_for, read_traces
from topo.inputs.manifest import Manifest, covering_manifest
from topo.inputs.reading import ReadProgress
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.topology.aggregate import Partial, aggregate, finish
from topo.topology.result import Topology


@dataclass(frozen=True)
class Job:
    """How every input of an analysis is read and resolved (it travels to other processes
    as it is: an engine's workers open their own resolver from ``config``)."""

    format: str | None = None
    encoding: str | None = None
    config: ResolverConfig = field(default_factory=lambda: ResolverConfig(use_cache=False))
    manifests: Mapping[str, Manifest | None] = field(default_factory=dict)
    #: Keep each trace's step profile (what a comparison reads).
    profiles: bool = True


class Progress(ReadProgress, Protocol):
    """What an analysis reports as it goes (the command line draws it as one line)."""

    def expect(self, total: int | None) -> None:
        """The bytes about to be read (``None``: unknown)."""

    def traces(self, count: int = 1) -> None:
        """``count`` more traces were read."""

    def stage(self, name: str) -> None:
        """What is being done now, once reading is over."""


class Engine(Protocol):
    """Reads input paths into the :class:`~topo.topology.aggregate.Partial` of the whole
    input, in input order: the one that ``aggregate(read_traces(paths), resolver, ...)``
    gives here. Errors go to ``on_error`` in input order."""

    def run(
        self,
        paths: Sequence[str],
        job: Job,
        *,
        resolver: OwnerResolver,
        on_error: Callable[[ParseError], None],
        progress: Progress | None = None,
    ) -> Partial: ...


def _split_sources(
    sources: str | Path | Iterable[str | Path] | Iterable[Trace | ParseError],
) -> tuple[list[str], Iterator[Trace | ParseError] | None]:
    """``(paths, None)`` for paths, ``([], traces)`` for traces (left unread: a stream
    of parsed traces is aggregated as it comes)."""
    if isinstance(sources, str | Path):
        return [str(sources)], None
    iterator = iter(sources)
    first = next(iterator, None)
    if first is None:
        return [], iter(())
    if not isinstance(first, str | Path):
        return [], chain([first], iterator)  # type: ignore[arg-type]
    paths = [str(first)]
    for item in iterator:
        if not isinstance(item, str | Path):
            raise UsageError("analyze takes paths or traces, not both")
        paths.append(str(item))
    return paths, None


def _set_name(paths: Sequence[str], manifests: Mapping[str, Manifest | None]) -> str | None:
    """The ``name`` of the manifest that covers every input, when one does
    (:func:`~topo.inputs.manifest.covering_manifest`): a mixed set has none."""
    manifest = covering_manifest(paths, manifests)
    return manifest.name if manifest is not None else None


def analyze(
    sources: Iterable[str | Path] | Iterable[Trace | ParseError],
    *,
    owners: OwnerResolver | ResolverConfig | Mapping[str, OwnerAnswer] | None = None,
    manifests: Mapping[str, Manifest | None] | None = None,
    engine: Engine | None = None,
    format: str | None = None,
    encoding: str | None = None,
    name: str | None = None,
    on_error: Callable[[ParseError], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    on_lookup: Callable[[int, int], None] | None = None,
    progress: Progress | None = None,
    profiles: bool = True,
) -> Topology:
    """Read, classify, own, merge and infer: the :class:`Topology` of ``sources``.

    ``sources`` are paths (files, folders walked recursively, ``-`` for standard input),
    or traces already parsed (and :class:`ParseError` items, which are reported).
    ``owners``: a resolver configuration (default: offline, no cache), an open resolver
    (used as it is, left open) or answers already resolved. For paths, each folder's
    ``topo.toml`` is read (``manifests`` overrides) and its owner tables join the
    configuration's. ``engine`` (:mod:`topo.engines`) reads paths in other processes; the
    result is the same. Errors go to ``on_error`` as they come (they are in
    ``Topology.errors`` either way), warnings about the data used to ``on_warning``, online
    lookups' progress (done, total) to ``on_lookup``; ``progress`` counts what is read.
    ``profiles=False`` leaves out each trace's step profile (about 1.8 KB a trace, what
    :func:`topo.compare` and a report read): for a large set that is only drawn or written.

    >>> analyze(["samples/aws-tokyo-seoul"]).trace_count
    3
    """
    paths, stream = _split_sources(sources)
    errors: list[ParseError] = []

    def report(error: ParseError) -> None:
        errors.append(error)
        if on_error is not None:
            on_error(error)

    if paths and manifests is None:
        try:
            manifests = manifests_for(p for p in paths if p != STDIN)
            name = name or _set_name(paths, manifests)
        except ParseError as err:  # a broken topo.toml: reported, the traces still read
            report(err)
            manifests = {}
    manifests = manifests or {}
    warn = on_warning or (lambda message: None)
    with ExitStack() as stack:
        if isinstance(owners, OwnerResolver | Mapping):
            resolver = owners if isinstance(owners, OwnerResolver) else None
        else:
            tables = [t for m in manifests.values() if m for t in m.owner_tables]
            config = (owners or ResolverConfig(use_cache=False)).with_tables(tables)
            resolver = stack.enter_context(OwnerResolver(config, warn=warn, progress=on_lookup))
            for problem in resolver.stale_data_warnings():
                warn(problem)
            for error in resolver.table_errors:
                report(error)
        if stream is None and engine is not None:
            if resolver is None:
                raise TopoError("an engine resolves owners itself: give a configuration")
            job = Job(format, encoding, resolver.config, manifests, profiles)
            partial = engine.run(paths, job, resolver=resolver, on_error=report, progress=progress)
        else:
            if stream is None:
                stream = read_traces(paths, format=format, encoding=encoding, progress=progress)
            answers = owners if isinstance(owners, Mapping) else None
            partial = aggregate(
                stream, resolver or answers, manifests=manifests, on_error=report,
                profiles=profiles,
            )  # fmt: skip
        if progress is not None:
            progress.stage("building the graph")
        partial.errors = errors
        online = resolver.config.online if resolver is not None else False
        dates = dict(resolver.cloud.dates) if resolver is not None else {}
        topology = finish(partial, name=name, online=online, data_dates=dates, profiles=profiles)
    topology.manifest = covering_manifest(paths, manifests) if paths else None
    return topology
