"""Provider infrastructure blocks: who owns the router addresses the published ranges omit.

A trace from inside a cloud answers from the provider's own routers (AWS 52.93.x.x,
150.222.x.x; Oracle 140.91.x.x), and the providers' published range lists leave many of
those addresses out. The shipped table ``topo/data/owners/infrastructure.csv`` names the
whole blocks the providers hold, with a source for each row (the registry's record, the
published list's coverage, the real traces that show the block). It is a less specific
fallback: a published cloud range inside a block says more (region, services).

Columns: ``prefix,family,provider,region,asn,note,source``, one row a line (quoted fields
may hold commas, not line breaks); ``#`` lines are comments and the first other line is the
header. ``provider`` is the family's cloud slug (``aws``,
``oracle``) even where the block is outside the published lists; ``region`` is set only
where the whole block is in one region. A lookup gives an :class:`~topo.owners.model.Owner`
answered by ``infrastructure-table`` whose evidence is the row's note.

>>> table = load_infrastructure()
>>> hit = table.lookup("150.222.241.85")
>>> hit.family, hit.provider, hit.prefix, hit.answered_by
('Amazon', 'aws', '150.222.0.0/16', 'infrastructure-table')
>>> table.lookup("54.222.31.116").region, table.lookup("192.0.2.1") is None
('cn-north-1', True)
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from topo.classify.prefixmap import PrefixMap
from topo.errors import ParseError
from topo.owners.model import Owner

SOURCE = "infrastructure-table"
COLUMNS = ("prefix", "family", "provider", "region", "asn", "note", "source")


@dataclass(frozen=True, slots=True)
class InfrastructureBlock:
    """One row of the table: a provider's block, what it is and how we know."""

    prefix: str
    family: str
    provider: str | None
    region: str | None
    asn: int | None
    note: str
    source: str

    def owner(self) -> Owner:
        """The owner a lookup in this block gives."""
        return Owner(
            prefix=self.prefix,
            family=self.family,
            provider=self.provider,
            region=self.region,
            asn=self.asn,
            answered_by=SOURCE,
            evidence=(self.note,) if self.note else (),
        )


class InfrastructureTable:
    """Prefix → :class:`Owner` over the infrastructure blocks (most specific block wins)."""

    def __init__(self, blocks: Iterable[InfrastructureBlock]):
        self.blocks: tuple[InfrastructureBlock, ...] = tuple(blocks)
        self.map: PrefixMap[Owner] = PrefixMap((b.prefix, b.owner()) for b in self.blocks)

    def __len__(self) -> int:
        return len(self.blocks)

    def lookup(self, addr: str) -> Owner | None:
        """The owner of the most specific block holding ``addr`` (``None`` outside all).

        An address that is not an IP address raises
        :class:`~topo.errors.InvalidAddressError`.
        """
        match = self.map.lookup(addr)
        return None if match is None else match[1]


def _block(record: list[str], source: str, line: int) -> InfrastructureBlock:
    def fail(message: str) -> ParseError:
        return ParseError(message, path=source, line=line)

    if len(record) != len(COLUMNS):
        raise fail(f"a row needs {len(COLUMNS)} fields: {', '.join(COLUMNS)}")
    values = dict(zip(COLUMNS, (field.strip() for field in record), strict=True))
    try:
        network = ipaddress.ip_network(values["prefix"])
    except ValueError as err:
        raise fail(f"not a network: {values['prefix']!r} ({err})") from None
    asn = values["asn"].upper().removeprefix("AS")
    if asn and not asn.isdigit():
        raise fail(f"not an AS number: {values['asn']!r}")
    if not values["family"] or not values["source"]:
        raise fail("a row needs a family and a source")
    return InfrastructureBlock(
        prefix=str(network),
        family=values["family"],
        provider=values["provider"] or None,
        region=values["region"] or None,
        asn=int(asn) if asn else None,
        note=values["note"],
        source=values["source"],
    )


def read_infrastructure(text: str, *, source: str) -> InfrastructureTable:
    """The table from CSV text; a bad row raises :class:`~topo.errors.ParseError`.

    Host bits set in a prefix are an error (``ip_network`` strict): the table is curated,
    so a typo must not silently become another block.

    >>> text = "# comment\\nprefix,family,provider,region,asn,note,source\\n"
    >>> text += "192.0.2.0/24,Example,,,64500,test block,RFC 5737\\n"
    >>> read_infrastructure(text, source="t.csv").lookup("192.0.2.9").asn
    64500
    """
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        return InfrastructureTable(())
    (header_line, header), *rows = ((n, next(csv.reader([line]))) for n, line in numbered)
    if tuple(h.strip() for h in header) != COLUMNS:
        raise ParseError(f"header must be {','.join(COLUMNS)}", path=source, line=header_line)
    blocks = [_block(record, source, number) for number, record in rows]
    return InfrastructureTable(blocks)


@cache
def load_infrastructure() -> InfrastructureTable:
    """The shipped table (read once)."""
    path = resources.files("topo.data.owners").joinpath("infrastructure.csv")
    return read_infrastructure(path.read_text("utf-8"), source="infrastructure.csv")
