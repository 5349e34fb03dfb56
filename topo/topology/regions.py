"""Where cloud regions are, and the speed-of-light bound on the RTT between two of them.

Light in fibre covers about 200 km per millisecond one way, so a round trip between two
points needs at least ``great-circle km / 100`` ms. A measured RTT below that bound means
the addresses are not where their region says (or the RTT is wrong). The table is
``topo/data/regions/regions.csv`` (sources there).

>>> regions = load_regions()
>>> regions.label("aws", "ap-northeast-3")
'Osaka ap-northeast-3'
>>> round(regions.rtt_bound_ms("ap-northeast-3", "ap-northeast-1"), 2)
3.96
>>> regions.rtt_bound_ms("ap-northeast-3", "nowhere-1") is None
True
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

EARTH_RADIUS_KM = 6371.0
#: Kilometres of fibre per millisecond of round trip (200 km/ms one way).
KM_PER_RTT_MS = 100.0


@dataclass(frozen=True, slots=True)
class Region:
    """A provider region and the city it is named for."""

    provider: str
    name: str
    city: str
    lat: float
    lon: float


def great_circle_km(a: Region, b: Region) -> float:
    """Distance between two regions' cities (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Regions:
    """The region table; regions are found by name (names do not clash across providers)."""

    by_name: dict[str, Region]

    def get(self, name: str | None) -> Region | None:
        return self.by_name.get(name) if name else None

    def label(self, provider: str | None, name: str | None) -> str | None:
        """``"Osaka ap-northeast-3"``, or the bare name when the city is unknown."""
        region = self.get(name)
        if region is None or (provider and region.provider != provider):
            return name
        return f"{region.city} {region.name}"

    def city(self, name: str | None) -> str | None:
        region = self.get(name)
        return region.city if region else None

    def distance_km(self, a: str | None, b: str | None) -> float | None:
        first, second = self.get(a), self.get(b)
        if first is None or second is None:
            return None
        return great_circle_km(first, second)

    def rtt_bound_ms(self, a: str | None, b: str | None) -> float | None:
        """The least possible round trip between two regions, in ms (``None``: unknown)."""
        km = self.distance_km(a, b)
        return None if km is None else km / KM_PER_RTT_MS


@cache
def load_regions() -> Regions:
    """The shipped region table (read once)."""
    text = resources.files("topo.data.regions").joinpath("regions.csv").read_text("utf-8")
    regions = {}
    for row in csv.DictReader(io.StringIO(text)):
        regions[row["region"]] = Region(
            row["provider"], row["region"], row["city"], float(row["lat"]), float(row["lon"])
        )
    return Regions(regions)
