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
address.

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

from collections.abc import Sequence

from topo.owners import OwnerAnswer
from topo.topology.views import Step, TraceView

#: How an instance of a cloud provider is called, by the provider's slug.
INSTANCE_NAMES = {
    "aws": "EC2 {region} instance",
    "gcp": "Google Cloud {region} VM",
    "oracle": "OCI {region} instance",
}


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
    return manifest.dst_label if manifest is not None and manifest.dst_label else None
