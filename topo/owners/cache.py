"""A persistent owner cache: SQLite, keyed by covering prefix, with a time to live.

One online answer ("13.208.0.0/16 is Amazon Data Services Osaka") serves every address of
that network, in this run and the next ones. The file lives in the user's cache folder
(``--cache PATH`` overrides it); it uses WAL journaling and a busy timeout, so two topo
processes can share it at once. A file that is not a usable cache (truncated, garbage, an
unknown schema) is moved aside with a warning and a new one is built, under a lock file
(``owners.sqlite.lock``) so that processes starting together on it rebuild it once. A
damaged row is dropped with a warning; a cache that cannot be opened or written raises
:class:`CacheUnavailable` (the resolver then goes on without it).

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

import contextlib
import ipaddress
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
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


class CacheUnavailable(Exception):
    """The cache file cannot be opened or written (a read-only folder, a path under a
    regular file, a full disk): run without it."""


def _is_corrupt(err: sqlite3.DatabaseError) -> bool:
    """Whether an error says the file's content is bad (not that it cannot be opened,
    written or locked, which moving it aside would not cure)."""
    if not isinstance(err, sqlite3.OperationalError):
        return True  # not a database, malformed image, our schema check
    text = str(err).lower()
    return "malformed" in text or "not a database" in text


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if need be) while the block runs; none where
    ``fcntl`` is missing (Windows), or when the lock file cannot be made."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        handle = path.open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_folder(folder: Path) -> None:
    """``folder`` and its parents, made if need be; a regular file in the way is named.

    >>> _make_folder(Path("/etc/passwd/topo"))
    Traceback (most recent call last):
        ...
    NotADirectoryError: /etc/passwd is a file, not a folder
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
        raise NotADirectoryError(f"{blocking} is a file, not a folder") from None


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
        self._dropped = 0
        self._unwritable = False
        self._unreadable = False
        try:
            _make_folder(self.path.parent)
            with _locked(self.path.with_name(self.path.name + ".lock")):
                self.db = self._open()
        except (OSError, sqlite3.Error) as err:
            raise CacheUnavailable(f"{self.path}: {_reason(err)}") from err

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
            if not _is_corrupt(err):
                raise
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
        """The cached owner of the most specific unexpired prefix holding ``addr``; a row
        that cannot be read is dropped (with a warning) and the next one answers."""
        version, number = address_to_int(addr)
        key = _key(version, number)
        if self._unreadable:
            return None
        try:
            rows = self.db.execute(
                "SELECT prefix, data FROM owners WHERE version = ? AND first <= ? "
                "AND last >= ? AND expires > ? ORDER BY prefixlen DESC",
                (version, key, key, self.clock()),
            ).fetchall()
        except sqlite3.DatabaseError as err:  # a damaged page: no answer from the cache
            self._unreadable = True
            self._warn(f"{self.path}: cannot read the owner cache ({err}); not used in this run")
            return None
        for prefix, data in rows:
            try:
                return _owner_of(data)
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                self._drop(prefix, err)
        return None

    def _drop(self, prefix: object, err: Exception) -> None:
        """Delete a damaged row; the first one is warned about."""
        self._dropped += 1
        if self._dropped == 1:
            self._warn(
                f"{self.path}: dropped a damaged cache row for {prefix!s} "
                f"({type(err).__name__}: {err}); it will be looked up again"
            )
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("DELETE FROM owners WHERE prefix = ?", (prefix,))

    def put(self, owner: Owner) -> None:
        """Store an answer under its prefix (an owner without a prefix is not cacheable)."""
        if owner.prefix is None:
            return
        network = ipaddress.ip_network(owner.prefix, strict=False)
        first = _key(network.version, int(network.network_address))
        last = _key(network.version, int(network.broadcast_address))
        now = self.clock()
        if self._unwritable:
            return
        try:
            self._insert(network, first, last, owner, now)
        except sqlite3.Error as err:  # read-only, full disk, locked past the busy timeout
            self._unwritable = True
            self._warn(f"{self.path}: cannot write the owner cache ({err}); answers not kept")

    def _insert(
        self,
        network: ipaddress.IPv4Network | ipaddress.IPv6Network,
        first: bytes,
        last: bytes,
        owner: Owner,
        now: float,
    ) -> None:
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


def _reason(err: BaseException) -> str:
    """Why the cache cannot be used, in a few words."""
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)


def _owner_of(data: object) -> Owner:
    """The owner a row's ``data`` holds; ``ValueError`` when it is not one.

    >>> _owner_of('{"prefix": "192.0.2.0/24", "org": "Example", "asn": 64500}').asn
    64500
    >>> _owner_of('{"org": 5}')
    Traceback (most recent call last):
        ...
    ValueError: field org is int, not text
    """
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not isinstance(data, str):
        raise ValueError(f"data is {type(data).__name__}, not JSON text")
    fields = json.loads(data)
    if not isinstance(fields, dict):
        raise ValueError(f"data is a JSON {type(fields).__name__}, not an object")
    for name, value in fields.items():
        if name in ("services", "evidence"):
            if not (value is None or (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value))):  # fmt: skip
                raise ValueError(f"field {name} is not a list of text")
        elif name == "asn":
            if not (value is None or (isinstance(value, int) and not isinstance(value, bool))):
                raise ValueError(f"field asn is {type(value).__name__}, not a number")
        elif value is not None and not isinstance(value, str):
            raise ValueError(f"field {name} is {type(value).__name__}, not text")
    return Owner.from_dict(fields)
