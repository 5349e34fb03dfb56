"""``topo data update``: fetch fresh copies of the published cloud ranges and of the
origin-AS table, safely.

Each dataset is downloaded (from its publisher, or from ``{mirror}/{filename}`` with
``--from URL``), parsed and validated like the shipped copy, and only then written into the
user data folder by an atomic rename, so a failed or partial download never replaces a good
file. The report names each dataset's date. The origin-AS table comes from iptoasn.com's
``ip2asn-combined.tsv.gz`` (public domain), dated by the server's ``Last-Modified``; it is
stored compiled (``origin-as.bin``, see :mod:`topo.owners.origin`).

Example (needs the network, or a mirror)::

    for result in update_datasets(mirror="http://127.0.0.1:8000"):
        print(result.dataset, result.date, result.error)
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from topo.atomic import write_atomically
from topo.errors import TopoError
from topo.owners.cloud import DATASETS, Dataset, read_dataset_bytes, user_data_dir
from topo.owners.origin import OriginAsData, compile_ip2asn_download, user_copy

MAX_BYTES = 64 * 1024 * 1024
#: The origin-AS table's upstream (hourly, public domain) and its file name on a mirror.
ORIGIN_AS_URL = "https://iptoasn.com/data/ip2asn-combined.tsv.gz"
ORIGIN_AS_FILENAME = "ip2asn-combined.tsv.gz"


@dataclass(frozen=True)
class UpdateResult:
    """The outcome for one dataset: where it went, its date and size, or what failed."""

    dataset: str
    url: str
    path: Path | None = None
    date: datetime | None = None
    prefixes: int = 0
    error: str | None = None


def _download(url: str, timeout: float) -> bytes:
    return _fetch(url, timeout)[0]


def _fetch(url: str, timeout: float) -> tuple[bytes, datetime | None]:
    """The body and the ``Last-Modified`` date (when the server sends a readable one)."""
    request = urllib.request.Request(url, headers={"User-Agent": "topo (data update)"})
    with urllib.request.urlopen(
        request, timeout=timeout
    ) as response:  # http(s) only: checked by the caller
        data: bytes = response.read(MAX_BYTES + 1)
        modified = response.headers.get("Last-Modified")
    if len(data) > MAX_BYTES:
        raise TopoError(f"{url}: larger than {MAX_BYTES} bytes")
    try:
        date = parsedate_to_datetime(modified) if modified else None
    except (TypeError, ValueError):
        date = None
    return data, date if date is None or date.tzinfo else date.replace(tzinfo=UTC)


def update_dataset(
    dataset: Dataset, *, mirror: str | None, data_dir: Path, timeout: float
) -> UpdateResult:
    """Fetch, validate and install one dataset."""
    url = f"{mirror.rstrip('/')}/{dataset.filename}" if mirror else dataset.url
    if not url.startswith(("http://", "https://")):
        return UpdateResult(dataset.filename, url, error="only http:// and https:// URLs")
    try:
        raw = _download(url, timeout)
        ranges, date = read_dataset_bytes(dataset, raw)
    except (urllib.error.URLError, OSError, TopoError) as err:
        return UpdateResult(dataset.filename, url, error=str(err))
    target = data_dir / "cloud" / dataset.filename
    write_atomically(target, raw, sync=True)
    return UpdateResult(dataset.filename, url, target, date, len(ranges))


def update_origin_as(*, mirror: str | None, data_dir: Path, timeout: float) -> UpdateResult:
    """Fetch an iptoasn.com dump, compile and check it, and install it as ``origin-as.bin``
    (``prefixes`` is its number of ranges with an AS). A dump that cannot be read leaves
    the installed table as it was."""
    url = f"{mirror.rstrip('/')}/{ORIGIN_AS_FILENAME}" if mirror else ORIGIN_AS_URL
    if not url.startswith(("http://", "https://")):
        return UpdateResult(ORIGIN_AS_FILENAME, url, error="only http:// and https:// URLs")
    try:
        raw, modified = _fetch(url, timeout)
        blob = compile_ip2asn_download(raw, date=modified or datetime.now(UTC), source=url)
        table = OriginAsData.from_bytes(blob, origin=url)
    except (urllib.error.URLError, OSError, TopoError) as err:
        return UpdateResult(ORIGIN_AS_FILENAME, url, error=str(err))
    target = user_copy(data_dir)
    write_atomically(target, blob, sync=True)
    return UpdateResult(ORIGIN_AS_FILENAME, url, target, table.date, len(table))


def update_datasets(
    *, mirror: str | None = None, data_dir: Path | None = None, timeout: float = 30.0
) -> list[UpdateResult]:
    """Update every dataset; each result says what happened (the others go on on failure)."""
    folder = data_dir if data_dir is not None else user_data_dir()
    results = [update_dataset(d, mirror=mirror, data_dir=folder, timeout=timeout) for d in DATASETS]
    results.append(update_origin_as(mirror=mirror, data_dir=folder, timeout=timeout))
    return results
