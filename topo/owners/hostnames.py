"""Hostname rules: what a hop's reverse-DNS name says about who runs it.

``ec2-3-248-240-5.eu-west-1.compute.amazonaws.com`` is an AWS instance in eu-west-1,
``arn09s22-in-f14.1e100.net`` a Google server in Stockholm and
``frm-nt-cr2.ae26-1456.rascom.as20764.net`` a RASCOM (AS20764) router in Frankfurt. The
readings are rules in ``topo/data/owners/hostnames.toml`` (its header says what a rule is,
how rules are ordered and where each naming convention comes from); this module compiles
them once and matches names against them.

A name is only tried against the rules of the domains it is under (one dictionary look-up
per label suffix) and then against the few generic rules, so matching tens of thousands of
names costs a few regular-expression searches each (about 4 µs a name).

A hit is evidence, not proof: whoever holds an address's reverse zone can write any name
there, so registry and published-range answers outrank it.

>>> rules = load_hostname_rules()
>>> hit = rules.match("ec2-3-248-240-5.eu-west-1.compute.amazonaws.com")
>>> hit.family, hit.provider, hit.region, hit.rule
('Amazon', 'aws', 'eu-west-1', 'aws-ec2')
>>> hit = rules.match("be3080.ccr71.tyo01.atlas.cogentco.com")
>>> hit.family, hit.asn, hit.city
('Cogent', 174, 'Tokyo')
>>> rules.match("gas-station.example") is None
True
>>> rules.match("arn09s22-in-f14.1e100.net").to_owner().evidence
('hostname arn09s22-in-f14.1e100.net matched rule google-1e100-site',)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from topo.owners.model import Owner

#: The named groups a rule's pattern may use.
GROUPS = frozenset({"region", "city", "city_name", "asn"})
#: The keys a rule may have.
RULE_KEYS = frozenset(
    {"id", "suffixes", "pattern", "family", "asn", "provider", "region", "cities", "source"}
)
#: The largest AS number (32 bits).
MAX_ASN = 4_294_967_295


@dataclass(frozen=True, slots=True)
class HostnameHit:
    """What a rule read from one name.

    ``name`` is the name as matched (lower case, no trailing dot); ``rule`` the id of the
    rule that matched. ``region`` is a cloud region (``eu-west-1``), ``city`` a place read
    from a location code (``sin2`` -> ``Singapore``), ``provider`` a cloud slug (``aws``,
    ``gcp``, ``oracle``) for a cloud instance's name.

    >>> HostnameHit("r1.example.net", "as-label", asn=64500).to_owner().answered_by
    'hostname'
    """

    name: str
    rule: str
    family: str | None = None
    asn: int | None = None
    region: str | None = None
    city: str | None = None
    provider: str | None = None

    def to_owner(self) -> Owner:
        """The :class:`~topo.owners.model.Owner` this hit stands for, with its evidence."""
        return Owner(
            family=self.family,
            asn=self.asn,
            region=self.region,
            provider=self.provider,
            answered_by="hostname",
            evidence=(f"hostname {self.name} matched rule {self.rule}",),
        )


@dataclass(frozen=True, slots=True)
class HostnameRule:
    """One compiled rule of ``hostnames.toml`` (see its header for the keys)."""

    id: str
    index: int
    suffixes: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    family: str | None = None
    asn: int | None = None
    provider: str | None = None
    region: str | None = None
    cities: Mapping[str, str] | None = None
    source: str | None = None

    def apply(self, name: str, cities: Mapping[str, str]) -> HostnameHit | None:
        """The hit for ``name`` (lower case) when this rule's pattern matches it.

        ``cities`` is the shared code table, tried after the rule's own ``cities``.
        """
        groups: dict[str, str | None] = {}
        if self.pattern is not None:
            found = self.pattern.search(name)
            if found is None:
                return None
            groups = found.groupdict()
        asn = self.asn
        if groups.get("asn"):
            asn = int(groups["asn"] or 0)
            if not 0 < asn <= MAX_ASN:
                return None
        return HostnameHit(
            name=name,
            rule=self.id,
            family=self.family,
            asn=asn,
            region=groups.get("region") or self.region,
            city=self._city(groups, cities),
            provider=self.provider,
        )

    def _city(self, groups: Mapping[str, str | None], cities: Mapping[str, str]) -> str | None:
        code = groups.get("city")
        if code:
            own = self.cities or {}
            return own.get(code) or cities.get(code)
        written = groups.get("city_name")
        return written.title() if written else None


@dataclass(frozen=True)
class HostnameRules:
    """The compiled rule table: :meth:`match` a name against it.

    ``rules`` in file order; ``cities`` the shared location-code table.
    """

    rules: tuple[HostnameRule, ...]
    cities: Mapping[str, str]
    _by_suffix: dict[str, tuple[HostnameRule, ...]] = field(init=False, repr=False)
    _generic: tuple[HostnameRule, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_suffix: dict[str, list[HostnameRule]] = {}
        for rule in self.rules:
            for suffix in rule.suffixes:
                by_suffix.setdefault(suffix, []).append(rule)
        object.__setattr__(self, "_by_suffix", {k: tuple(v) for k, v in by_suffix.items()})
        object.__setattr__(self, "_generic", tuple(r for r in self.rules if not r.suffixes))

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, name: str) -> tuple[HostnameRule, ...]:
        """The rules that may match ``name`` (lower case), in file order.

        >>> [r.id for r in load_hostname_rules().candidates("x.ntt.net")]
        ['ntt', 'as-label']
        """
        found: dict[int, HostnameRule] = {}
        start = 0
        while True:
            for rule in self._by_suffix.get(name[start:], ()):
                found[rule.index] = rule
            dot = name.find(".", start)
            if dot < 0:
                break
            start = dot + 1
        if not found:
            return self._generic
        found.update((rule.index, rule) for rule in self._generic)
        return tuple(found[i] for i in sorted(found))

    def match(self, name: str) -> HostnameHit | None:
        """The first rule's reading of ``name``, or ``None`` when no rule matches.

        Case and a trailing dot do not matter.

        >>> load_hostname_rules().match("FRM-NT-CR2.ae26-1456.rascom.AS20764.net.").asn
        20764
        """
        key = name.strip().rstrip(".").lower()
        if not key:
            return None
        for rule in self.candidates(key):
            hit = rule.apply(key, self.cities)
            if hit is not None:
                return hit
        return None


def _rule(index: int, item: Mapping[str, Any]) -> HostnameRule:
    """One rule of the table, checked and compiled."""
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise ValueError(f"hostnames.toml: rule {index + 1} has no id")
    unknown = set(item) - RULE_KEYS
    if unknown:
        raise ValueError(f"hostnames.toml: rule {rule_id}: unknown keys {sorted(unknown)}")
    pattern = re.compile(item["pattern"]) if "pattern" in item else None
    if pattern is not None and set(pattern.groupindex) - GROUPS:
        extra = sorted(set(pattern.groupindex) - GROUPS)
        raise ValueError(f"hostnames.toml: rule {rule_id}: unknown groups {extra}")
    suffixes = tuple(s.lower().strip(".") for s in item.get("suffixes", ()))
    if pattern is None and not suffixes:
        raise ValueError(f"hostnames.toml: rule {rule_id} has neither suffixes nor a pattern")
    cities = {str(k).lower(): str(v) for k, v in item.get("cities", {}).items()}
    return HostnameRule(
        id=rule_id,
        index=index,
        suffixes=suffixes,
        pattern=pattern,
        family=item.get("family"),
        asn=int(item["asn"]) if "asn" in item else None,
        provider=item.get("provider"),
        region=item.get("region"),
        cities=cities or None,
        source=item.get("source"),
    )


def parse_hostname_rules(text: str) -> HostnameRules:
    """Compile a rule table written like ``hostnames.toml``.

    >>> table = '''
    ... cities = {lhr = "London"}
    ... [[rule]]
    ... id = "example"
    ... suffixes = ["example.net"]
    ... pattern = '^(?P<city>[a-z]{3})[0-9]'
    ... family = "Example"
    ... '''
    >>> hit = parse_hostname_rules(table).match("lhr1.example.net")
    >>> hit.family, hit.city, hit.rule
    ('Example', 'London', 'example')
    """
    data = tomllib.loads(text)
    rules = tuple(_rule(i, item) for i, item in enumerate(data.get("rule", ())))
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"hostnames.toml: duplicate rule ids {duplicates}")
    cities = {str(k).lower(): str(v) for k, v in data.get("cities", {}).items()}
    return HostnameRules(rules, cities)


@cache
def load_hostname_rules() -> HostnameRules:
    """The shipped rule table, ``topo/data/owners/hostnames.toml`` (read once)."""
    text = resources.files("topo.data.owners").joinpath("hostnames.toml").read_text("utf-8")
    return parse_hostname_rules(text)
