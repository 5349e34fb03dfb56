"""Offline origin-AS data imported by the user: ``topo data import FILE``.

So an offline run knows the origin network of every routed prefix. Reads the public dumps
people use for this, plain or gzipped, detected by content:

- ``ip2asn`` TSV (iptoasn.com): ``range_start  range_end  AS_number  country_code  AS_description``
  (AS 0 means "not routed" and is skipped);
- CAIDA ``pfx2as``: ``prefix  length  asn`` (a multi-origin ``a_b`` or AS set ``a,b`` keeps the
  first AS and records the rest in the name);
- AS names: ``asn<TAB or comma>name`` (e.g. ``13335	CLOUDFLARENET``), joined to the ranges.

Everything goes into one SQLite file in the user data folder, with the import date, so
lookups are a range query and the data can be warned about when it grows old.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> db = AsnDatabase(folder / "ip2asn.sqlite")
>>> db.import_text("1.0.0.0\\t1.0.0.255\\t13335\\tUS\\tCLOUDFLARENET\\n", source="ip2asn-v4.tsv")
ImportSummary(kind='ip2asn', rows=1, skipped=0, errors=[])
>>> hit = db.lookup("1.0.0.1")
>>> hit.asn, hit.asn_name, hit.prefix, hit.country
(13335, 'CLOUDFLARENET', '1.0.0.0/24', 'US')
"""

from __future__ import annotations

import gzip
import ipaddress
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from topo.classify.addresses import address_to_int
from topo.errors import ParseError, TopoError, summarize_line_errors
from topo.owners.model import Owner

SOURCE = "ip2asn"
#: What ``topo data import`` reads, for the message about a file it cannot.
IMPORT_HINT = (
    "topo data import reads ip2asn TSV (start, end, AS, country, name), CAIDA pfx2as "
    "(prefix, length, AS) or AS names (AS, name)"
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ranges (
    version INTEGER NOT NULL, first BLOB NOT NULL, last BLOB NOT NULL, width INTEGER NOT NULL,
    asn INTEGER NOT NULL, country TEXT, name TEXT);
CREATE INDEX IF NOT EXISTS ranges_first ON ranges (version, first);
CREATE TABLE IF NOT EXISTS asnames (asn INTEGER PRIMARY KEY, name TEXT NOT NULL);
"""


@dataclass
class ImportSummary:
    """What one import did."""

    kind: str
    rows: int = 0
    skipped: int = 0
    errors: list[ParseError] = field(default_factory=list)


def _key(version: int, number: int) -> bytes:
    return number.to_bytes(4 if version == 4 else 16, "big")


def detect_kind(line: str) -> str:
    """``ip2asn``, ``pfx2as`` or ``asnames`` from the first data line.

    >>> detect_kind("1.0.0.0\\t24\\t13335"), detect_kind("13335,CLOUDFLARENET")
    ('pfx2as', 'asnames')
    """
    fields = line.replace(",", "\t", 1).split("\t") if "\t" not in line else line.split("\t")
    first = fields[0].strip()
    if first.upper().removeprefix("AS").isdigit():
        return "asnames"
    if len(fields) >= 3 and fields[1].strip().isdigit() and int(fields[1]) <= 128:
        return "pfx2as"
    return "ip2asn"


class AsnDatabase:
    """The imported origin-AS ranges and AS names."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # a connection per thread (Dask's workers are threads)
        self.db.executescript(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 refuses one used from another thread)."""
        connection: sqlite3.Connection | None = getattr(self._local, "db", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 10000")
            self._local.db = connection
        return connection

    @property
    def imported(self) -> datetime | None:
        """When the ranges were last imported (or the date given for them)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'date'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM ranges").fetchone()[0])

    def import_file(self, path: str | Path, *, date: datetime | None = None) -> ImportSummary:
        """Import one dump (gzip allowed); ``date`` defaults to the file's modification time."""
        source = Path(path)
        try:
            raw = source.read_bytes()
            text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as err:
            raise TopoError(f"{source}: cannot read ({err})") from None
        stamp = date or datetime.fromtimestamp(source.stat().st_mtime, UTC)
        return self.import_text(text, source=str(source), date=stamp)

    def import_text(self, text: str, *, source: str, date: datetime | None = None) -> ImportSummary:
        """Import the text of one dump (the kind is detected from its first data line)."""
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        lines = [(n, line) for n, line in lines if not line.startswith("#")]
        if not lines:
            raise TopoError(f"{source}: no data")
        summary = ImportSummary(detect_kind(lines[0][1]))
        reader = {"ip2asn": _ip2asn_row, "pfx2as": _pfx2as_row, "asnames": _asname_row}
        rows = []
        for number, line in lines:
            try:
                row = reader[summary.kind](line)
            except (ValueError, IndexError) as err:
                summary.errors.append(
                    ParseError(f"unreadable row ({err})", path=source, line=number)
                )
                continue
            if row is None:
                summary.skipped += 1
            else:
                rows.append(row)
        summary.errors = summarize_line_errors(
            summary.errors, text.splitlines(), source=source, what="origin-AS rows",
            hint=IMPORT_HINT,
        )  # fmt: skip
        if not rows:  # nothing to import: the data in place keeps its date
            return summary
        with self.db:
            self.db.execute("BEGIN")
            if summary.kind == "asnames":
                self.db.executemany("INSERT OR REPLACE INTO asnames VALUES (?, ?)", rows)
            else:
                self.db.executemany("INSERT INTO ranges VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                when = (date or datetime.now(UTC)).isoformat()
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('date', ?)", (when,))
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('source', ?)", (source,))
        summary.rows = len(rows)
        return summary

    def lookup(self, addr: str) -> Owner | None:
        """The origin AS of the most specific range holding ``addr``."""
        version, number = address_to_int(addr)
        key = _key(version, number)
        row = self.db.execute(
            "SELECT r.first, r.last, r.asn, r.country, COALESCE(n.name, r.name) FROM ranges r "
            "LEFT JOIN asnames n ON n.asn = r.asn WHERE r.version = ? AND r.first <= ? "
            "AND r.last >= ? ORDER BY r.width ASC LIMIT 1",
            (version, key, key),
        ).fetchone()
        if row is None:
            return None
        first = int.from_bytes(row[0], "big")
        last = int.from_bytes(row[1], "big")
        return Owner(
            prefix=_covering_prefix(version, first, last, number),
            asn=int(row[2]),
            asn_name=row[4] or None,
            country=row[3] or None,
            answered_by=SOURCE,
        )

    def close(self) -> None:
        self.db.close()


def _covering_prefix(version: int, first: int, last: int, number: int) -> str:
    """The range as a CIDR, or the largest CIDR inside it that holds ``number``."""
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for network in ipaddress.summarize_address_range(make(first), make(last)):
        if int(network.network_address) <= number <= int(network.broadcast_address):
            return str(network)
    return f"{make(first)}-{make(last)}"


def _range_row(first_text: str, last_text: str, asn: int, country: str | None, name: str | None
               ) -> tuple[int, bytes, bytes, int, int, str | None, str | None]:  # fmt: skip
    version, first = address_to_int(first_text.strip())
    last_version, last = address_to_int(last_text.strip())
    if last_version != version or last < first:
        raise ValueError("range end before its start")
    width = (last - first + 1).bit_length()
    return version, _key(version, first), _key(version, last), width, asn, country, name


def _ip2asn_row(line: str) -> tuple[int, bytes, bytes, int, int, str | None, str | None] | None:
    fields = line.rstrip("\n").split("\t")
    asn = int(fields[2])
    if asn == 0:
        return None
    country = (
        fields[3].strip() if len(fields) > 3 and fields[3].strip() not in ("", "None") else None
    )
    name = (
        fields[4].strip()
        if len(fields) > 4 and fields[4].strip() not in ("", "Not routed")
        else None
    )
    return _range_row(fields[0], fields[1], asn, country, name)


def _pfx2as_row(line: str) -> tuple[int, bytes, bytes, int, int, str | None, str | None] | None:
    fields = line.split()
    network = ipaddress.ip_network(f"{fields[0]}/{fields[1]}", strict=False)
    origins = fields[2].replace("_", ",").split(",")
    name = f"multi-origin: AS{' AS'.join(origins)}" if len(origins) > 1 else None
    return _range_row(str(network.network_address), str(network.broadcast_address),
                      int(origins[0]), None, name)  # fmt: skip


def _asname_row(line: str) -> tuple[int, str] | None:
    sep = "\t" if "\t" in line else ","
    asn_text, name = line.split(sep, 1)
    return int(asn_text.strip().upper().removeprefix("AS")), name.strip().strip('"')


def database_path() -> Path:
    """Where imports go: ``ip2asn.sqlite`` in the user data folder."""
    from topo.owners.cloud import user_data_dir

    return user_data_dir() / "ip2asn.sqlite"
