"""Which files an input names: files, folders walked recursively, ``-`` for standard input.

Directory walks skip what is not a trace: ``topo.toml`` manifests, ``*.md`` notes, scripts
and rendered outputs (``*.py``, ``*.html``, ``*.svg``, ...), owner tables (``*.csv`` whose
first field is ``prefix`` or a network), the golden files that sit beside test inputs
(``*.expected.json``, ``*.truth.json``: parsed copies of the trace beside them, which
would count it twice), dotfiles and dot-folders, FIFOs, sockets and devices. A FIFO
named on the command line is read.

>>> folder = "samples/aws-osaka-tokyo"
>>> list(iter_input_paths([folder, f"{folder}/traceroute.txt"]))
['samples/aws-osaka-tokyo/traceroute.txt']
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from topo.errors import ParseError

STDIN = "-"


#: Names and suffixes that a directory walk never reads as traces.
SKIPPED_NAMES = frozenset({"topo.toml"})


#: Endings of files that describe the trace beside them (topo's golden test files).
SKIPPED_ENDINGS = (".expected.json", ".truth.json")


SKIPPED_SUFFIXES = frozenset(
    {".md", ".rst", ".toml", ".py", ".cmd", ".html", ".svg", ".png", ".pdf", ".graphml", ".gexf"}
)


def _is_owner_table(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    field0 = first.lstrip("\ufeff").split(",", 1)[0].strip().strip('"').lower()
    return field0 == "prefix" or "/" in field0


def _suffix(name: str) -> str:
    """``PurePath(name).suffix``, without making a path object per file."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[str]:
    """The files of a folder to read, in sorted order (os calls, not ``Path`` objects:
    a folder of 10,000 traces is walked in the parent before any worker starts), but
    those in ``seen`` (device and inode; those yielded are added)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name in SKIPPED_NAMES:
                continue
            suffix = _suffix(name).lower()
            if suffix in SKIPPED_SUFFIXES or name.lower().endswith(SKIPPED_ENDINGS):
                continue
            path = os.path.join(root, name)  # noqa: PTH118 (no Path per file: see above)
            if suffix == ".csv" and _is_owner_table(Path(path)):
                continue
            try:
                status = os.stat(path)  # noqa: PTH116
            except OSError:
                continue  # a dangling symlink: nothing to read
            if stat.S_ISREG(status.st_mode) and _first_time(status, seen):
                yield path


def _first_time(status: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    """Whether the file of ``status`` is not in ``seen`` (then added): a file named twice
    (itself and in its folder, through a link, or twice) is read once."""
    key = (status.st_dev, status.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


#: What ``os.stat`` fails with for a path that is not there (``Path.exists`` says False).
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def iter_input_paths(paths: Iterable[str | Path]) -> Iterator[str | ParseError]:
    """Every input named by ``paths`` (files, folders walked recursively, ``-``), each
    file once (the first time it is named: a trace's id is its file and line).

    >>> folder = "samples/aws-osaka-tokyo"
    >>> list(iter_input_paths([folder, f"{folder}/traceroute.txt"]))
    ['samples/aws-osaka-tokyo/traceroute.txt']
    """
    seen: set[tuple[int, int]] = set()
    for item in paths:
        name = str(item)
        if name == STDIN:
            yield STDIN
            continue
        try:
            status = os.stat(name)  # noqa: PTH116 (one call, no Path object per file)
        except OSError as err:
            if err.errno in _MISSING:
                yield ParseError("no such file or directory", path=name)
            else:
                yield ParseError(f"cannot read: {err.strerror or err}", path=name)
            continue
        if stat.S_ISDIR(status.st_mode):
            yield from _walk(Path(name), seen)
        elif not stat.S_ISREG(status.st_mode) or _first_time(status, seen):
            yield name  # a pipe or a device is read each time it is named


def display_name(name: str) -> str:
    """How an input is named in origins and messages (``<stdin>`` for ``-``)."""
    return "<stdin>" if name == STDIN else name
