"""The cloud providers' published address ranges: AWS, Google Cloud and Oracle Cloud.

Each provider publishes which prefixes it uses, and AWS and Google say in which region.
topo ships copies (``topo/data/cloud``, see the ``SOURCES.md`` there); ``topo data update``
stores fresher copies in the user data folder, which win when present. Every table is a
:class:`~topo.prefixmap.PrefixMap` from prefix to :class:`CloudRange`.

>>> ranges = load_cloud_ranges()
>>> hit = ranges.lookup("13.208.0.67")
>>> hit.provider, hit.region, hit.services, hit.prefix
('aws', 'ap-northeast-3', ('AMAZON', 'EC2'), '13.208.0.0/16')
>>> ranges.lookup("15.230.154.163").region
'ap-northeast-1'
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from topo.errors import TopoError
from topo.prefixmap import PrefixMap

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
    return replace(old, services=services, region=old.region or new.region)


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


def load_cloud_ranges(data_dir: Path | None = None) -> CloudRanges:
    """Load every dataset (user-updated copies first, else the shipped ones)."""
    items: list[tuple[str, CloudRange]] = []
    dates: dict[str, datetime | None] = {}
    origins: dict[str, str] = {}
    for dataset in DATASETS:
        raw, origin = dataset_source(dataset, data_dir)
        ranges, date = read_dataset_bytes(dataset, raw)
        items.extend((r.prefix, r) for r in ranges)
        dates[dataset.provider] = date
        origins[dataset.provider] = origin
    return CloudRanges(PrefixMap(items, merge=_merge), dates, origins)
