"""A persistent owner cache: SQLite, keyed by covering prefix, with a time to live.

One online answer ("13.208.0.0/16 is Amazon Data Services Osaka") serves every address of
that network, in this run and the next ones. The file lives in the user's cache folder
(``--cache PATH`` overrides it); it uses WAL journaling and a busy timeout, so two topo
processes can share it at once. A file that is not a usable cache (truncated, garbage, an
unknown schema) is moved aside with a warning and a new one is built.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with OwnerCache(folder / "owners.sqlite") as cache:
...     cache.put(Owner(prefix="13.208.0.0/16", org="Amazon Data Services Osaka",
...                     answered_by="rdap"))
...     hit = cache.get("13.208.0.67")
>>> hit.org, hit.prefix, hit.answered_by
('Amazon Data Services Osaka', '13.208.0.0/16', 'rdap')
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from topo.classify.addresses import address_to_int
from topo.owners.model import Owner

SCHEMA_VERSION = 1
DEFAULT_TTL_DAYS = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS owners (
    prefix TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    first BLOB NOT NULL,
    last BLOB NOT NULL,
    prefixlen INTEGER NOT NULL,
    data TEXT NOT NULL,
    fetched REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS owners_range ON owners (version, first);
"""


def default_cache_path() -> Path:
    """``owners.sqlite`` in the user's cache folder (``~/.cache/topo`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("topo", appauthor=False)) / "owners.sqlite"


def _key(version: int, number: int) -> bytes:
    return number.to_bytes(4 if version == 4 else 16, "big")


class OwnerCache:
    """The cache file; :meth:`get` answers from the most specific unexpired covering prefix."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        ttl_days: float = DEFAULT_TTL_DAYS,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path) if path is not None else default_cache_path()
        self.ttl = ttl_days * 86400.0
        self.clock = clock
        self._warn = warn or (lambda message: None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = self._open()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            self._prepare(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _prepare(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif row[0] != str(SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"cache schema {row[0]}, expected {SCHEMA_VERSION}")
        db.execute("SELECT count(*) FROM owners").fetchone()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as err:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(self.clock())}")
            for suffix in ("", "-wal", "-shm"):
                extra = Path(str(self.path) + suffix)
                if extra.exists():
                    extra.replace(Path(str(aside) + suffix))
            self._warn(
                f"{self.path}: not a usable owner cache ({err}); moved aside to {aside.name} "
                "and started a new one"
            )
            return self._connect()

    def get(self, addr: str) -> Owner | None:
        """The cached owner of the most specific unexpired prefix holding ``addr``."""
        version, number = address_to_int(addr)
        key = _key(version, number)
        row = self.db.execute(
            "SELECT data FROM owners WHERE version = ? AND first <= ? AND last >= ? "
            "AND expires > ? ORDER BY prefixlen DESC LIMIT 1",
            (version, key, key, self.clock()),
        ).fetchone()
        return None if row is None else Owner.from_dict(json.loads(row[0]))

    def put(self, owner: Owner) -> None:
        """Store an answer under its prefix (an owner without a prefix is not cacheable)."""
        if owner.prefix is None:
            return
        network = ipaddress.ip_network(owner.prefix, strict=False)
        first = _key(network.version, int(network.network_address))
        last = _key(network.version, int(network.broadcast_address))
        now = self.clock()
        self.db.execute(
            "INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(network),
                network.version,
                first,
                last,
                network.prefixlen,
                json.dumps(owner.to_dict(), ensure_ascii=False),
                now,
                now + self.ttl,
            ),
        )

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM owners").fetchone()[0])

    def close(self) -> None:
        """Close the database (idempotent)."""
        self.db.close()

    def __enter__(self) -> OwnerCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
