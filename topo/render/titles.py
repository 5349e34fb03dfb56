"""Titles and default file names that fit an input set.

A set's title is its name when it has one (``--title``, or the ``name`` of the one manifest
that covers every input: :attr:`topo.topology.result.Topology.name`); a set without one is
titled from its contents by :func:`set_title`:

- one region pair: its two ends as the drawing names them (the vantage point's label, the
  destination's ``dst_label`` or address; the region's city when the ends are several),
  and the number of traces when there are several:
  ``Osaka EC2 instance to Tokyo EC2 instance``, ``EC2 eu-west-1 instance to 1.1.1.1``,
  ``Tokyo to 3 destinations, 3 traces``;
- several region pairs: ``5 region pairs, 16 traces``.

The default output file is ``output/<slug>.html`` (:func:`default_output`): the slug from
the set's name, else from its input (the file or folder name, the common folder of several),
and, for several inputs, a short hash of them, so the page of a combined set never takes the
name of one of its sets' pages.

>>> import topo
>>> set_title(topo.analyze(["samples/aws-osaka-tokyo/traceroute.txt"]).graph)
'Osaka EC2 instance to Tokyo EC2 instance'
>>> set_title(topo.analyze(["samples/aws-tokyo-seoul", "samples/aws-tokyo-osaka"]).graph)
'2 region pairs, 6 traces'

One function decides what a page, figure or report is titled, whatever road built it
(``topo build``, or :func:`topo.analyze` and :func:`topo.render.write_html`):
:func:`page_title`.

>>> page_title(topo.analyze(["samples/aws-osaka-tokyo"]))
"AWS Osaka to Tokyo (the article's traceroute)"
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from topo.topology.endpoints import SINGULARS
from topo.topology.regions import load_regions
from topo.topology.result import Topology

#: The plural of each noun a ``dst_label`` may name its destinations with.
PLURALS = {one: many for many, one in SINGULARS.items()}
#: The longest slug of a default file name (before its hash).
SLUG_MAX = 60
#: Hex digits of the inputs' hash in a default file name.
HASH_DIGITS = 8


def slugify(text: str) -> str:
    """``[a-z0-9-]`` only: accents folded, everything else a single ``-`` ('' if nothing).

    >>> slugify("AWS Osaka → Tokyo (the article's)")
    'aws-osaka-tokyo-the-article-s'
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] or slug[:SLUG_MAX]
    return slug


def inputs_hash(inputs: Sequence[str]) -> str:
    """A short hash of the inputs as named (order and trailing ``/`` aside): the same set
    of inputs gives the same hash on every run.

    >>> inputs_hash(["samples/b/", "samples/a"]) == inputs_hash(["samples/a", "samples/b"])
    True
    """
    names = sorted({p if p == "-" else os.path.normpath(p) for p in inputs})
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()[
        :HASH_DIGITS
    ]


def _input_stem(path: str) -> str:
    return "stdin" if path == "-" else Path(path.rstrip("/")).stem


def default_output(name: str | None, inputs: Sequence[str], folder: str | Path = "output") -> Path:
    """``output/<slug>.html``: the slug from the set's ``name``, else from its input (the
    file or folder name; for several, the folder they share, else the first name in
    order),
    never from file contents; ``topology`` when none gives one. Several inputs add
    ``-<hash of the inputs>``, so a combined set never takes a single set's file name.

    >>> default_output(None, ["samples/aws-osaka-tokyo/"])
    PosixPath('output/aws-osaka-tokyo.html')
    >>> default_output("../../etc/passwd", ["x"])
    PosixPath('output/etc-passwd.html')
    >>> default_output(None, ["samples/aws-osaka-tokyo/", "samples/aws-tokyo-osaka/"])
    PosixPath('output/samples-af74eebe.html')
    """
    candidates = [name] if name else []
    named = sorted({p if p == "-" else os.path.normpath(p) for p in inputs})
    if len(named) > 1:
        files = [p for p in named if p != "-"]
        try:
            shared = os.path.commonpath(files)
        except ValueError:  # only standard input, or absolute and relative paths mixed
            shared = ""
        candidates.append(_input_stem(shared) if shared in files else Path(shared).name)
    candidates += [_input_stem(p) for p in named[:1]]
    slug = next((s for s in map(slugify, filter(None, candidates)) if s), "topology")
    if len(inputs) > 1:
        slug = f"{slug}-{inputs_hash(inputs)}"
    return Path(folder) / f"{slug}.html"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _place(region: str | None) -> str | None:
    return load_regions().city(region) or region


def _ends(G: nx.DiGraph) -> list[tuple[str | None, str | None]]:
    """``(source region, destination region)`` of every trace (``None``: unknown)."""
    inferred = G.graph.get("inference", {}).get("traces")
    if inferred is None:
        return [(None, None)] * len(G.graph.get("trace_paths", {}))
    return [(t.get("src_region"), t.get("dst_region")) for t in inferred]


def _labels(G: nx.DiGraph) -> tuple[list[str], list[str]]:
    """The distinct labels of the traces' vantage points and destinations, in order."""
    vantages: dict[str, None] = {}
    destinations: dict[str, None] = {}
    nodes = G.nodes
    for info in G.graph.get("trace_paths", {}).values():
        path: list[Any] = info.get("path") or []
        if path and path[0] in nodes and nodes[path[0]].get("kind") == "vantage":
            vantages[str(nodes[path[0]].get("label", path[0]))] = None
        dst = info.get("dst")
        if not dst:
            continue
        last = path[-1] if path else None
        if last in nodes and last in (dst, f"dst:{dst}"):
            destinations[str(nodes[last].get("label", dst))] = None
        else:  # drawn inside an aggregate: its address
            destinations[str(dst)] = None
    return list(vantages), list(destinations)


def describe_traces(ends: Iterable[tuple[str | None, str | None]]) -> str:
    """``5 region pairs, 16 traces``: what a set of traces holds, by (source region,
    destination region); an unknown region counts as a pair of its own.

    >>> describe_traces([("a", "b"), ("a", "b"), (None, "b")])
    '2 region pairs, 3 traces'
    """
    ends = list(ends)
    return f"{_count(len(set(ends)), 'region pair')}, {_count(len(ends), 'trace')}"


#: What :func:`topo.topology.endpoints.distinct_labels` adds to tell ends apart.
_TOLD_APART = re.compile(r"( #\d+| \(no answer\)| [0-9A-Fa-f]*[.:][0-9A-Fa-f:.]*)+$")


def _kind_of(labels: Sequence[str]) -> str | None:
    """``3 Osaka EC2 instances``: several ends told apart from one label (a ``dst_label``),
    by that label in the plural, when it has a noun :data:`SINGULARS` knows.

    >>> _kind_of(["Osaka EC2 instance 13.208.60.14", "Osaka EC2 instance 15.168.121.7"])
    '2 Osaka EC2 instances'
    >>> _kind_of(["58.60.188.222", "202.112.14.151"]) is None
    True
    """
    ends = {label.removesuffix(" (no answer)") for label in labels}
    bases = {_TOLD_APART.sub("", label) for label in ends}
    if len(bases) != 1:
        return None
    (base,) = bases
    words = base.split(" ")
    for index in range(len(words) - 1, -1, -1):
        if words[index] in PLURALS:
            words[index] = PLURALS[words[index]]
            return f"{len(ends):,} {' '.join(words)}"
    return None


def set_title(G: nx.DiGraph) -> str:
    """The title of a set without a name, from its contents (see the module docstring)."""
    ends = _ends(G)
    if not ends:
        return "no traces"
    pairs = set(ends)
    if len(pairs) > 1:
        return describe_traces(ends)
    ((src_region, dst_region),) = pairs
    vantages, destinations = _labels(G)
    src = vantages[0] if len(vantages) == 1 else _place(src_region)
    dst = destinations[0] if len(destinations) == 1 else _kind_of(destinations)
    dst = dst or _place(dst_region)
    src = src or _count(len(vantages), "vantage point")
    dst = dst or _count(len(destinations), "destination")
    title = f"{src} to {dst}"
    return title if len(ends) == 1 else f"{title}, {_count(len(ends), 'trace')}"


def page_title(source: Topology | nx.DiGraph, title: str | None = None) -> str:
    """What a set's page, figure or report is titled: ``title`` when one is given (the
    ``--title`` option), else the set's name (:attr:`Topology.name
    <topo.topology.result.Topology.name>`), else its contents (:func:`set_title`, of the
    whole graph, never of a page's aggregate of it).

    >>> import topo
    >>> topology = topo.analyze(["samples/aws-osaka-tokyo"])
    >>> page_title(topology, "For slides"), page_title(topology.graph)
    ('For slides', 'Osaka EC2 instance to Tokyo EC2 instance')
    """
    if title:
        return title
    if isinstance(source, Topology):
        return source.name or set_title(source.graph)
    return set_title(source)


def comparison_title(graphs: Sequence[nx.DiGraph]) -> str:
    """The title of a comparison: ``6 sets compared: 5 region pairs, 16 traces``."""
    ends = [end for G in graphs for end in _ends(G)]
    return f"{_count(len(graphs), 'set')} compared: {describe_traces(ends)}"
