"""User owner tables: CSV files that say who owns a prefix (``--owner-table FILE``).

For private or enterprise space, and for anyone who knows better than the registries. One
row per prefix: ``prefix,org[,asn][,region]``; a header row (first field ``prefix``),
blank lines and lines starting with ``#`` are skipped. A user table always wins over every
other source. A bad row is reported with its file and line and the rest is still read.

>>> table, errors = read_owner_table(
...     "prefix,org,asn,region\\n192.0.2.0/24,Example Transit,64500,\\n10.0.0.0/8,Our WAN\\n",
...     source="owners.csv")
>>> hit = table.lookup("192.0.2.77")
>>> hit.org, hit.asn, hit.prefix, hit.answered_by, errors
('Example Transit', 64500, '192.0.2.0/24', 'owner-table', [])
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from topo.classify.prefixmap import PrefixMap
from topo.errors import ParseError, summarize_line_errors
from topo.owners.model import Owner

SOURCE = "owner-table"


class OwnerTable:
    """Prefix → :class:`Owner` from one or more user tables (later files win on equal prefixes)."""

    def __init__(self, rows: Iterable[tuple[str, Owner]]):
        self.map: PrefixMap[Owner] = PrefixMap(rows)

    def __len__(self) -> int:
        return len(self.map)

    def lookup(self, addr: str) -> Owner | None:
        """The owner of the most specific listed prefix holding ``addr``."""
        match = self.map.lookup(addr)
        return None if match is None else match[1]


def _rows(text: str, source: str) -> tuple[list[tuple[str, Owner]], list[ParseError]]:
    rows: list[tuple[str, Owner]] = []
    errors: list[ParseError] = []
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        fields = [f.strip() for f in record]
        if not fields or not any(fields) or fields[0].startswith("#"):
            continue
        if number == 1 and fields[0].lstrip("\ufeff").lower() == "prefix":
            continue
        try:
            network = ipaddress.ip_network(fields[0].lstrip("\ufeff"), strict=False)
        except ValueError:
            errors.append(ParseError(f"not a prefix: {fields[0]!r}", path=source, line=number))
            continue
        org = fields[1] if len(fields) > 1 and fields[1] else None
        asn_text = fields[2].upper().removeprefix("AS") if len(fields) > 2 else ""
        if asn_text and not asn_text.isdigit():
            errors.append(ParseError(f"not an AS number: {fields[2]!r}", path=source, line=number))
            continue
        region = fields[3] if len(fields) > 3 and fields[3] else None
        if org is None and not asn_text:
            errors.append(ParseError("a row needs an org or an asn", path=source, line=number))
            continue
        owner = Owner(
            prefix=str(network),
            org=org,
            asn=int(asn_text) if asn_text else None,
            region=region,
            answered_by=SOURCE,
        )
        rows.append((str(network), owner))
    return rows, errors


#: What an owner table is, for the message about a file that is not one.
TABLE_HINT = "an owner table is CSV prefix,org[,asn][,region]"


def _summarized(errors: list[ParseError], text: str, source: str) -> list[ParseError]:
    """One line for a file that is not an owner table (most rows bad), else every error."""
    lines = text.splitlines()
    return summarize_line_errors(
        errors, lines, source=source, what="owner-table rows", hint=TABLE_HINT
    )


def read_owner_table(text: str, *, source: str) -> tuple[OwnerTable, list[ParseError]]:
    """One table from CSV text, with an error per unreadable row (one in all when most
    rows are: the file is not an owner table)."""
    rows, errors = _rows(text, source)
    return OwnerTable(rows), _summarized(errors, text, source)


def load_owner_tables(paths: Iterable[str | Path]) -> tuple[OwnerTable, list[ParseError]]:
    """Every table in ``paths`` merged (a later file wins on the same prefix)."""
    rows: list[tuple[str, Owner]] = []
    errors: list[ParseError] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            errors.append(ParseError(f"cannot read owner table: {err}", path=str(path)))
            continue
        more, problems = _rows(text, str(path))
        rows.extend(more)
        errors.extend(_summarized(problems, text, str(path)))
    return OwnerTable(rows), errors
