"""Per-trace results kept pickled and compressed: a large input's verdicts in a tenth of
their memory.

A trace's verdict (its reasons, strip and segments, as objects and strings) takes about
2.4 KB of memory once it is also in the graph as a dict; an input of a million traces
would hold gigabytes of them while the graph itself saturates. :class:`PackedList` keeps
them, after the first :data:`UNPACKED`, in chunks of :data:`CHUNK` items, each pickled and
compressed with zlib (about 0.2 KB a verdict), and gives them back one chunk at a time when
read. :class:`MappedList` is a
list computed item by item from another (the verdicts' JSON form in ``G.graph``), and
:func:`plain` is what JSON writers call for either of them.

>>> items = PackedList(range(1000))
>>> len(items), items[0], items[-1], sum(items), items == list(range(1000))
(1000, 0, 999, 499500, True)
>>> halves = PackedList(range(500)); halves.extend(PackedList(range(500, 1000)))
>>> halves == items, MappedList(items, str)[998]
(True, '998')
"""

from __future__ import annotations

import pickle
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
U = TypeVar("U")

#: Items per compressed chunk (pickling a verdict costs about 8 us, compressing it 3 us,
#: and reading it back 6 us; larger chunks compress hardly better and cost a random read
#: more).
CHUNK = 256
#: zlib's fastest level: a verdict in about 0.2 KB, against 0.8 KB only pickled.
LEVEL = 1
#: The items kept as they are before packing starts (in chunks that stay lists): an input
#: of a few thousand traces pays nothing for packing (~3 % of a text build's time), and
#: their ~20 MB do not matter.
UNPACKED = 8192


def _seal(items: list[Any]) -> bytes:
    return zlib.compress(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL), LEVEL)


def _open(chunk: bytes | list[Any]) -> list[Any]:
    if isinstance(chunk, list):
        return chunk
    items: list[Any] = pickle.loads(zlib.decompress(chunk))
    return items


class _Lazy(Sequence[T]):
    """What the packed and the mapped list share: comparing, printing, slicing as lists."""

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self)[index]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("list index out of range")
        return self._item(index)

    def _item(self, index: int) -> T:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self)} items>)"


class PackedList(_Lazy[T]):
    """A list that only grows (:meth:`append`, :meth:`extend`), its items kept pickled and
    compressed in chunks of :data:`CHUNK` (the first :data:`UNPACKED` items and the last,
    unfinished chunk as objects).

    Treat the items as read-only: reading gives copies unpickled from a chunk (the last
    chunk opened by an index is kept open) or, after the last full chunk, the objects
    given. Pickling it costs its compressed bytes, which is how a worker
    process's verdicts cross to the parent; extending by another :class:`PackedList` takes
    over its chunks without opening them.
    """

    def __init__(self, items: Iterable[T] = ()) -> None:
        #: Finished chunks: packed, or (the first :data:`UNPACKED` items) lists.
        self._chunks: list[bytes | list[T]] = []
        #: The count of items up to and including each chunk.
        self._ends: list[int] = []
        #: Items in chunks kept as lists.
        self._loose = 0
        self._tail: list[T] = []
        #: The chunk last opened by an index, with its number.
        self._opened: tuple[int, list[T]] | None = None
        self.extend(items)

    def append(self, item: T) -> None:
        """Add ``item`` at the end."""
        self._tail.append(item)
        if len(self._tail) >= CHUNK:
            self._seal_tail()

    def extend(self, items: Iterable[T]) -> None:
        """Add ``items`` at the end, in their order."""
        if isinstance(items, PackedList):
            if items._chunks:  # ours first: its items come after
                self._seal_tail()
            start = 0
            for chunk, end in zip(items._chunks, items._ends, strict=True):
                self._add_chunk(chunk, end - start)
                start = end
            for item in items._tail:
                self.append(item)
            return
        for item in items:
            self.append(item)

    def _sealed(self) -> int:
        return self._ends[-1] if self._ends else 0

    def _seal_tail(self) -> None:
        if self._tail:
            self._add_chunk(self._tail, len(self._tail))
            self._tail = []

    def _add_chunk(self, chunk: bytes | list[T], count: int) -> None:
        """A finished chunk of ``count`` items at the end, packed unless it is a list that
        fits into the :data:`UNPACKED` items kept as objects."""
        if isinstance(chunk, list):
            if self._loose + count <= UNPACKED:
                self._loose += count
            else:
                chunk = _seal(chunk)
        self._chunks.append(chunk)
        self._ends.append(self._sealed() + count)

    def pack(self) -> None:
        """Pack the finished chunks kept as objects too (what a worker process does with
        a large part before sending it: the parent, which keeps its own first items,
        would pack them as it merges, alone)."""
        self._chunks = [_seal(c) if isinstance(c, list) else c for c in self._chunks]
        self._loose = 0

    def __len__(self) -> int:
        return self._sealed() + len(self._tail)

    def __iter__(self) -> Iterator[T]:
        chunks = (_open(chunk) for chunk in list(self._chunks))
        return chain.from_iterable(chain(chunks, (list(self._tail),)))

    def _item(self, index: int) -> T:
        sealed = self._sealed()
        if index >= sealed:
            return self._tail[index - sealed]
        number = bisect_right(self._ends, index)
        if self._opened is None or self._opened[0] != number:
            self._opened = (number, _open(self._chunks[number]))
        start = self._ends[number - 1] if number else 0
        return self._opened[1][index - start]

    def __getstate__(self) -> dict[str, Any]:
        return {"chunks": self._chunks, "ends": self._ends, "tail": self._tail}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._chunks, self._ends, self._tail = state["chunks"], state["ends"], state["tail"]
        self._loose = sum(len(chunk) for chunk in self._chunks if isinstance(chunk, list))
        self._opened = None

    @property
    def packed_bytes(self) -> int:
        """The bytes its packed chunks take."""
        return sum(len(chunk) for chunk in self._chunks if isinstance(chunk, bytes))

    @property
    def unpacked(self) -> int:
        """How many of its items are kept as objects (at most :data:`UNPACKED` and those
        after the last full chunk)."""
        return self._loose + len(self._tail)


class PackedDict(Mapping[str, T]):
    """A dict whose values are kept in a :class:`PackedList` (its keys as they are): the
    node paths of a large input's traces (``G.graph["trace_paths"]``). Setting a key
    again keeps its place and takes the new value, as a dict does.

    >>> paths = PackedDict({"t1": {"path": ["a"]}})
    >>> paths["t2"] = {"path": ["a", "b"]}
    >>> paths["t1"] = {"path": ["c"]}
    >>> list(paths.items()), paths == {"t1": {"path": ["c"]}, "t2": {"path": ["a", "b"]}}
    ([('t1', {'path': ['c']}), ('t2', {'path': ['a', 'b']})], True)
    """

    def __init__(self, items: Mapping[str, T] | None = None) -> None:
        #: Each key's position among the values.
        self._keys: dict[str, int] = {}
        self._values: PackedList[T] = PackedList()
        #: The values of keys set again, by position.
        self._replaced: dict[int, T] = {}
        if items:
            self.update(items)

    def __setitem__(self, key: str, value: T) -> None:
        position = self._keys.get(key)
        if position is None:
            self._keys[key] = len(self._values)
            self._values.append(value)
        else:
            self._replaced[position] = value

    def update(self, items: Mapping[str, T]) -> None:
        """Set each of ``items`` (a :class:`PackedDict` whose keys are all new is taken
        over by its chunks)."""
        if isinstance(items, PackedDict) and self._keys.keys().isdisjoint(items._keys):
            start = len(self._values)
            self._keys.update((key, start + at) for key, at in items._keys.items())
            self._values.extend(items._values)
            self._replaced.update((start + at, value) for at, value in items._replaced.items())
            return
        for key, value in items.items():
            self[key] = value

    def pack(self) -> None:
        """:meth:`PackedList.pack` of the values."""
        self._values.pack()

    def __getitem__(self, key: str) -> T:
        position = self._keys[key]
        replaced = self._replaced.get(position, _MISSING)
        return self._values[position] if replaced is _MISSING else replaced  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def items(self) -> Iterator[tuple[str, T]]:  # type: ignore[override]
        """Keys and values in order, the values read one chunk at a time."""
        return zip(self._keys, self.values(), strict=True)

    def values(self) -> Iterator[T]:  # type: ignore[override]
        """The values in order, read one chunk at a time."""
        if not self._replaced:
            return iter(self._values)
        replaced = self._replaced
        return (replaced.get(at, value) for at, value in enumerate(self._values))

    def __repr__(self) -> str:
        return f"PackedDict(<{len(self)} items>)"

    def __getstate__(self) -> dict[str, Any]:
        return {"keys": self._keys, "values": self._values, "replaced": self._replaced}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._keys, self._values = state["keys"], state["values"]
        self._replaced = state["replaced"]


_MISSING = object()


class MappedList(_Lazy[U], Generic[T, U]):
    """``function`` of each item of ``source``, computed when read (never stored).

    >>> MappedList([1, 2], lambda n: n * 10)
    MappedList(<2 items>)
    >>> list(MappedList([1, 2], lambda n: n * 10))
    [10, 20]
    """

    def __init__(self, source: Sequence[T], function: Callable[[T], U]) -> None:
        self.source = source
        self.function = function

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[U]:
        return map(self.function, self.source)

    def _item(self, index: int) -> U:
        return self.function(self.source[index])


def plain(value: Any) -> list[Any] | dict[str, Any]:
    """``value`` as a list or dict, when it is one of this module's: the ``default`` of
    ``json.dumps`` and ``orjson.dumps`` for a graph that holds them.

    >>> import json
    >>> json.dumps({"traces": PackedList([1, 2]), "paths": PackedDict({"t": 1})}, default=plain)
    '{"traces": [1, 2], "paths": {"t": 1}}'
    """
    if isinstance(value, _Lazy):
        return list(value)
    if isinstance(value, PackedDict):
        return dict(value.items())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def is_lazy_list(value: Any) -> bool:
    """Whether ``value`` is one of this module's lists (written as a JSON list)."""
    return isinstance(value, _Lazy)


def is_packed(value: Any) -> bool:
    """Whether ``value`` is one of this module's lists or dicts (JSON needs :func:`plain`)."""
    return isinstance(value, (_Lazy, PackedDict))
