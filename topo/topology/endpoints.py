"""What a drawing calls the two ends of a trace: the vantage point and the destination.

The vantage point is named by its address when the trace recorded one, else by the
manifest's ``src_label``, else by what the trace shows of it (never by the input file's
name, which says nothing about where the probes left from):

1. the first public hop is in a cloud provider's published ranges (or its hostname, such as
   ``ec2-3-248-240-5.eu-west-1.compute.amazonaws.com``, says so): ``EC2 eu-west-1
   instance`` (``Google Cloud … VM``, ``OCI … instance``), in the region of the first of
   the provider's hops that has one (``EC2 instance`` when none has);
2. the first public hop has another owner: ``host on Comcast``;
3. hop 1 has a host name: ``host behind gw.example.net``;
4. the manifest's ``src_region``: ``host in ap-northeast-1``;
5. else ``vantage point``.

Only the first public hop, and the provider's hops right after it, speak for the vantage
point (private and reserved hops, and ``*``, may come before it): a provider met after
someone else's hop says nothing about where the trace started.

The destination is drawn with the manifest's ``dst_label`` when there is one, else its
address. A ``dst_label`` names each destination of a set, so it is one node's name: a
plural noun in it is made singular (``Osaka EC2 instances`` -> ``Osaka EC2 instance``).

Every end's label identifies its node (:func:`distinct_labels`): ends that would share a
label add their address (``Osaka EC2 instance 13.208.60.14``), else a number
(``EC2 eu-west-1 instance #2``, for vantage points known only by their file).

>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.views import answers_for, view_trace
>>> name = "ec2-3-248-240-5.eu-west-1.compute.amazonaws.com"
>>> trace = Trace(dst="1.1.1.1", hops=(
...     Hop(1, (Reply("192.168.1.1", 0.3),)), Hop(2, (Reply("3.248.240.5", 1.2, name=name),))))
>>> vantage_label(view_trace(trace, answers_for([trace])))
'EC2 eu-west-1 instance'
>>> home = Trace(dst="8.8.8.8", hops=(
...     Hop(1, (Reply("192.168.1.1", 0.3, name="gw.home.lan"),)), Hop(2, (Reply("8.8.8.8", 9.0),))))
>>> vantage_label(view_trace(home, answers_for([home])))
'host on Google'
>>> lan = Trace(dst="10.0.9.9", hops=(Hop(1, (Reply("192.168.1.1", 0.3, name="gw.home.lan"),)),))
>>> vantage_label(view_trace(lan, answers_for([lan])))
'host behind gw.home.lan'
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import MutableMapping, Sequence
from typing import Any

from topo.owners import OwnerAnswer
from topo.topology.views import Step, TraceView

#: How an instance of a cloud provider is called, by the provider's slug.
INSTANCE_NAMES = {
    "aws": "EC2 {region} instance",
    "gcp": "Google Cloud {region} VM",
    "oracle": "OCI {region} instance",
}


#: Plural nouns a ``dst_label`` may use for a set's destinations, and the singular that
#: names one of them.
SINGULARS = {
    "instances": "instance",
    "VMs": "VM",
    "vms": "vm",
    "hosts": "host",
    "servers": "server",
    "machines": "machine",
    "nodes": "node",
    "destinations": "destination",
    "targets": "target",
    "endpoints": "endpoint",
    "addresses": "address",
    "routers": "router",
    "containers": "container",
    "devices": "device",
    "resolvers": "resolver",
    "anchors": "anchor",
    "probes": "probe",
    "pods": "pod",
}
_PLURAL = re.compile(r"\b(" + "|".join(map(re.escape, SINGULARS)) + r")\b")


def singular(label: str) -> str:
    """``label`` naming one thing: its plural nouns of :data:`SINGULARS` made singular.

    >>> singular("Osaka EC2 instances"), singular("Los Angeles hosts"), singular("Google DNS")
    ('Osaka EC2 instance', 'Los Angeles host', 'Google DNS')
    """
    return _PLURAL.sub(lambda m: SINGULARS[m.group(1)], label)


def vantage_label(view: TraceView) -> str:
    """The vantage point's label (see the module docstring for the order of evidence)."""
    if view.digest.src:
        return view.digest.src
    manifest = view.manifest
    if manifest is not None and manifest.src_label:
        return manifest.src_label
    steps = view.steps
    first = next((i for i, s in enumerate(steps) if _public(s)), None)
    if first is not None:
        owner = next((a.owner for a in _public(steps[first]) if a.owner is not None), None)
        if owner is not None and owner.provider:
            region = _provider_region(steps[first:], owner.family)
            wording = INSTANCE_NAMES.get(owner.provider, "{family} {region} host")
            text = wording.format(region=region or "", family=owner.family or owner.provider)
            return " ".join(text.split())
        if owner is not None and (owner.family or owner.org):
            return f"host on {owner.family or owner.org}"
    if steps and steps[0].ttl == 1:
        names = [n for entry in steps[0].stats for n in entry[4] if "." in n.strip(".")]
        if names:
            return f"host behind {names[0].rstrip('.')}"
    if manifest is not None and manifest.src_region:
        return f"host in {manifest.src_region}"
    return "vantage point"


def _public(step: Step) -> list[OwnerAnswer]:
    return [a for a in step.answers if not a.classification.special]


def _provider_region(steps: Sequence[Step], family: str | None) -> str | None:
    """The first region published for the provider's hops from the first public one on,
    before the path meets anyone else's."""
    for step in steps:
        for answer in _public(step):
            owner = answer.owner
            if owner is None or owner.family != family:
                return None
            if owner.region:
                return owner.region
    return None


def destination_label(view: TraceView) -> str | None:
    """The manifest's ``dst_label`` (``None``: the destination is drawn by its address)."""
    manifest = view.manifest
    return singular(manifest.dst_label) if manifest is not None and manifest.dst_label else None


def _is_end(attrs: Any) -> bool:
    """A vantage point or a destination (one that answered is an address node marked
    ``reached``)."""
    return attrs.get("kind") in ("vantage", "destination") or "reached" in attrs


def distinct_labels(nodes: MutableMapping[str, dict[str, Any]]) -> None:
    """Relabel the ends (vantage points, destinations) of a graph's ``nodes`` that share a
    label, in place, so that each label names one node: each adds its address (unless it is
    labelled by it), and a destination that never answered ``(no answer)`` when another
    end holds its address (a trace that reached it); ends without an address are numbered
    (``#1``, ``#2``... in node order) when there are several; anything still shared is
    numbered.

    >>> nodes = {"dst:13.208.60.14": {"kind": "destination", "label": "Osaka EC2 instance",
    ...     "addr": "13.208.60.14", "reached": False}, "15.168.121.7": {"kind": "hop",
    ...     "reached": True, "label": "Osaka EC2 instance", "addr": "15.168.121.7"},
    ...     "vantage:Osaka EC2 instance": {"kind": "vantage", "label": "Osaka EC2 instance"},
    ...     "vantage:a.txt": {"kind": "vantage", "label": "EC2 eu-west-1 instance"},
    ...     "vantage:b.txt": {"kind": "vantage", "label": "EC2 eu-west-1 instance"},
    ...     "dst:58.60.188.222": {"kind": "destination", "label": "58.60.188.222",
    ...     "addr": "58.60.188.222", "reached": False}, "58.60.188.222": {"kind": "hop",
    ...     "label": "58.60.188.222", "addr": "58.60.188.222", "reached": True}}
    >>> distinct_labels(nodes)
    >>> [n["label"] for n in nodes.values()]  # doctest: +NORMALIZE_WHITESPACE
    ['Osaka EC2 instance 13.208.60.14', 'Osaka EC2 instance 15.168.121.7',
     'Osaka EC2 instance', 'EC2 eu-west-1 instance #1', 'EC2 eu-west-1 instance #2',
     '58.60.188.222 (no answer)', '58.60.188.222']
    """
    for numbers_only in (False, True):  # the second pass numbers what is still shared
        for label, ends in _shared(nodes).items():
            if numbers_only:
                for number, attrs in enumerate(ends, 1):
                    attrs["label"] = f"{label} #{number}"
            else:
                _tell_apart(label, ends)


def _shared(nodes: MutableMapping[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The ends of ``nodes`` by label, for the labels several of them share."""
    found: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for attrs in nodes.values():
        if _is_end(attrs):
            found[str(attrs.get("label"))].append(attrs)
    return {label: ends for label, ends in found.items() if len(ends) > 1}


def _tell_apart(label: str, ends: Sequence[dict[str, Any]]) -> None:
    """Label the ``ends`` that share ``label`` by their addresses (see
    :func:`distinct_labels`).

    >>> ends = [{"label": "x", "addr": "192.0.2.1"}, {"label": "x"}]
    >>> _tell_apart("x", ends)
    >>> [e["label"] for e in ends]
    ['x 192.0.2.1', 'x']
    """
    held = Counter(str(a["addr"]) for a in ends if a.get("addr"))
    bare = [a for a in ends if not a.get("addr")]
    number = 0
    for attrs in ends:
        addr = attrs.get("addr")
        if not addr:
            number += 1
            attrs["label"] = label if len(bare) == 1 else f"{label} #{number}"
            continue
        name = label if addr == label else f"{label} {addr}"
        if held[str(addr)] > 1 and attrs.get("reached") is False:
            name += " (no answer)"
        attrs["label"] = name
