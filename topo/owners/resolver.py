"""The owner resolver chain: one interface over every source of ownership.

For each public address, from the least to the most authoritative, every source that knows
something adds it: origin-AS data (AS number, AS name, prefix: the user's import from
``topo data import`` if it knows the address, else the table shipped with topo or
installed by ``topo data update``), the providers' published ranges (provider, region,
services), the persistent cache of earlier online answers, an
online RDAP/whois lookup when asked (``online=True``), and the user's owner tables, which
always win. The owner family is then normalised from the organisation, the AS number or
the provider. Special-purpose addresses (the IANA registries) are never looked up; only
the user's owner tables may name their owner (a VPC's private space).

Offline is the default: nothing leaves the machine unless ``online=True``.

>>> resolver = OwnerResolver(ResolverConfig(use_cache=False))
>>> [a.owner.region if a.owner else a.classification.name
...  for a in resolver.resolve(["13.208.0.67", "52.95.31.166", "100.65.1.9"])]
['ap-northeast-3', 'ap-northeast-1', 'Shared Address Space']
>>> resolver.resolve(["15.230.24.168"])[0].owner.family
'Amazon'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from topo.classify import classify_address
from topo.errors import ParseError
from topo.owners.cache import CacheUnavailable, OwnerCache
from topo.owners.cloud import CloudRanges, load_cloud_ranges
from topo.owners.families import Families, load_families
from topo.owners.hostnames import load_hostname_rules
from topo.owners.infrastructure import InfrastructureTable, load_infrastructure
from topo.owners.ip2asn import AsnDatabase, database_path
from topo.owners.model import AddressHints, Owner, OwnerAnswer
from topo.owners.origin import OriginAsData, open_origin_as
from topo.owners.tables import OwnerTable, load_owner_tables

if TYPE_CHECKING:
    from topo.owners.online import OnlineConfig

#: Data older than this gets a warning naming its date.
STALE_AFTER = timedelta(days=90)
OFFLINE_REASON = (
    "not announced in the origin-AS data, not in the published cloud ranges, owner tables "
    "or cache (offline)"
)
CLOUD_SOURCES = {"aws": "aws-ip-ranges", "gcp": "gcp-cloud", "oracle": "oracle-cloud"}


class DataAgeWarning(str):
    """A warning that data topo uses is old (a ``str``): the command line shows it at most
    once a day, and never with ``--quiet``.

    >>> DataAgeWarning("old") == "old"
    True
    """

    __slots__ = ()


@dataclass(frozen=True)
class ResolverConfig:
    """How to resolve: online or not, which cache, which user tables, which data folder."""

    online: bool = False
    use_cache: bool = True
    cache_path: Path | None = None
    owner_tables: Sequence[Path] = ()
    data_dir: Path | None = None
    online_config: OnlineConfig | None = None
    #: Use the origin-AS table (shipped, or installed by ``topo data update``).
    origin_as: bool = True
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def from_options(
        cls,
        *,
        online: bool | None = None,
        cache_path: Path | None = None,
        no_cache: bool = False,
        owner_tables: Sequence[Path] = (),
        rdap_url: str | None = None,
        whois_server: str | None = None,
        cymru_server: str | None = None,
        timeout: float = 5.0,
    ) -> ResolverConfig:
        """The configuration the command line's owner options describe (the same names).

        ``online=None`` means: online when ``TOPO_ONLINE`` is set (not ``0``) or a mirror
        is named (``rdap_url``, ``whois_server``); ``cymru_server="none"`` turns the
        origin-AS lookup off.

        >>> ResolverConfig.from_options(rdap_url="http://127.0.0.1:8080").online
        True
        """
        if online is None:
            online = os.environ.get("TOPO_ONLINE", "") not in ("", "0") or bool(
                rdap_url or whois_server
            )
        online_config = None
        if online:
            from topo.owners.online import OnlineConfig

            settings: dict[str, Any] = {"rdap_url": rdap_url, "whois_server": whois_server}
            if cymru_server is not None:
                settings["cymru_server"] = None if cymru_server.lower() == "none" else cymru_server
            online_config = OnlineConfig(**settings, timeout=timeout)
        return cls(
            online=online,
            use_cache=not no_cache,
            cache_path=cache_path,
            owner_tables=tuple(owner_tables),
            online_config=online_config,
        )

    def with_tables(self, tables: Iterable[Path]) -> ResolverConfig:
        """This configuration with more owner tables (a set's manifests name some)."""
        return replace(self, owner_tables=(*self.owner_tables, *tables))


@dataclass
class ResolveReport:
    """What a resolve run did, for the one-line summaries the CLI prints."""

    public: int = 0
    special: int = 0
    resolved: int = 0
    unresolved: list[str] = field(default_factory=list)
    looked_up_online: int = 0


class OwnerResolver:
    """Resolves addresses through the chain; open once, resolve many times."""

    def __init__(
        self,
        config: ResolverConfig | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.config = config or ResolverConfig()
        self.warn = warn or (lambda message: None)
        self.progress = progress
        self.families: Families = load_families()
        self._table_errors: list[ParseError] = []
        self._cloud: CloudRanges | None = None
        self._tables: OwnerTable | None = None
        self._cache: OwnerCache | None = None
        self._cache_failed = False
        self._asn_db: AsnDatabase | None = None
        self._asn_checked = False
        self._origin_as: OriginAsData | None = None
        self._origin_checked = False
        self.report = ResolveReport()

    # -- sources, opened on first use -------------------------------------------------

    @property
    def cloud(self) -> CloudRanges:
        if self._cloud is None:
            self._cloud = load_cloud_ranges(self.config.data_dir)
        return self._cloud

    @property
    def infrastructure(self) -> InfrastructureTable:
        """The providers' router and backbone blocks their published ranges leave out."""
        return load_infrastructure()

    @property
    def tables(self) -> OwnerTable:
        if self._tables is None:
            self._tables, self._table_errors = load_owner_tables(self.config.owner_tables)
        return self._tables

    @property
    def table_errors(self) -> list[ParseError]:
        """The rows of the owner tables that could not be read (the tables are read now)."""
        _ = self.tables
        return self._table_errors

    @property
    def cache(self) -> OwnerCache | None:
        """The owner cache, opened on first use; ``None`` without one (``use_cache``
        off, or a cache that cannot be opened: one warning, and the run goes on)."""
        if self._cache is None and self.config.use_cache and not self._cache_failed:
            try:
                self._cache = OwnerCache(self.config.cache_path, warn=self.warn)
            except CacheUnavailable as err:
                self._cache_failed = True
                self.warn(f"cannot use the owner cache {err}; running without it")
        return self._cache

    @property
    def asn_db(self) -> AsnDatabase | None:
        if not self._asn_checked:
            self._asn_checked = True
            folder = self.config.data_dir
            path = folder / "ip2asn.sqlite" if folder is not None else database_path()
            if path.is_file():
                self._asn_db = AsnDatabase(path)
        return self._asn_db

    @property
    def origin_as(self) -> OriginAsData | None:
        """The origin-AS table (the user's updated copy, else the shipped one), or ``None``
        when the configuration turns it off."""
        if not self._origin_checked:
            self._origin_checked = True
            if self.config.origin_as:
                self._origin_as = open_origin_as(self.config.data_dir, warn=self.warn)
        return self._origin_as

    def preload(self) -> None:
        """Load the published ranges, owner tables and origin-AS table now (before worker
        processes fork, so they inherit them instead of loading their own)."""
        _ = self.cloud, self.tables, self.origin_as
        if self.config.use_cache and self._cache is None and not self._cache_failed:
            with suppress(CacheUnavailable):  # tried here: one warning, not one per worker
                cache = self.cache  # opened, and closed: no connection crosses the fork
                if cache is not None:
                    cache.close()
                    self._cache = None

    def sibling(self) -> OwnerResolver:
        """A resolver for another process: the same configuration, sharing the loaded
        (read-only) ranges, tables and families, with its own cache and database
        connections, opened on first use. Use it after ``fork``, never the parent's."""
        other = OwnerResolver(self.config, warn=self.warn, progress=self.progress)
        other.families = self.families
        other._cloud = self._cloud
        other._tables = self._tables
        other._origin_as, other._origin_checked = self._origin_as, self._origin_checked
        other._table_errors = list(self._table_errors)
        other._cache_failed = self._cache_failed
        return other

    def __enter__(self) -> OwnerResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the cache and the imported database (``with OwnerResolver(...)`` does)."""
        if self._cache is not None:
            self._cache.close()
        if self._asn_db is not None:
            self._asn_db.close()

    # -- resolving ----------------------------------------------------------------------

    def _offline_owner(self, addr: str) -> tuple[Owner | None, bool]:
        """The merged offline answer, and whether a registry-level answer (org) is in it."""
        # Origin AS first (the least authoritative): the user's import when it knows the
        # address, else the origin-AS table. One or the other, never mixed field by field,
        # which could pair one source's AS number with the other's AS name.
        owner = self.asn_db.lookup(addr) if self.asn_db is not None else None
        if owner is None and self.origin_as is not None:
            owner = self.origin_as.lookup(addr)
        block = self.infrastructure.lookup(addr)
        if block is not None:  # a provider's router/backbone block (a curated table)
            owner = _overlay(owner, block)
        hit = self.cloud.lookup(addr)
        if hit is not None:  # over it: its prefix, provider, region and services win
            published = Owner(
                prefix=hit.prefix,
                provider=hit.provider,
                region=hit.region,
                services=hit.services,
                border_group=hit.border_group,
                answered_by=CLOUD_SOURCES.get(hit.provider, hit.provider),
            )
            owner = _overlay(owner, published)
        cached = self.cache.get(addr) if self.cache is not None else None
        if cached is not None:
            owner = _overlay(owner, replace(cached, answered_by=f"cache({cached.answered_by})"))
        has_registry_answer = owner is not None and owner.org is not None
        return owner, has_registry_answer

    def resolve(
        self, addrs: Iterable[str], hints: Mapping[str, AddressHints] | None = None
    ) -> list[OwnerAnswer]:
        """One :class:`OwnerAnswer` per address, in the order given (duplicates included).

        ``hints``: what the traces printed about an address (its names, AS numbers). They
        answer for an address no other source knows (``answered_by`` ``hostname`` or
        ``trace-asn``); where a registry, a published range or a table knows it, they are
        only compared with it, and a disagreement goes into the owner's ``evidence``.
        """
        order = list(addrs)
        distinct = list(dict.fromkeys(order))
        owners: dict[str, Owner | None] = {}
        errors: dict[str, str | None] = {}
        classes = {a: classify_address(a) for a in distinct}
        public = [a for a in distinct if not classes[a].special]
        self.report.special += len(distinct) - len(public)
        self.report.public += len(public)
        pending: list[str] = []
        for addr in public:
            owners[addr], complete = self._offline_owner(addr)
            if not complete:
                pending.append(addr)
        if self.config.online and pending:
            self._resolve_online(pending, owners, errors)
        for addr in public:
            user = self.tables.lookup(addr)
            owner = _overlay(owners.get(addr), user) if user is not None else owners.get(addr)
            owner = self._with_family(owner)
            hint = hints.get(addr) if hints else None
            if hint is not None and (hint.names or hint.asns):
                owner = self._with_hints(owner, hint)
            owners[addr] = owner
            if owner is None or owner.family is None:
                fallback = "no source knows this address" if self.config.online else OFFLINE_REASON
                errors[addr] = errors.get(addr) or fallback
                self.report.unresolved.append(addr)
            else:
                self.report.resolved += 1
        if len(self.tables):  # the user's word on special space (a VPC's 10/8): tables only
            for addr in distinct:
                if classes[addr].special:
                    user = self.tables.lookup(addr)
                    if user is not None:
                        owners[addr] = self._with_family(user)
        return [OwnerAnswer(a, classes[a], owners.get(a), errors.get(a)) for a in order]

    def _resolve_online(
        self, pending: list[str], owners: dict[str, Owner | None], errors: dict[str, str | None]
    ) -> None:
        from topo.owners.online import LookupFailure, OnlineConfig, OnlineResolver

        online = OnlineResolver(
            self.config.online_config or OnlineConfig(), warn=self.warn, progress=self.progress
        )
        results = online.lookup_many(pending)
        self.report.looked_up_online += len(pending)
        for addr, result in results.items():
            if isinstance(result, LookupFailure):
                errors[addr] = result.reason
                continue
            if self.cache is not None:
                self.cache.put(result)
            owners[addr] = _overlay(owners.get(addr), result)

    def _hinted_owner(self, hint: AddressHints) -> Owner | None:
        """What the trace's own words say: the first name a hostname rule reads, with the
        AS number the trace printed over it (a tool's lookup beats a naming convention)."""
        rules = load_hostname_rules()
        owner: Owner | None = None
        for name in hint.names:
            hit = rules.match(name)
            if hit is not None:
                owner = hit.to_owner()
                if owner.family is None and owner.asn is not None:
                    owner = replace(owner, family=self.families.family_of(asn=owner.asn))
                break
        asn = next((a for a in hint.asns if a), None)
        if asn is not None:
            known = self.families.family_of(asn=asn)
            family = known or f"AS{asn}"
            said = f"the trace printed AS{asn}" + (f" ({known})" if known else "")
            printed = Owner(asn=asn, family=family, answered_by="trace-asn", evidence=(said,))
            if owner is not None and owner.family not in (None, family):
                note = (
                    f"the hostname says {owner.family}, the printed AS{asn} {family}: "
                    "the AS number is kept"
                )
                printed = replace(printed, evidence=(*printed.evidence, note))
            owner = printed if owner is None else owner.overlay(printed)
        return owner

    def _with_hints(self, owner: Owner | None, hint: AddressHints) -> Owner | None:
        """``owner`` with the trace's evidence: its answer when nothing else knows the
        address, else a check against it (disagreement and agreement kept as evidence, a
        region the answer lacks taken when both name the same family)."""
        hinted = self._hinted_owner(hint)
        if hinted is None:
            return owner
        if owner is None or owner.family is None:
            if owner is None:
                return hinted
            return replace(owner.overlay(hinted), family=hinted.family)
        if hinted.family is not None and hinted.family != owner.family:
            note = (
                f"disagreement: {'; '.join(hinted.evidence)}: {hinted.family}; kept "
                f"{owner.family} from {owner.answered_by}"
            )
            return replace(owner, evidence=(*owner.evidence, note))
        region = owner.region or (hinted.region if hinted.family == owner.family else None)
        return replace(owner, region=region, evidence=(*owner.evidence, *hinted.evidence))

    def _with_family(self, owner: Owner | None) -> Owner | None:
        if owner is None:
            return None
        family = self.families.family_of(
            org=owner.org, asn=owner.asn, provider=owner.provider, asn_name=owner.asn_name
        )
        return replace(owner, family=family)

    # -- data age -------------------------------------------------------------------------

    def stale_data_warnings(self) -> list[str]:
        """Warnings for data older than 90 days, naming each dataset's date and the command
        that refreshes it (each a :class:`DataAgeWarning`)."""
        now = self.config.now()
        old = [
            f"{CLOUD_SOURCES[provider]} {date:%Y-%m-%d} ({(now - date).days} days)"
            for provider, date in self.cloud.dates.items()
            if date is not None and now - date > STALE_AFTER
        ]
        messages = []
        if old:
            messages.append(
                f"published cloud ranges are old: {', '.join(old)}; "
                "`topo data update` fetches fresh copies"
            )
        imported = self.asn_db.imported if self.asn_db is not None else None
        if imported is not None and now - imported > STALE_AFTER:
            messages.append(
                f"imported origin-AS data is from {imported:%Y-%m-%d} "
                f"({(now - imported).days} days old); `topo data import FILE` imports a newer dump"
            )
        table = self.origin_as
        if table is not None and now - table.date > STALE_AFTER:
            messages.append(
                f"origin-AS table {table.id} is from {table.date:%Y-%m-%d} "
                f"({(now - table.date).days} days old); `topo data update` fetches a fresh copy"
            )
        return [DataAgeWarning(message) for message in messages]


def _overlay(base: Owner | None, top: Owner) -> Owner:
    return top if base is None else base.overlay(top)


def resolve_owners(addrs: Iterable[str], config: ResolverConfig | None = None) -> list[OwnerAnswer]:
    """Resolve addresses with a one-off resolver (see :class:`OwnerResolver`)."""
    resolver = OwnerResolver(config)
    try:
        return resolver.resolve(addrs)
    finally:
        resolver.close()
