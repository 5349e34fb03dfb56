"""``topo data update``: fetch fresh copies of the published cloud ranges, safely.

Each dataset is downloaded (from its publisher, or from ``{mirror}/{filename}`` with
``--from URL``), parsed and validated like the shipped copy, and only then written into the
user data folder by an atomic rename, so a failed or partial download never replaces a good
file. The report names each dataset's date.

Example (needs the network, or a mirror)::

    for result in update_datasets(mirror="http://127.0.0.1:8000"):
        print(result.dataset, result.date, result.error)
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from topo.atomic import write_atomically
from topo.errors import TopoError
from topo.owners.cloud import DATASETS, Dataset, read_dataset_bytes, user_data_dir

MAX_BYTES = 64 * 1024 * 1024


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
    request = urllib.request.Request(url, headers={"User-Agent": "topo (data update)"})
    with urllib.request.urlopen(
        request, timeout=timeout
    ) as response:  # http(s) only: checked by the caller
        data: bytes = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TopoError(f"{url}: larger than {MAX_BYTES} bytes")
    return data


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


def update_datasets(
    *, mirror: str | None = None, data_dir: Path | None = None, timeout: float = 30.0
) -> list[UpdateResult]:
    """Update every dataset; each result says what happened (the others go on on failure)."""
    folder = data_dir if data_dir is not None else user_data_dir()
    return [update_dataset(d, mirror=mirror, data_dir=folder, timeout=timeout) for d in DATASETS]
