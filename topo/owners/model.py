"""What topo knows about who owns an address: :class:`Owner` and :class:`OwnerAnswer`.

An :class:`Owner` describes a *network* (its covering ``prefix``), so one answer serves
every address inside it. An :class:`OwnerAnswer` is the answer for one address: its IANA
classification, the owner when one is known, and why not when it is not.

>>> owner = Owner(prefix="13.208.0.0/16", family="Amazon", provider="aws",
...               region="ap-northeast-3", services=("AMAZON", "EC2"),
...               answered_by="aws-ip-ranges")
>>> owner.to_dict()["services"]
['AMAZON', 'EC2']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

from topo.classify import AddressClass


@dataclass(frozen=True, slots=True)
class Owner:
    """Who holds a network, merged from every source that said something about it.

    ``org`` is the organisation as a registry (or a user table) names it; ``family`` the
    normalised owner family ("Amazon" for "Amazon Technologies Inc.", AS16509, ...);
    ``provider`` the cloud provider slug (``aws``, ``gcp``, ``oracle``) when the address is
    in its published ranges, with ``region`` (never AWS's pseudo-region ``GLOBAL``),
    ``services`` and ``border_group``. ``answered_by`` names the sources, ``+``-joined,
    most authoritative first (``owner-table``, ``rdap``, ``whois``, ``cache``, ``ip2asn``,
    ``aws-ip-ranges``, ``gcp-cloud``, ``oracle-cloud``).
    """

    prefix: str | None = None
    org: str | None = None
    family: str | None = None
    asn: int | None = None
    asn_name: str | None = None
    provider: str | None = None
    region: str | None = None
    services: tuple[str, ...] = ()
    border_group: str | None = None
    country: str | None = None
    answered_by: str | None = None
    #: What else was seen about the network, in words: the hostname rule that matched,
    #: an AS number the trace printed, a source that disagrees with the answer kept.
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form (lists for tuples)."""
        data = asdict(self)
        data["services"] = list(self.services)
        data["evidence"] = list(self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Owner:
        """Read back :meth:`to_dict` (unknown keys are ignored)."""
        fields: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["services"] = tuple(data.get("services") or ())
        fields["evidence"] = tuple(data.get("evidence") or ())
        return cls(**fields)

    def overlay(self, other: Owner) -> Owner:
        """``self`` with every field ``other`` knows taken from ``other``.

        >>> Owner(org="A", region="r1").overlay(Owner(org="B")).org
        'B'
        """
        changes = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(other, name) not in (None, ()) and name not in ("answered_by", "evidence")
        }
        changes["evidence"] = tuple(dict.fromkeys((*self.evidence, *other.evidence)))
        if other.asn is not None and other.asn != self.asn and other.asn_name is None:
            changes["asn_name"] = None  # the name went with the number it replaces
        sources = [s for s in (other.answered_by, self.answered_by) if s]
        merged = "+".join(dict.fromkeys(part for s in sources for part in s.split("+")))
        return replace(self, **changes, answered_by=merged or None)


@dataclass(frozen=True, slots=True)
class OwnerAnswer:
    """The answer for one address: its classification, its owner, or why there is none.

    ``owner`` is ``None`` for special-purpose addresses (never looked up) and for public
    addresses nobody could resolve; ``error`` then says why (``"offline"``,
    ``"timeout: ..."``, ...). ``to_dict`` gives the ``topo whois --json`` record.
    """

    addr: str
    classification: AddressClass
    owner: Owner | None = None
    error: str | None = None

    @property
    def resolved(self) -> bool:
        """True when an owner family or organisation is known."""
        return self.owner is not None and (self.owner.family or self.owner.org) is not None

    def to_dict(self) -> dict[str, Any]:
        """The ``topo whois --json`` record: classification keys, then owner keys."""
        owner = self.owner or Owner()
        return {
            "addr": self.addr,
            **self.classification.to_dict(),
            "org": owner.org,
            "family": owner.family,
            "asn": owner.asn,
            "asn_name": owner.asn_name,
            "prefix": owner.prefix,
            "provider": owner.provider,
            "region": owner.region,
            "services": list(owner.services),
            "answered_by": owner.answered_by,
            "evidence": list(owner.evidence),
            "error": self.error,
        }


class AddressHints(NamedTuple):
    """What the traces themselves said about an address: the names the tool printed for it
    and the AS numbers it printed (``traceroute -A``, mtr ``-z``, BestTrace). Evidence for
    the resolver, never more authoritative than a registry or a published range.

    >>> AddressHints(("ae1.cr1.fra1.ip4.gtt.net",), (3257,)).asns
    (3257,)
    """

    names: tuple[str, ...] = ()
    asns: tuple[int, ...] = ()
