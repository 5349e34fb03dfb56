"""``topo data update``: fetch fresh copies of the published cloud ranges and of the
origin-AS table, safely.

Each dataset is downloaded (from its publisher, or from ``{mirror}/{filename}`` with
``--from URL``) or read from a local copy (``--from FOLDER``, ``--from file:///FOLDER``:
``{folder}/{filename}``, its ``.gz``, or the publisher's file name; ``--from FILE``: the
one dataset that file's name says), parsed and validated like the shipped copy, and only
then written into the user data folder by an atomic rename, so a failed or partial download
never replaces a good file. The report names each dataset's date. The origin-AS table comes
from iptoasn.com's ``ip2asn-combined.tsv.gz`` (public domain), dated by the server's
``Last-Modified`` (a local copy: its modification time); it is stored compiled
(``origin-as.bin``, see :mod:`topo.owners.origin`).

Example (needs the network, or a mirror)::

    for result in update_datasets(mirror="http://127.0.0.1:8000"):
        print(result.dataset, result.date, result.error)
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from topo.atomic import write_atomically
from topo.errors import TopoError, UsageError
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


def local_folder(mirror: str) -> Path | None:
    """The local folder or file ``--from`` names (a path, or a ``file://`` URL), or
    ``None`` for an ``http(s)://`` mirror. :class:`UsageError` for any other scheme.

    >>> local_folder("file:///tmp"), local_folder("http://127.0.0.1:8000")
    (PosixPath('/tmp'), None)
    """
    if mirror.startswith(("http://", "https://")):
        return None
    if mirror.startswith("file:"):
        parts = urllib.parse.urlparse(mirror)
        if parts.netloc not in ("", "localhost"):
            raise UsageError(f"--from {mirror}: a file:// URL names a file on this host")
        path = Path(urllib.request.url2pathname(parts.path))
    elif "://" in mirror:
        raise UsageError(
            f"--from {mirror}: an http:// or https:// URL, a file:// URL, a folder or a file"
        )
    else:
        path = Path(mirror)
    if not path.exists():
        raise UsageError(f"--from {mirror}: no such file or folder")
    return path


def local_names(filename: str, url: str) -> tuple[str, ...]:
    """The names a local copy of a dataset may have: topo's, gzipped, the publisher's.

    >>> local_names("gcp-cloud.json", "https://www.gstatic.com/ipranges/cloud.json")
    ('gcp-cloud.json', 'gcp-cloud.json.gz', 'cloud.json')
    """
    publisher = urllib.parse.urlparse(url).path.rsplit("/", 1)[-1]
    gzipped = filename if filename.endswith(".gz") else f"{filename}.gz"
    return tuple(dict.fromkeys((filename, gzipped, publisher)))


def _local_copy(folder: Path, names: Sequence[str]) -> Path:
    """The first of ``names`` in ``folder`` (the first name when none is there)."""
    return next((folder / n for n in names if (folder / n).is_file()), folder / names[0])


def _read_local(path: Path) -> tuple[bytes, datetime]:
    """A local copy's bytes and its modification time (what ``Last-Modified`` says)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TopoError(f"{path}: larger than {MAX_BYTES} bytes")
    return data, datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _source(mirror: str | None, filename: str, url: str) -> str | Path:
    """Where one dataset comes from: a URL, or a local file."""
    if not mirror:
        return url
    folder = local_folder(mirror)
    if folder is None:
        return f"{mirror.rstrip('/')}/{filename}"
    return folder if folder.is_file() else _local_copy(folder, local_names(filename, url))


def _get(source: str | Path, timeout: float) -> tuple[bytes, datetime | None]:
    return _read_local(source) if isinstance(source, Path) else _fetch(source, timeout)


def _failed(filename: str, source: str | Path, err: Exception) -> UpdateResult:
    if isinstance(err, FileNotFoundError):
        return UpdateResult(filename, str(source), error="no such file")
    if isinstance(err, OSError) and err.strerror and not isinstance(err, urllib.error.URLError):
        return UpdateResult(filename, str(source), error=err.strerror)
    return UpdateResult(filename, str(source), error=str(err))


def update_dataset(
    dataset: Dataset, *, mirror: str | None, data_dir: Path, timeout: float
) -> UpdateResult:
    """Fetch (or read), validate and install one dataset."""
    source = _source(mirror, dataset.filename, dataset.url)
    try:
        raw = _get(source, timeout)[0]
        ranges, date = read_dataset_bytes(dataset, raw)
    except (urllib.error.URLError, OSError, TopoError) as err:
        return _failed(dataset.filename, source, err)
    target = data_dir / "cloud" / dataset.filename
    write_atomically(target, raw, sync=True)
    return UpdateResult(dataset.filename, str(source), target, date, len(ranges))


def update_origin_as(*, mirror: str | None, data_dir: Path, timeout: float) -> UpdateResult:
    """Fetch an iptoasn.com dump, compile and check it, and install it as ``origin-as.bin``
    (``prefixes`` is its number of ranges with an AS). A dump that cannot be read leaves
    the installed table as it was."""
    source = _source(mirror, ORIGIN_AS_FILENAME, ORIGIN_AS_URL)
    url = str(source)
    try:
        raw, modified = _get(source, timeout)
        blob = compile_ip2asn_download(raw, date=modified or datetime.now(UTC), source=url)
        table = OriginAsData.from_bytes(blob, origin=url)
    except (urllib.error.URLError, OSError, TopoError) as err:
        return _failed(ORIGIN_AS_FILENAME, source, err)
    target = user_copy(data_dir)
    write_atomically(target, blob, sync=True)
    return UpdateResult(ORIGIN_AS_FILENAME, url, target, table.date, len(table))


def update_datasets(
    *, mirror: str | None = None, data_dir: Path | None = None, timeout: float = 30.0
) -> list[UpdateResult]:
    """Update every dataset; each result says what happened (the others go on on failure).
    ``mirror`` naming one local file updates only the dataset its name says
    (:class:`UsageError` when it says none)."""
    folder = data_dir if data_dir is not None else user_data_dir()
    local = local_folder(mirror) if mirror else None
    single = local is not None and local.is_file()
    chosen = [d for d in DATASETS if not single or _names_it(local, d.filename, d.url)]
    origin = not single or _names_it(local, ORIGIN_AS_FILENAME, ORIGIN_AS_URL)
    if single and not chosen and not origin:
        names = [n for d in DATASETS for n in local_names(d.filename, d.url)]
        names += local_names(ORIGIN_AS_FILENAME, ORIGIN_AS_URL)
        raise UsageError(
            f"--from {mirror}: not a file topo updates from; its name is one of "
            f"{', '.join(names)} (or name its folder)"
        )
    results = [update_dataset(d, mirror=mirror, data_dir=folder, timeout=timeout) for d in chosen]
    if origin:
        results.append(update_origin_as(mirror=mirror, data_dir=folder, timeout=timeout))
    return results


def _names_it(path: Path | None, filename: str, url: str) -> bool:
    return path is not None and path.name in local_names(filename, url)
