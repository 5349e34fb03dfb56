"""Owner families: one name for the many ways registries name one owner.

"Amazon Technologies Inc.", "Amazon Data Services Osaka", "Amazon.com, Inc.", AS16509 and
AS14618 are all "Amazon". The table is ``topo/data/owners/families.toml`` (sources there).
An organisation nobody lists keeps a family of its own: its name without legal suffixes.

>>> families = load_families()
>>> families.family_of(org="Amazon Data Services Osaka"), families.family_of(asn=14618)
('Amazon', 'Amazon')
>>> families.family_of(provider="gcp"), families.family_of(org="Example Networks, Inc.")
('Google', 'Example Networks')
>>> families.family_of(org=None, asn=64512) is None
True
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(inc|incorporated|llc|ltd|limited|corp|corporation|co|gmbh|ag|sa|bv|plc|kk|"
    r"pty|pte|s\.?a\.?|b\.?v\.?)\.?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Family:
    """One owner family: its name, cloud provider slug, org-name patterns and AS numbers."""

    name: str
    provider: str | None
    org_patterns: tuple[re.Pattern[str], ...]
    asns: frozenset[int]


def normalise_org(org: str) -> str:
    """An organisation name without trailing legal suffixes and punctuation.

    >>> normalise_org("Example Networks, Inc."), normalise_org("ACME Corp")
    ('Example Networks', 'ACME')
    """
    name = org.strip().strip(".,")
    while True:
        shorter = _LEGAL_SUFFIX.sub("", name).strip().strip(".,")
        if shorter == name or not shorter:
            return name
        name = shorter


@dataclass(frozen=True)
class Families:
    """The family table with lookups by organisation, AS number and provider."""

    families: tuple[Family, ...]

    def by_provider(self, provider: str | None) -> Family | None:
        """The family that publishes the ``provider`` ranges."""
        return next((f for f in self.families if provider and f.provider == provider), None)

    def family_of(
        self, *, org: str | None = None, asn: int | None = None, provider: str | None = None
    ) -> str | None:
        """The family: a known org pattern, else the AS, else the org itself, else the provider.

        An organisation a registry or user table names is who holds the space, so it wins
        over the provider whose published range the address falls in.
        """
        if org:
            for family in self.families:
                if any(p.search(org) for p in family.org_patterns):
                    return family.name
        if asn is not None:
            for family in self.families:
                if asn in family.asns:
                    return family.name
        if org:
            return normalise_org(org)
        known = self.by_provider(provider)
        return known.name if known is not None else None


@cache
def load_families() -> Families:
    """The shipped family table (read once)."""
    text = resources.files("topo.data.owners").joinpath("families.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return Families(
        tuple(
            Family(
                name=item["name"],
                provider=item.get("provider"),
                org_patterns=tuple(re.compile(p, re.IGNORECASE) for p in item.get("org", ())),
                asns=frozenset(int(a) for a in item.get("asns", ())),
            )
            for item in data["family"]
        )
    )
