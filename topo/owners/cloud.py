"""The cloud providers' published address ranges: AWS, Google Cloud and Oracle Cloud.

Each provider publishes which prefixes it uses, and AWS and Google say in which region.
topo ships copies (``topo/data/cloud``, see the ``SOURCES.md`` there); ``topo data update``
stores fresher copies in the user data folder, which win when present. Every table is a
:class:`~topo.classify.prefixmap.PrefixMap` from prefix to :class:`CloudRange`.

Parsing the ~19,000 published prefixes and building the table takes a noticeable part of a
second, which every ``topo build`` would pay. So the built table is kept, compiled, in the
user cache folder (``cloud-ranges.bin``, see :func:`load_cloud_ranges`) and reused while
the data files and topo's code are the same. It is only a cache: deleting it is harmless.

>>> ranges = load_cloud_ranges()
>>> hit = ranges.lookup("13.208.0.67")
>>> hit.provider, hit.region, hit.services, hit.prefix
('aws', 'ap-northeast-3', ('AMAZON', 'EC2'), '13.208.0.0/16')
>>> ranges.lookup("15.230.154.163").region
'ap-northeast-1'
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import marshal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from topo.atomic import write_atomically
from topo.classify.prefixmap import Compiled, PrefixMap
from topo.errors import TopoError

#: AWS's pseudo-region for prefixes not tied to one region: never reported as a region.
AWS_GLOBAL = "GLOBAL"


@dataclass(frozen=True, slots=True)
class CloudRange:
    """One published prefix of a provider."""

    prefix: str
    provider: str
    region: str | None
    services: tuple[str, ...] = ()
    border_group: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """A published table: its file name, who publishes it, where from, and how to read it."""

    provider: str
    filename: str
    url: str
    family: str
    read: Callable[[dict[str, Any]], Iterator[CloudRange]]
    date_of: Callable[[dict[str, Any]], datetime | None]


def _aws(data: dict[str, Any]) -> Iterator[CloudRange]:
    for key, prefix_key in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        for item in data[key]:
            region = item.get("region")
            yield CloudRange(
                prefix=item[prefix_key],
                provider="aws",
                region=None if region in (None, AWS_GLOBAL) else region,
                services=(item["service"],) if item.get("service") else (),
                border_group=item.get("network_border_group") or None,
            )


def _gcp(data: dict[str, Any]) -> Iterator[CloudRange]:
    for item in data["prefixes"]:
        prefix = item.get("ipv4Prefix") or item.get("ipv6Prefix")
        scope = item.get("scope")
        yield CloudRange(
            prefix=prefix,
            provider="gcp",
            region=None if scope in (None, "global") else scope,
            services=(item["service"],) if item.get("service") else (),
        )


def _oracle(data: dict[str, Any]) -> Iterator[CloudRange]:
    for region in data["regions"]:
        for item in region["cidrs"]:
            yield CloudRange(
                prefix=item["cidr"],
                provider="oracle",
                region=region.get("region") or None,
                services=tuple(item.get("tags") or ()),
            )


def _aws_date(data: dict[str, Any]) -> datetime | None:
    text = data.get("createDate")  # "2026-08-22-15-17-05"
    return datetime.strptime(text, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC) if text else None


def _iso_date(key: str) -> Callable[[dict[str, Any]], datetime | None]:
    def read(data: dict[str, Any]) -> datetime | None:
        text = data.get(key)
        if not text:
            return None
        stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

    return read


DATASETS: tuple[Dataset, ...] = (
    Dataset("aws", "aws-ip-ranges.json", "https://ip-ranges.amazonaws.com/ip-ranges.json",
            "Amazon", _aws, _aws_date),
    Dataset("gcp", "gcp-cloud.json", "https://www.gstatic.com/ipranges/cloud.json",
            "Google", _gcp, _iso_date("creationTime")),
    Dataset("oracle", "oracle-cloud-public-ip-ranges.json",
            "https://docs.oracle.com/iaas/tools/public_ip_ranges.json",
            "Oracle", _oracle, _iso_date("last_updated_timestamp")),
)  # fmt: skip


def _merge(old: CloudRange, new: CloudRange) -> CloudRange:
    """The same prefix listed twice (AWS lists 13.208.0.0/16 as AMAZON and as EC2)."""
    if old.provider != new.provider:
        return old
    services = tuple(sorted(set(old.services) | set(new.services)))
    # What ``replace(old, services=..., region=...)`` makes, without its per-call overhead.
    return CloudRange(
        old.prefix, old.provider, old.region or new.region, services, old.border_group
    )


def read_dataset_bytes(dataset: Dataset, raw: bytes) -> tuple[list[CloudRange], datetime | None]:
    """Parse and validate one published file; :class:`TopoError` when it is not usable."""
    try:
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        ranges = list(dataset.read(data))
        date = dataset.date_of(data)
    except (ValueError, KeyError, TypeError, OSError) as err:
        message = f"{dataset.filename}: not a valid {dataset.provider} range file ({err})"
        raise TopoError(message) from None
    if not ranges:
        raise TopoError(f"{dataset.filename}: holds no prefixes")
    return ranges, date


def user_data_dir() -> Path:
    """Where ``topo data update`` and ``topo data import`` keep their files."""
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir("topo", appauthor=False))


def dataset_source(dataset: Dataset, data_dir: Path | None = None) -> tuple[bytes, str]:
    """The bytes of the freshest copy of a dataset and where they came from."""
    folder = data_dir if data_dir is not None else user_data_dir()
    updated = folder / "cloud" / dataset.filename
    if updated.is_file():
        return updated.read_bytes(), str(updated)
    shipped = resources.files("topo.data.cloud").joinpath(dataset.filename + ".gz")
    return shipped.read_bytes(), f"shipped {dataset.filename}"


@dataclass(frozen=True)
class CloudRanges:
    """Every provider's ranges in one longest-prefix table, with each dataset's date."""

    table: PrefixMap[CloudRange]
    dates: dict[str, datetime | None]
    origins: dict[str, str]

    def lookup(self, addr: str) -> CloudRange | None:
        """The provider range of ``addr`` (most specific prefix), or ``None``."""
        match = self.table.lookup(addr)
        return None if match is None else match[1]


def load_cloud_ranges(
    data_dir: Path | None = None, *, cache_dir: Path | None = None, use_cache: bool = True
) -> CloudRanges:
    """Load every dataset (user-updated copies first, else the shipped ones).

    The built table is reused from ``cache_dir`` (default: the user cache folder) when it
    was compiled from the same bytes of every dataset by the same topo code; else it is
    built from the files and the cache rewritten (atomically; when the folder is not
    writable there is just no cache). A damaged or stale cache file is ignored. Lookups
    give the same answers either way. ``use_cache=False`` neither reads nor writes it.
    """
    sources = [(dataset, *dataset_source(dataset, data_dir)) for dataset in DATASETS]
    origins = {dataset.provider: origin for dataset, _, origin in sources}
    if not use_cache:
        return CloudRanges(*_build(sources), origins)
    path = (cache_dir if cache_dir is not None else user_cache_dir()) / CACHE_NAME
    key = _cache_key(sources)
    cached = _read_cache(path, key)
    if cached is not None:
        return CloudRanges(*cached, origins)
    table, dates = _build(sources)
    _write_cache(path, key, table, dates)
    return CloudRanges(table, dates, origins)


Built = tuple[PrefixMap[CloudRange], dict[str, datetime | None]]


def _build(sources: list[tuple[Dataset, bytes, str]]) -> Built:
    """Parse the files and build the table (what the cache saves)."""
    items: list[tuple[str, CloudRange]] = []
    dates: dict[str, datetime | None] = {}
    for dataset, raw, _ in sources:
        ranges, date = read_dataset_bytes(dataset, raw)
        items.extend((r.prefix, r) for r in ranges)
        dates[dataset.provider] = date
    return PrefixMap(items, merge=_merge), dates


# -- the compiled cache ---------------------------------------------------------------------
#
# File: MAGIC, the 32-byte key (sha256 of the code and of every dataset's bytes), the sha256
# of the payload, then the payload: ``marshal`` of plain lists, tuples, bytes and strings
# (never code). The payload's checksum is verified before it is decoded, so a truncated or
# damaged file is refused without being read; anything else wrong with it is refused too.
# Writers write a private temporary file and rename it over the cache, so concurrent
# readers see an old or a new file, never half of one, and concurrent writers each leave a
# whole file (the last one wins).

#: The cache's file name in the cache folder.
CACHE_NAME = "cloud-ranges.bin"
_MAGIC = b"topo cloud ranges 1\n"
_DIGEST = 32


def user_cache_dir() -> Path:
    """The user cache folder (``~/.cache/topo`` on Linux)."""
    from platformdirs import user_cache_dir as platform_cache_dir

    return Path(platform_cache_dir("topo", appauthor=False))


@functools.cache
def _code_digest() -> bytes:
    """What the cache depends on besides the data: the reading code and the Python."""
    import topo
    from topo.classify import prefixmap

    digest = hashlib.sha256(_MAGIC)
    for part in (getattr(topo, "__version__", ""), sys.version, str(marshal.version)):
        digest.update(part.encode() + b"\0")
    for module in (__file__, prefixmap.__file__):
        try:
            digest.update(Path(module).read_bytes())
        except (OSError, TypeError):  # no source file (frozen): the version must do
            digest.update(b"?")
    return digest.digest()


def _cache_key(sources: list[tuple[Dataset, bytes, str]]) -> bytes:
    digest = hashlib.sha256(_code_digest())
    for dataset, raw, _ in sources:
        digest.update(f"{dataset.provider}\0{dataset.filename}\0".encode())
        digest.update(hashlib.sha256(raw).digest())
    return digest.digest()


def _encode(table: PrefixMap[CloudRange], dates: dict[str, datetime | None]) -> bytes:
    """The table as marshal data; the values as their prefix plus one of a few profiles."""
    profiles: dict[tuple[str, str | None, tuple[str, ...], str | None], int] = {}
    prefixes: list[str] = []
    picks: list[int] = []
    for value in table.values():
        profile = (value.provider, value.region, value.services, value.border_group)
        prefixes.append(value.prefix)
        picks.append(profiles.setdefault(profile, len(profiles)))
    stamps = {provider: None if d is None else d.isoformat() for provider, d in dates.items()}
    return marshal.dumps((table.compiled(), prefixes, list(profiles), picks, stamps))


def _decode(payload: bytes) -> Built:
    compiled, prefixes, profiles, picks, stamps = marshal.loads(payload)
    if not len(prefixes) == len(picks) == len(compiled[1]) or set(stamps) != {
        dataset.provider for dataset in DATASETS
    }:
        raise ValueError("cloud range cache: inconsistent")
    if picks and not 0 <= min(picks) <= max(picks) < len(profiles):
        raise ValueError("cloud range cache: bad profile index")

    def value_of(index: int) -> CloudRange:
        provider, region, services, border_group = profiles[picks[index]]
        return CloudRange(prefixes[index], provider, region, services, border_group)

    parts: Compiled = compiled
    dates = {p: None if s is None else datetime.fromisoformat(s) for p, s in stamps.items()}
    return PrefixMap.from_compiled(parts, value_of), dates


def _read_cache(path: Path, key: bytes) -> Built | None:
    """The cached table when the file is whole and was built from the same inputs."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC)
    checksum, payload = blob[head + _DIGEST : head + 2 * _DIGEST], blob[head + 2 * _DIGEST :]
    if blob[:head] != _MAGIC or blob[head : head + _DIGEST] != key:
        return None
    if hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        return _decode(payload)
    except Exception:  # a cache: whatever is wrong with it, build again
        return None


def _write_cache(
    path: Path, key: bytes, table: PrefixMap[CloudRange], dates: dict[str, datetime | None]
) -> None:
    """Replace the cache file atomically; quietly nothing when that is not possible."""
    try:
        payload = _encode(table, dates)
    except (ValueError, TypeError):  # a value marshal cannot hold (odd data): no cache
        return
    blob = _MAGIC + key + hashlib.sha256(payload).digest() + payload
    try:
        write_atomically(path, blob)
    except OSError:
        return
