"""Classify addresses against the IANA IPv4 and IPv6 special-purpose address registries.

Every address gets an :class:`AddressClass`: a category slug (``cgnat``, ``class-e``,
``private``, ``loopback``, ``link-local``, ``documentation``, ``benchmarking``,
``multicast``, ``this-network``, ``broadcast``, ..., or ``public``), the registry's name
and its RFC reference, the most specific registry entry winning. The tables are the IANA
CSV files shipped in ``topo/data/iana`` (see the ``SOURCES.md`` there), not
``ipaddress.is_private``/``is_global``, whose tables change between Python versions and
say nothing of RFC 6598.

An address is *special* (never looked up in whois, part of a reserved run) when its most
specific row says Globally Reachable = False, or it is Class E or multicast. Rows that are
globally reachable (AS112, AMT, 64:ff9b::/96, ...) classify as ``public`` but keep their
registry name. Terminated rows are ignored.

Lookups flatten the registry into disjoint integer intervals once
(:class:`topo.classify.prefixmap.PrefixMap`) and answer by ``bisect``, so :func:`classify_many`
handles millions of addresses quickly.

Example
-------
>>> c = classify_address("100.65.1.9")
>>> c.category, c.name, c.rfc, c.special
('cgnat', 'Shared Address Space', 'RFC6598', True)
>>> classify_address("240.1.52.17").rfc
'RFC1112, Section 4'
>>> classify_address("255.255.255.255").name
'Limited Broadcast'
>>> classify_address("13.208.0.67").category
'public'
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import socket
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from topo.classify.addresses import address_to_int, is_address, sort_key
from topo.classify.prefixmap import PrefixMap

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = [
    "PUBLIC",
    "AddressClass",
    "Classifier",
    "RegistryEntry",
    "address_to_int",
    "classify_address",
    "classify_many",
    "is_address",
    "is_special",
    "sort_key",
]

#: The registry files shipped with topo, in the order they are read.
REGISTRY_FILES = (
    "iana-ipv4-special-registry-1.csv",
    "iana-ipv6-special-registry-1.csv",
    "multicast.csv",
)

#: Category slug per registry block, for rows that are not globally reachable. Rows
#: that appear in a refreshed registry and are missing here get a slug of their name.
BLOCK_CATEGORIES: dict[str, str] = {
    "0.0.0.0/8": "this-network",
    "0.0.0.0/32": "this-network",
    "10.0.0.0/8": "private",
    "100.64.0.0/10": "cgnat",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "172.16.0.0/12": "private",
    "192.0.0.0/24": "ietf-protocol",
    "192.0.0.0/29": "ietf-protocol",
    "192.0.0.8/32": "dummy",
    "192.0.0.170/32": "ietf-protocol",
    "192.0.0.171/32": "ietf-protocol",
    "192.0.2.0/24": "documentation",
    "192.88.99.2/32": "ietf-protocol",
    "192.168.0.0/16": "private",
    "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation",
    "203.0.113.0/24": "documentation",
    "240.0.0.0/4": "class-e",
    "255.255.255.255/32": "broadcast",
    "224.0.0.0/4": "multicast",
    "::1/128": "loopback",
    "::/128": "unspecified",
    "::ffff:0:0/96": "ipv4-mapped",
    "64:ff9b:1::/48": "translation",
    "100::/64": "discard",
    "100:0:0:1::/64": "dummy",
    "2001::/23": "ietf-protocol",
    "2001:2::/48": "benchmarking",
    "2001:db8::/32": "documentation",
    "3fff::/20": "documentation",
    "5f00::/16": "srv6-sid",
    "fc00::/7": "unique-local",
    "fe80::/10": "link-local",
    "ff00::/8": "multicast",
}

#: Categories that are special whatever the Globally Reachable column says.
ALWAYS_SPECIAL = frozenset({"class-e", "multicast"})

_FOOTNOTE = re.compile(r"\s*\[\d+\]\s*$")


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One usable row of a special-purpose registry (one address block)."""

    network: IPNetwork
    name: str
    rfc: str
    category: str
    globally_reachable: bool | None
    registry: str

    @property
    def special(self) -> bool:
        """True when addresses of this block are never looked up and count as reserved."""
        return self.category in ALWAYS_SPECIAL or self.globally_reachable is False


@dataclass(frozen=True, slots=True)
class AddressClass:
    """What the registries say about one address.

    ``block`` is the registry block that matched (``None`` for plain public space).

    >>> found = classify_address("192.31.196.1")
    >>> found.category, found.name, found.rfc, found.special, found.block
    ('public', 'AS112-v4', 'RFC7535', False, '192.31.196.0/24')
    """

    category: str
    name: str | None
    rfc: str | None
    special: bool
    block: str | None

    def to_dict(self) -> dict[str, str | bool | None]:
        """The JSON form used by ``topo classify --json`` (without the address)."""
        return {"category": self.category, "name": self.name, "rfc": self.rfc}


PUBLIC = AddressClass(category="public", name=None, rfc=None, special=False, block=None)


def clean_rfc(cell: str) -> str:
    """The registry's RFC cell without brackets and line breaks.

    >>> clean_rfc("[RFC8190]\\n        [RFC919], Section 7")
    'RFC8190, RFC919, Section 7'
    >>> clean_rfc("[RFC1112], Section 4")
    'RFC1112, Section 4'
    """
    joined = re.sub(r"\]\s*\[", ", ", cell.strip())
    return re.sub(r"\s+", " ", joined.replace("[", "").replace("]", "")).strip()


def _clean(cell: str) -> str:
    return _FOOTNOTE.sub("", cell.strip())


def _flag(cell: str) -> bool | None:
    value = _clean(cell)
    return {"True": True, "False": False}.get(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "special"


def read_registry(text: str, registry: str) -> list[RegistryEntry]:
    """Parse one registry CSV (IANA's column layout) into entries; terminated rows are dropped.

    >>> rows = read_registry(
    ...     "Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,"
    ...     "Forwardable,Globally Reachable,Reserved-by-Protocol\\n"
    ...     "100.64.0.0/10,Shared Address Space,[RFC6598],2012-04,N/A,"
    ...     "True,True,True,False,False\\n",
    ...     "example")
    >>> rows[0].category, rows[0].rfc, rows[0].special
    ('cgnat', 'RFC6598', True)
    """
    entries: list[RegistryEntry] = []
    for row in csv.DictReader(io.StringIO(text)):
        termination = _clean(row.get("Termination Date") or "")
        if termination not in ("", "N/A") or not _clean(row.get("Globally Reachable") or ""):
            continue
        name = _clean(row["Name"]).strip('"')
        reachable = _flag(row.get("Globally Reachable") or "")
        for block in _clean(row["Address Block"]).split(","):
            network = ipaddress.ip_network(_clean(block), strict=True)
            category = BLOCK_CATEGORIES.get(str(network)) or _slug(name)
            if reachable is not False and category not in ALWAYS_SPECIAL:
                category = "public"
            entries.append(
                RegistryEntry(network, name, clean_rfc(row["RFC"]), category, reachable, registry)
            )
    return entries


def load_registry_entries(directory: Path | None = None) -> list[RegistryEntry]:
    """Every usable row of the shipped registries (or of copies in ``directory``)."""
    entries: list[RegistryEntry] = []
    for filename in REGISTRY_FILES:
        if directory is not None:
            text = (directory / filename).read_text(encoding="utf-8")
        else:
            text = resources.files("topo.data.iana").joinpath(filename).read_text("utf-8")
        entries.extend(read_registry(text, filename))
    return entries


@cache
def _address_class(entry: RegistryEntry) -> AddressClass:
    return AddressClass(
        category=entry.category,
        name=entry.name,
        rfc=entry.rfc,
        special=entry.special,
        block=str(entry.network),
    )


class Classifier:
    """Address classification over a set of registry entries (normally the shipped ones).

    >>> Classifier().classify("fe80::1%eth0").name
    'Link-Local Unicast'
    """

    def __init__(self, entries: Sequence[RegistryEntry] | None = None):
        self.entries = list(entries) if entries is not None else load_registry_entries()
        table = PrefixMap((e.network, _address_class(e)) for e in self.entries)
        self._starts: dict[int, list[int]] = {}
        self._values: dict[int, list[AddressClass]] = {}
        for version in (4, 6):
            starts, matches = table.intervals(version)
            self._starts[version] = starts
            self._values[version] = [PUBLIC if m is None else m[1] for m in matches]

    def classify(self, addr: str) -> AddressClass:
        """Classify one address (IPv4 or IPv6, an IPv6 zone such as ``%eth0`` is ignored)."""
        version, number = address_to_int(addr)
        return self._values[version][bisect_right(self._starts[version], number) - 1]

    def classify_many(self, addrs: Iterable[str]) -> list[AddressClass]:
        """Classify many addresses (the bulk path: about 20x a loop of ``ip in network``).

        Raises :class:`InvalidAddressError` on the first string that is not an address.
        A per-call cache of repeated strings was measured slower than parsing again
        (hashing a fresh string costs about as much as ``inet_pton``), so there is none.
        """
        out: list[AddressClass] = []
        append = out.append
        pton, af4, af6, from_bytes = (
            socket.inet_pton,
            socket.AF_INET,
            socket.AF_INET6,
            int.from_bytes,
        )
        v4_starts, v4_values = self._starts[4], self._values[4]
        v6_starts, v6_values = self._starts[6], self._values[6]
        for addr in addrs:
            try:
                if ":" in addr:
                    number = from_bytes(pton(af6, addr))
                    append(v6_values[bisect_right(v6_starts, number) - 1])
                else:
                    number = from_bytes(pton(af4, addr))
                    append(v4_values[bisect_right(v4_starts, number) - 1])
            except (OSError, TypeError, ValueError):
                append(self.classify(addr))  # zone ids such as fe80::1%eth0, or a clear error
        return out


@cache
def default_classifier() -> Classifier:
    """The classifier over the shipped registries, built once per process."""
    return Classifier()


def classify_address(addr: str) -> AddressClass:
    """Classify one address with the shipped registries (see the module docstring)."""
    return default_classifier().classify(addr)


def classify_many(addrs: Iterable[str]) -> list[AddressClass]:
    """Classify many addresses with the shipped registries (bulk path)."""
    return default_classifier().classify_many(addrs)


def is_special(addr: str) -> bool:
    """True when ``addr`` is special-purpose (never looked up, part of a reserved run).

    >>> is_special("100.65.1.9"), is_special("13.208.0.67")
    (True, False)
    """
    return classify_address(addr).special
