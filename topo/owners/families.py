"""Owner families: one name for the many ways registries name one owner.

"Amazon Technologies Inc.", "Amazon Data Services Osaka", "Amazon.com, Inc.", AS16509,
AS14618 and the AS names ``AMAZON-02`` and ``AMAZON-AES`` are all "Amazon". The table is
``topo/data/owners/families.toml`` (sources there). An organisation nobody lists keeps a
family of its own: its name without legal suffixes; so does an AS name nobody lists, without
its trailing AS number too (``EXAMPLE-NET-64500`` → ``EXAMPLE-NET``).

>>> families = load_families()
>>> families.family_of(org="Amazon Data Services Osaka"), families.family_of(asn=14618)
('Amazon', 'Amazon')
>>> families.family_of(asn_name="NTT-LTD-2914"), families.family_of(asn_name="GOOGLE-FIBER")
('NTT', 'Google Fiber')
>>> families.family_of(provider="gcp"), families.family_of(org="Example Networks, Inc.")
('Google', 'Example Networks')
>>> families.family_of(asn_name="EXAMPLE-NET-64500")
'EXAMPLE-NET'
>>> families.family_of(org=None, asn=64512) is None
True
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(co\.?,?\s*ltd|inc|incorporated|llc|llp|lp|ltd|ltda|limited|corp|corporation|co|gmbh|ag|sa|"
    r"bv|nv|plc|kk|pty|pte|ab|oy|oyj|asa|spa|srl|sas|sarl|kft|cjsc|ojsc|pjsc|jsc|"
    r"s\.?a\.?|b\.?v\.?|n\.?v\.?|s\.?p\.?a\.?|s\.?r\.?l\.?|s\.?r\.?o\.?)\.?$",
    re.IGNORECASE,
)
#: A trailing AS number or AS marker in an AS name: ``-64500``, ``-AS64500``, ``-AS``, ``-ASN``.
_AS_NAME_TAIL = re.compile(r"[-_\s]+(?:AS\d+|ASN?|\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Family:
    """One owner family: its name, cloud provider slug, name patterns and AS numbers.

    ``org_patterns`` are matched against organisation names and AS names;
    ``as_name_patterns`` only against AS names (``TELIANET``, ``LVLT``, ``CNCGROUP``: names
    that say nothing as an organisation name).
    """

    name: str
    provider: str | None
    org_patterns: tuple[re.Pattern[str], ...]
    asns: frozenset[int]
    as_name_patterns: tuple[re.Pattern[str], ...] = ()
    #: Runs a cloud or hosting network that traces start from.
    cloud: bool = False


def normalise_org(org: str) -> str:
    """An organisation name without trailing legal suffixes and punctuation.

    >>> normalise_org("Example Networks, Inc."), normalise_org("ACME Corp")
    ('Example Networks', 'ACME')
    >>> normalise_org("Example Telecom CJSC"), normalise_org("Example Mobile Co.Ltd.")
    ('Example Telecom', 'Example Mobile')
    """
    name = org.strip().strip(".,")
    while True:
        shorter = _LEGAL_SUFFIX.sub("", name).strip().strip(".,")
        if shorter == name or not shorter:
            return name
        name = shorter


def normalise_as_name(as_name: str) -> str:
    """An AS name without its trailing AS number or ``-AS`` marker, then legal suffixes.

    Registries often end an AS name with the number (``COGENT-174``) or ``-AS``; an AS name
    that is an organisation name (``Example Telecom CJSC``) loses its legal suffix. The name
    is never emptied: ``AS64500`` stays as it is.

    >>> normalise_as_name("EXAMPLE-NET-64500"), normalise_as_name("EXAMPLE-AS")
    ('EXAMPLE-NET', 'EXAMPLE')
    >>> normalise_as_name("Example Telecom CJSC"), normalise_as_name("AS64500")
    ('Example Telecom', 'AS64500')
    """
    name = as_name.strip()
    while True:
        shorter = _AS_NAME_TAIL.sub("", name).strip()
        if shorter == name or not shorter:
            break
        name = shorter
    return normalise_org(name)


@dataclass(frozen=True)
class Families:
    """The family table with lookups by organisation, AS number, AS name and provider."""

    families: tuple[Family, ...]

    def is_cloud(self, name: str | None) -> bool:
        """Whether the family ``name`` runs a cloud or hosting network.

        >>> load_families().is_cloud("Amazon"), load_families().is_cloud("Arelion")
        (True, False)
        """
        return any(f.cloud for f in self.families if f.name == name)

    def by_provider(self, provider: str | None) -> Family | None:
        """The family that publishes the ``provider`` ranges."""
        return next((f for f in self.families if provider and f.provider == provider), None)

    def by_as_name(self, as_name: str | None) -> Family | None:
        """The family whose AS-name or organisation patterns match ``as_name``.

        Families are tried in the table's order, so a narrower family listed first (Google
        Fiber) wins over a broader one (Google).

        >>> load_families().by_as_name("AMAZON-02").name
        'Amazon'
        >>> load_families().by_as_name("EXAMPLE-NET-64500") is None
        True
        """
        if not as_name:
            return None
        for family in self.families:
            patterns = (*family.as_name_patterns, *family.org_patterns)
            if any(p.search(as_name) for p in patterns):
                return family
        return None

    def family_of(
        self,
        *,
        org: str | None = None,
        asn: int | None = None,
        provider: str | None = None,
        asn_name: str | None = None,
    ) -> str | None:
        """The family, from the first of these rules that gives one.

        1. ``org`` matches a family's organisation pattern;
        2. ``asn`` is one of a family's AS numbers;
        3. ``asn_name`` matches a family's AS-name or organisation pattern;
        4. ``org`` itself, without legal suffixes (:func:`normalise_org`);
        5. the family that publishes the ``provider`` ranges;
        6. ``asn_name`` itself, without its AS number and legal suffixes
           (:func:`normalise_as_name`).

        An organisation a registry or user table names is who holds the space, so it wins
        over the provider whose published range the address falls in. An AS name that no
        family claims only names who announces the space: a provider's own publication
        of the range says more (AWS's China regions are announced by their local
        operators' AS numbers). Without any of them the answer is ``None``.
        """
        if org:
            for family in self.families:
                if any(p.search(org) for p in family.org_patterns):
                    return family.name
        if asn is not None:
            for family in self.families:
                if asn in family.asns:
                    return family.name
        named = self.by_as_name(asn_name)
        if named is not None:
            return named.name
        if org:
            return normalise_org(org)
        known = self.by_provider(provider)
        if known is not None:
            return known.name
        if asn_name and asn_name.strip():
            return normalise_as_name(asn_name)
        return None


def _patterns(item: dict[str, Any], key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in item.get(key, ()))


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
                org_patterns=_patterns(item, "org"),
                asns=frozenset(int(a) for a in item.get("asns", ())),
                as_name_patterns=_patterns(item, "as_name"),
                cloud=bool(item.get("cloud", False)),
            )
            for item in data["family"]
        )
    )
