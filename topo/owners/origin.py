"""Origin AS of every routed public address, offline and by default.

topo ships a compact table of who originates each public range, made from the
``@ip-location-db/asn`` data (RouteViews, the five RIRs' delegations and DB-IP's ASN Lite,
CC BY 4.0; see ``topo/data/owners/SOURCES.md`` and ``ORIGIN-AS.md`` for why this one).
``topo data update`` replaces it with a fresh iptoasn.com dump (public domain) in the user
data folder, which wins when present. :class:`OriginAsData` answers with an
:class:`~topo.owners.model.Owner` holding ``asn``, ``asn_name`` and ``prefix`` (the largest
CIDR block inside the table's range that holds the address) and ``answered_by`` naming the
dataset and its date, e.g. ``ip-location-db-asn-2026-06-17``.

The file (``origin-as.bin``) is: a magic line, a 4-byte header length, a JSON header (id,
date, source, licence, counts, payload checksum), then a zlib payload of little-endian
arrays: for each family the start of every interval (IPv6 as high and low 64-bit halves)
and what it maps to (0: no AS, ``k``: the k-th entry), then each entry's AS number and the
end offset of its AS name, then the UTF-8 names one after the other. Loading it is one
decompression and a few ``array.frombytes`` (about 0.07 s for the shipped half a million
ranges); a lookup is one ``bisect``.

>>> rows = [OriginRow(4, 0x08080800, 0x080808FF, 15169, "GOOGLE"),
...         OriginRow(6, 0x2001_4860 << 96, (0x2001_4861 << 96) - 1, 15169, "GOOGLE")]
>>> data = OriginAsData.from_bytes(compile_origin(
...     rows, dataset_id="example-2026-01-01", date=datetime(2026, 1, 1, tzinfo=UTC),
...     source="doctest", licence="CC0"))
>>> hit = data.lookup("8.8.8.8")
>>> hit.asn, hit.asn_name, hit.prefix, hit.answered_by
(15169, 'GOOGLE', '8.8.8.0/24', 'example-2026-01-01')
>>> data.lookup("2001:4860::8888").prefix, data.lookup("9.9.9.9")
('2001:4860::/32', None)
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import ipaddress
import json
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from topo.classify.addresses import address_to_int
from topo.errors import InvalidAddressError, TopoError
from topo.owners.model import Owner

#: The table's file name, shipped in ``topo/data/owners`` and installed in the user data folder.
FILENAME = "origin-as.bin"
_MAGIC = b"topo origin-as 1\n"
_BITS = {4: 32, 6: 128}
_MASK64 = (1 << 64) - 1


class OriginRow(NamedTuple):
    """One range of a source file: family, first and last address (integers), AS, AS name."""

    version: int
    first: int
    last: int
    asn: int
    name: str


# -- reading the published files --------------------------------------------------------


def _address(text: str) -> tuple[int, int]:
    text = text.strip()
    if text.isdigit():  # the "-num" files: integers; a family from the size
        number = int(text)
        return (4 if number < 1 << 32 else 6), number
    return address_to_int(text)


def read_asn_csv(text: str, *, version: int | None = None) -> Iterator[OriginRow]:
    """Rows of an ip-location-db ASN CSV: ``first,last,asn,name`` (addresses or integers).

    ``version`` says the family of integer files (``asn-ipv6-num.csv`` starts at ``0``).

    >>> next(read_asn_csv('1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\\n'))
    OriginRow(version=4, first=16777216, last=16777471, asn=13335, name='Cloudflare, Inc.')
    """
    for number, fields in enumerate(csv.reader(io.StringIO(text)), 1):
        if not fields or fields[0].startswith("#"):
            continue
        try:
            (v1, first), (v2, last) = _address(fields[0]), _address(fields[1])
            row = OriginRow(version or v1, first, last, int(fields[2]), _clean(fields[3]))
        except (IndexError, ValueError, InvalidAddressError) as err:
            raise TopoError(f"line {number}: not an ASN CSV row ({err})") from None
        if version is None and v1 != v2:
            raise TopoError(f"line {number}: range spans address families")
        if row.asn:
            yield row


def read_ip2asn_tsv(text: str) -> Iterator[OriginRow]:
    """Rows of an iptoasn.com dump: ``first  last  asn  country  description`` (tab-separated);
    AS 0 ("Not routed") is unannounced space and left out.

    >>> list(read_ip2asn_tsv("1.0.0.0\\t1.0.0.255\\t13335\\tUS\\tCLOUDFLARENET\\n"
    ...                      "1.0.1.0\\t1.0.3.255\\t0\\tNone\\tNot routed\\n"))
    [OriginRow(version=4, first=16777216, last=16777471, asn=13335, name='CLOUDFLARENET')]
    """
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            (version, first), (other, last) = _address(fields[0]), _address(fields[1])
            asn = int(fields[2])
            name = _clean(fields[4]) if len(fields) > 4 else ""
        except (IndexError, ValueError, InvalidAddressError) as err:
            raise TopoError(f"line {number}: not an ip2asn row ({err})") from None
        if version != other:
            raise TopoError(f"line {number}: range spans address families")
        if asn:
            yield OriginRow(version, first, last, asn, "" if name == "Not routed" else name)


def _clean(name: str) -> str:
    """One line of printable text (the names come from registries: never trusted)."""
    return " ".join("".join(c if c.isprintable() else " " for c in name).split())


def compile_ip2asn_download(raw: bytes, *, date: datetime, source: str) -> bytes:
    """The table for a downloaded iptoasn.com dump (gzipped or not), validated: a dump that
    cannot be read, has an unreadable row or no routed range raises :class:`TopoError`.

    >>> blob = compile_ip2asn_download(b"8.8.8.0\\t8.8.8.255\\t15169\\tUS\\tGOOGLE\\n",
    ...                                date=datetime(2026, 12, 1, tzinfo=UTC), source="doctest")
    >>> OriginAsData.from_bytes(blob).lookup("8.8.8.8").answered_by
    'iptoasn-2026-12-01'
    """
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise TopoError(f"not a readable dump ({err})") from None
    return compile_origin(
        read_ip2asn_tsv(text),
        dataset_id=f"iptoasn-{date:%Y-%m-%d}",
        date=date,
        source=source,
        licence="PDDL 1.0 (iptoasn.com)",
    )


# -- the compact file ---------------------------------------------------------------------


def _flatten(rows: list[OriginRow], bits: int, entry_of: dict[tuple[int, str], int]
             ) -> tuple[list[int], list[int]]:  # fmt: skip
    """Sorted ranges → interval starts and entries (0: no AS). Where ranges overlap, the one
    that starts later (then the narrower, then the later row) wins until it ends, and the one
    it interrupted resumes."""
    top = (1 << bits) - 1
    starts: list[int] = []
    values: list[int] = []

    def emit(start: int, value: int) -> None:
        if starts and starts[-1] == start:
            values[-1] = value
            if len(values) > 1 and values[-2] == value:  # the same as before: one interval
                starts.pop()
                values.pop()
        elif not values or values[-1] != value:
            starts.append(start)
            values.append(value)

    stack: list[tuple[int, int]] = []  # (last address, entry) of the open ranges

    def close_before(position: int) -> None:
        while stack and stack[-1][0] < position:
            last = stack.pop()[0]
            while stack and stack[-1][0] <= last:
                stack.pop()
            if last < top and last + 1 < position:
                emit(last + 1, stack[-1][1] if stack else 0)

    for row in sorted(rows, key=lambda r: (r.first, -r.last)):
        if not 0 <= row.first <= row.last <= top:
            raise TopoError(f"bad range {row.first}-{row.last} (IPv{row.version})")
        close_before(row.first)
        emit(row.first, entry_of.setdefault((row.asn, row.name), len(entry_of) + 1))
        stack.append((row.last, entry_of[(row.asn, row.name)]))
    close_before(top + 1)
    return starts, values


def _le(kind: str, values: Iterable[int]) -> bytes:
    data = array(kind, values)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def compile_origin(
    rows: Iterable[OriginRow], *, dataset_id: str, date: datetime, source: str, licence: str
) -> bytes:
    """The ``origin-as.bin`` file for ``rows`` (:class:`TopoError` when it would be empty).

    ``dataset_id`` is the token ``answered_by`` carries (no ``+``, no spaces)."""
    if not dataset_id or "+" in dataset_id or any(c.isspace() for c in dataset_id):
        raise TopoError(f"bad dataset id {dataset_id!r}")
    by_family: dict[int, list[OriginRow]] = {4: [], 6: []}
    for row in rows:
        by_family[row.version].append(row)
    if not by_family[4] and not by_family[6]:
        raise TopoError("no routed ranges")
    entries: dict[tuple[int, str], int] = {}
    starts4, values4 = _flatten(by_family[4], 32, entries)
    starts6, values6 = _flatten(by_family[6], 128, entries)
    names = [name.encode("utf-8") for _, name in entries]
    ends, end = [], 0
    for name in names:
        end += len(name)
        ends.append(end)
    payload = zlib.compress(b"".join((
        _le("I", starts4), _le("I", values4),
        _le("Q", (s >> 64 for s in starts6)), _le("Q", (s & _MASK64 for s in starts6)),
        _le("I", values6), _le("I", (asn for asn, _ in entries)), _le("I", ends), *names,
    )), 9)  # fmt: skip
    header = json.dumps({
        "id": dataset_id, "date": date.isoformat(), "source": source, "licence": licence,
        "v4": len(starts4), "v6": len(starts6), "entries": len(entries),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }).encode()  # fmt: skip
    return _MAGIC + len(header).to_bytes(4, "little") + header + payload


def _array(kind: str, data: memoryview) -> array[int]:
    result = array(kind)
    result.frombytes(data)
    if sys.byteorder == "big":
        result.byteswap()
    return result


class OriginAsData:
    """One origin-AS table, read from an ``origin-as.bin`` file (see :func:`open_origin_as`).

    ``id`` is the token in ``answered_by``; ``date`` the date of the data; ``source`` where it
    came from (a description or a URL); ``licence`` the data's licence; ``origin`` which copy
    is in use (the shipped one or a file path). The IPv6 interval starts become integers on
    the first IPv6 lookup, so a run without IPv6 never pays for them.
    """

    __slots__ = ("_asns", "_name_ends", "_names", "_parts6", "_starts4", "_starts6",
                 "_values4", "_values6", "date", "id", "licence", "origin", "source")  # fmt: skip

    def __init__(self, header: dict[str, Any], view: memoryview, *, origin: str):
        n4, n6, entries = int(header["v4"]), int(header["v6"]), int(header["entries"])
        parts, at = [], 0
        for size in (4 * n4, 4 * n4, 8 * n6, 8 * n6, 4 * n6, 4 * entries, 4 * entries):
            if at + size > len(view):
                raise ValueError("truncated")
            parts.append(view[at : at + size])
            at += size
        self.id = str(header["id"])
        date = datetime.fromisoformat(header["date"])
        self.date = date if date.tzinfo else date.replace(tzinfo=UTC)
        self.source = str(header["source"])
        self.licence = str(header["licence"])
        self.origin = origin
        self._starts4 = _array("I", parts[0])
        self._values4 = _array("I", parts[1])
        self._parts6: tuple[array[int], array[int]] | None = (
            _array("Q", parts[2]),
            _array("Q", parts[3]),
        )
        self._starts6: list[int] = []
        self._values6 = _array("I", parts[4])
        self._asns = _array("I", parts[5])
        self._name_ends = _array("I", parts[6])
        self._names = bytes(view[at:])  # the AS names, UTF-8, one after the other
        if len(self._names) != (self._name_ends[-1] if entries else 0):
            raise ValueError("inconsistent AS names")

    @classmethod
    def from_bytes(cls, blob: bytes, *, origin: str = "memory") -> OriginAsData:
        """Read a file's bytes; :class:`TopoError` when they are not a whole, valid table."""
        try:
            head = len(_MAGIC)
            if blob[:head] != _MAGIC:
                raise ValueError("not an origin-as table")
            size = int.from_bytes(blob[head : head + 4], "little")
            header = json.loads(blob[head + 4 : head + 4 + size])
            payload = blob[head + 4 + size :]
            if hashlib.sha256(payload).hexdigest() != header["sha256"]:
                raise ValueError("damaged: checksum mismatch")
            return cls(header, memoryview(zlib.decompress(payload)), origin=origin)
        except (ValueError, KeyError, TypeError, zlib.error) as err:
            raise TopoError(f"{origin}: not a usable origin-AS table ({err})") from None

    @classmethod
    def from_file(cls, path: str | Path) -> OriginAsData:
        """Read an ``origin-as.bin`` file."""
        try:
            blob = Path(path).read_bytes()
        except OSError as err:
            raise TopoError(f"{path}: cannot read ({err.strerror or err})") from None
        return cls.from_bytes(blob, origin=str(path))

    @classmethod
    def shipped(cls) -> OriginAsData:
        """The copy shipped with topo."""
        blob = resources.files("topo.data.owners").joinpath(FILENAME).read_bytes()
        return cls.from_bytes(blob, origin=f"shipped {FILENAME}")

    def __len__(self) -> int:
        """The number of ranges with an AS (both families)."""
        return sum(1 for v in self._values4 if v) + sum(1 for v in self._values6 if v)

    def lookup(self, addr: str) -> Owner | None:
        """The origin AS of ``addr``, or ``None`` (unannounced, or not an address)."""
        try:
            version, number = address_to_int(addr)
        except InvalidAddressError:
            return None
        if version == 4:
            starts: array[int] | list[int] = self._starts4
            values = self._values4
        else:
            if self._parts6 is not None:
                high, low = self._parts6
                self._starts6 = [h << 64 | lo for h, lo in zip(high, low, strict=True)]
                self._parts6 = None
            starts, values = self._starts6, self._values6
        index = bisect_right(starts, number) - 1
        if index < 0 or not values[index]:
            return None
        bits = _BITS[version]
        last = starts[index + 1] - 1 if index + 1 < len(starts) else (1 << bits) - 1
        entry = values[index] - 1
        if entry >= len(self._asns):
            return None  # cannot happen in a file compile_origin wrote
        name = self._names[self._name_ends[entry - 1] if entry else 0 : self._name_ends[entry]]
        return Owner(
            prefix=_block(version, number, starts[index], last),
            asn=self._asns[entry] or None,
            asn_name=name.decode("utf-8", "replace") or None,
            answered_by=self.id,
        )


def _block(version: int, number: int, first: int, last: int) -> str:
    """The largest CIDR block inside ``[first, last]`` that holds ``number``.

    >>> _block(4, 0x8EFB3776, 0x8EFA0000, 0x8EFBFFFF)
    '142.250.0.0/15'
    """
    bits = _BITS[version]
    for size in range((last - first + 1).bit_length() - 1, -1, -1):
        base = number >> size << size
        if base >= first and base + (1 << size) - 1 <= last:
            network = ipaddress.IPv4Address(base) if version == 4 else ipaddress.IPv6Address(base)
            return f"{network}/{bits - size}"
    raise AssertionError("unreachable: a block of size 1 always fits")


#: The credit each origin-AS dataset asks of a page or report that shows its answers, by
#: the start of its ``answered_by`` id (CC BY 4.0 asks for attribution; the iptoasn.com
#: data is in the public domain, credited as a courtesy).
CREDITS = {
    "ip-location-db-asn-": "Origin AS data: RouteViews, NRO and IP Geolocation by DB-IP "
    "(https://db-ip.com), compiled by ip-location-db; CC BY 4.0",
    "iptoasn-": "Origin AS data: iptoasn.com (PDDL 1.0)",
}


def credits_for(sources: Iterable[str]) -> list[str]:
    """The credits owed for the ``answered_by`` sources a page shows, each once.

    >>> credits_for(["aws-ip-ranges", "ip-location-db-asn-2026-06-17"])[0][:29]
    'Origin AS data: RouteViews, N'
    >>> credits_for(["aws-ip-ranges+owner-table"])
    []
    """
    found: dict[str, None] = {}
    for answered_by in sources:
        for source in answered_by.split("+"):
            for start, credit in CREDITS.items():
                if source.startswith(start):
                    found[credit] = None
    return list(found)


def user_copy(data_dir: Path | None = None) -> Path:
    """Where ``topo data update`` installs the table (the user data folder)."""
    from topo.owners.cloud import user_data_dir

    return (data_dir if data_dir is not None else user_data_dir()) / FILENAME


def open_origin_as(
    data_dir: Path | None = None, *, warn: Callable[[str], None] | None = None
) -> OriginAsData:
    """The user's updated copy when there is a usable one, else the shipped copy.

    A damaged user copy is reported through ``warn`` and the shipped copy used."""
    path = user_copy(data_dir)
    if path.is_file():
        try:
            return OriginAsData.from_file(path)
        except TopoError as err:
            if warn is not None:
                warn(f"{err}; using the shipped copy (`topo data update` replaces it)")
    return OriginAsData.shipped()
