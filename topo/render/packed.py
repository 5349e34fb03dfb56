"""The page's data in a compact form: tables without repeated keys, strings written once.

A 20k-result Atlas page holds 69k routers and 270k edges; written as JSON objects, every
edge repeats its key names and every router repeats rows such as ``["category",
"public"]``. Here a list of records becomes a *table* (its keys once, then one array per
record, ``null`` for a key a record lacks) and the details rows of routers and boxes
become pairs of indexes into one list of distinct strings. The page's script
(``unpack`` in ``page.js``) turns them back into the same objects before anything reads
them, so nothing else on the page knows about the packing.

>>> table = pack_records([{"from": 0, "to": 1, "d": 1.5}, {"from": 1, "to": 2}])
>>> table
{'keys': ['from', 'to', 'd'], 'rows': [[0, 1, 1.5], [1, 2, None]]}
>>> unpack_records(table) == [{"from": 0, "to": 1, "d": 1.5}, {"from": 1, "to": 2}]
True
>>> strings = Strings()
>>> pack_rows([("category", "public"), ("org", "Amazon")], strings)
[0, 1, 2, 3]
>>> pack_rows([("category", "public")], strings)
[0, 1]
>>> strings.values
['category', 'public', 'org', 'Amazon']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class Strings:
    """Distinct strings in the order first seen; calling it gives a string's index."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.values)
            self.values.append(text)
        return index


def pack_records(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``records`` as a table: every key once (in order of first use), a row per record."""
    keys: dict[str, int] = {}
    for record in records:
        for key in record:
            keys.setdefault(key, len(keys))
    names = list(keys)
    return {"keys": names, "rows": [[r.get(k) for k in names] for r in records]}


def unpack_records(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of :func:`pack_records` again (what the page's ``unpack`` does)."""
    keys = table["keys"]
    return [
        {k: v for k, v in zip(keys, row, strict=True) if v is not None} for row in table["rows"]
    ]


def pack_rows(rows: Iterable[tuple[str, str]], strings: Strings) -> list[int]:
    """Details rows ``(name, text)`` as a flat list ``[name, text, name, text, ...]`` of
    indexes into ``strings``."""
    flat: list[int] = []
    for name, text in rows:
        flat += (strings(name), strings(text))
    return flat


def unpack_rows(flat: Sequence[int], values: Sequence[str]) -> list[tuple[str, str]]:
    """The rows of :func:`pack_rows` again."""
    return [(values[flat[i]], values[flat[i + 1]]) for i in range(0, len(flat), 2)]
