"""Compressed inputs, read as they are decompressed: gzip, bzip2, xz, and zstd (with the
``zstandard`` package: ``pip install 'topo[zstd]'``).

Measurement archives come compressed (RIPE Atlas daily dumps are bzip2'd JSON Lines,
scamper files often ``.warts.gz``). An input is recognised by its first bytes, not its
name, and read through a decompressing stream, so a dump is never held whole nor written
out decompressed; line numbers in messages count the decompressed lines. The bytes shown
on the progress line are the compressed ones read, so they add up to the files' sizes.

>>> import gzip, io
>>> raw = io.BufferedReader(io.BytesIO(gzip.compress(b'{"a": 1}\\n')))
>>> compression(raw.peek(8))
'gzip'
>>> decompressing(raw, "gzip").read()
b'{"a": 1}\\n'
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from topo.errors import ParseError

#: The first bytes of each kind of compressed stream.
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
#: How much one compressed input may decompress to, by default (``--max-bytes`` or
#: :data:`LIMIT_VARIABLE` set another size). Measurement dumps of a day are a few GiB.
MAX_DECOMPRESSED_BYTES = 8 * 1024**3
#: How many times its compressed size an input may grow once past :data:`RATIO_FLOOR`:
#: traceroute text and JSON compress 5 to 50 times; a stream of one byte repeated (a
#: "zip bomb") 1,000 times (gzip) to millions (bzip2, xz). Off when a limit is set.
MAX_RATIO = 250
RATIO_FLOOR = 64 * 1024**2
#: The environment variable (and ``--max-bytes``) that sets the decompressed limit.
LIMIT_VARIABLE = "TOPO_MAX_BYTES"

#: What a damaged or cut compressed stream raises while it is read.
CORRUPT = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


def compression(head: bytes) -> str | None:
    """The kind of compressed stream ``head`` starts, or ``None`` (not compressed)."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def decompressing(raw: BinaryIO, kind: str) -> BinaryIO:
    """A stream of what ``raw`` (a ``kind`` stream, read from its start) decompresses to.

    Raises :class:`~topo.errors.ParseError` for zstd without the ``zstandard`` package.
    """
    source: Any = raw
    if kind == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=source, mode="rb"))
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(source, "rb"))
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(source, "rb"))
    try:
        import zstandard  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ParseError(
            "zstd-compressed: install the zstandard package (pip install 'topo[zstd]') or "
            "decompress it first (zstd -d)",
            line=1,
        ) from None
    reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
    return cast(BinaryIO, io.BufferedReader(reader, 256 * 1024))


class Bounded(io.RawIOBase):
    """What ``stream`` decompresses to, stopped with a :class:`ParseError` past ``limit``
    bytes or, when ``ratio`` is set, past ``ratio`` times the compressed bytes read so far
    (``compressed()``) once over :data:`RATIO_FLOOR`: a small file cannot fill the memory.

    >>> import gzip
    >>> bomb = io.BytesIO(gzip.compress(b"9" * 10_000))
    >>> Bounded(gzip.GzipFile(fileobj=bomb), "gzip", lambda: 30, limit=4096).read()
    Traceback (most recent call last):
    topo.errors.ParseError: <input>: gzip data decompresses to more than 4 KiB; \
--max-bytes (or TOPO_MAX_BYTES) sets the limit
    """

    def __init__(
        self,
        stream: BinaryIO,
        kind: str,
        compressed: Callable[[], int],
        *,
        limit: int = MAX_DECOMPRESSED_BYTES,
        ratio: int | None = None,
    ) -> None:
        self._stream = stream
        self._kind = kind
        self._compressed = compressed
        self._limit = limit
        self._ratio = ratio
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        read1 = getattr(self._stream, "read1", None)  # one step of the decompressor: a
        if read1 is None:  # buffered read that fails drops what it had gathered
            count = self._stream.readinto(view)  # type: ignore[attr-defined]
        else:
            data = read1(len(view))
            count = len(data)
            view[:count] = data
        self.produced += count
        if self.produced > self._limit:
            raise ParseError(
                f"{self._kind} data decompresses to more than {size_words(self._limit)}; "
                f"--max-bytes (or {LIMIT_VARIABLE}) sets the limit"
            )
        if self._ratio is not None and self.produced > RATIO_FLOOR:
            packed = max(self._compressed(), 1)
            if self.produced > self._ratio * packed:
                raise ParseError(
                    f"{self._kind} data grows more than {self._ratio} times "
                    f"({size_words(packed)} to over {size_words(self.produced)}): a "
                    f"decompression bomb? --max-bytes (or {LIMIT_VARIABLE}) allows it"
                )
        return int(count)


def size_words(count: int) -> str:
    """A byte count in words.

    >>> size_words(4096), size_words(64 * 1024**2), size_words(8 * 1024**3), size_words(10)
    ('4 KiB', '64 MiB', '8 GiB', '10 bytes')
    """
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            value = count / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} bytes"


def corrupt_message(kind: str, error: BaseException) -> str:
    """What a read that failed inside a ``kind`` stream says.

    >>> corrupt_message("gzip", EOFError("Compressed file ended before the end-of-stream "
    ...                                   "marker was reached"))
    'damaged or cut gzip data: Compressed file ended before the end-of-stream marker was reached'
    """
    return f"damaged or cut {kind} data: {error}"
