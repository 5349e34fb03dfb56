"""Output files written whole or not at all.

Every file topo writes (pages, figures, reports, graph files, the CSV of ``compare``,
downloaded data, caches) is first written under a temporary name next to it and renamed
over the target when complete: a run that fails, crashes or is interrupted (Ctrl-C) leaves
the previous file, or none, never a truncated one that looks like a result. The rename is
atomic on one file system, and the temporary file is created as the target would be (the
process's umask applies).

>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "out" / "page.html"
>>> write_atomically(target, "<p>done</p>") == target
True
>>> try:
...     with replacing(target) as temporary:
...         _ = temporary.write_text("<p>half")
...         raise KeyboardInterrupt
... except KeyboardInterrupt:
...     pass
>>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
('<p>done</p>', ['page.html'])
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from topo.errors import OutputError


@contextmanager
def replacing(path: str | Path, *, sync: bool = False) -> Iterator[Path]:
    """A temporary path next to ``path`` (its folders created) to write the file to: when
    the block ends, it replaces ``path``; when the block raises (an error, Ctrl-C), it is
    removed and ``path`` left as it was. An :class:`OSError` on the way (no space, no
    permission) is raised as :class:`~topo.errors.OutputError` (``path: cannot write:
    why``; exit code 1). ``sync``: flushed to the disk before the rename (for data a later
    run relies on).

    A ``path`` that is a symbolic link gets the file it points to replaced (the link stays);
    an existing file keeps its permission bits. A FIFO or a device (``/dev/stdout``) is
    written into directly: it is never replaced by a regular file."""
    target = Path(path)
    if not _special(target) and target.is_symlink():
        target = Path(os.path.realpath(target))
    if _special(target):  # a FIFO, a device (-o /dev/stdout): written into, never replaced
        try:
            yield target
        except OSError as err:
            raise OutputError(path, err) from err
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = _new_file_next_to(target)
    except OSError as err:
        raise OutputError(path, err) from err
    try:
        yield temporary
        if sync:
            with temporary.open("rb+") as written:
                os.fsync(written.fileno())
        with contextlib.suppress(FileNotFoundError):
            temporary.chmod(stat.S_IMODE(target.stat().st_mode))
        temporary.replace(target)
    except BaseException as err:
        temporary.unlink(missing_ok=True)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputError(path, err) from err
        raise


def _special(target: Path) -> bool:
    """Whether ``target`` exists and is neither a regular file nor a folder."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _new_file_next_to(target: Path) -> Path:
    """An empty file of a name no other process uses, in ``target``'s folder (created as
    ``open`` creates files: the umask applies, unlike ``tempfile.mkstemp``'s 0600)."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return temporary


def write_atomically(path: str | Path, data: str | bytes, *, sync: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through :func:`replacing`; returns the
    path."""
    target = Path(path)
    with replacing(target, sync=sync) as temporary:
        if isinstance(data, str):
            temporary.write_text(data, encoding="utf-8")
        else:
            temporary.write_bytes(data)
    return target
