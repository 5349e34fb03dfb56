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
from typing import Any, BinaryIO, cast

from topo.errors import ParseError

#: The first bytes of each kind of compressed stream.
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
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


def corrupt_message(kind: str, error: BaseException) -> str:
    """What a read that failed inside a ``kind`` stream says.

    >>> corrupt_message("gzip", EOFError("Compressed file ended before the end-of-stream "
    ...                                   "marker was reached"))
    'damaged or cut gzip data: Compressed file ended before the end-of-stream marker was reached'
    """
    return f"damaged or cut {kind} data: {error}"
