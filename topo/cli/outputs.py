"""What every command that writes files shares: ``--force`` and ``--title``, the check that
no file existing before the run is overwritten, and no output for an input without traces.

Every output a command will write is checked before it reads anything: one that exists
(a file, a link, anything by that name) stops the run with ``PATH exists; --force
overwrites it`` and exit code 2, and nothing is written. The files a run creates are not
checked again, so ``--figure`` next to the page, or the traces ``topo trace --build``
records next to its page, are written as usual. An output that is one of the run's
input files is refused even with ``--force`` (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from topo.errors import NoTracesError, OutputExistsError, ParseError, UsageError
from topo.inputs import STDIN, covering_manifest, iter_input_paths, manifests_for

force_option = click.option(
    "--force",
    is_flag=True,
    help="Overwrite output files that exist before the run (without it: exit 2, nothing written).",
)


def title_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--title``: the title of the page, figure or report ``what`` names."""
    return click.option(
        "--title",
        help=f"The {what}'s title (default: the manifest's name when one manifest covers "
        "every input, else from the contents: '5 region pairs, 16 traces').",
    )


def refuse_existing(
    paths: Iterable[Path | None], *, force: bool, inputs: Sequence[str | Path] = ()
) -> None:
    """:class:`~topo.errors.OutputExistsError` for the first of ``paths`` that exists,
    unless ``force``; a :class:`~topo.errors.UsageError` for one that is one of the files
    ``inputs`` names (directly or in a folder), even with ``force``: topo never writes
    over what it reads."""
    existing = [p for p in paths if p is not None and os.path.lexists(p)]
    if existing and inputs:
        read = _file_ids(inputs)
        for path in existing:
            if _file_id(path) in read:
                raise UsageError(f"{path} is one of the inputs; write the output elsewhere")
    if force:
        return
    for path in existing:
        raise OutputExistsError(path)


def _file_id(path: str | Path) -> tuple[int, int] | None:
    try:
        status = Path(path).stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _file_ids(inputs: Sequence[str | Path]) -> set[tuple[int, int] | None]:
    """Device and inode of every file the inputs name (folders walked as reading walks
    them)."""
    named = [p for p in inputs if str(p) != STDIN]
    return {_file_id(p) for p in iter_input_paths(named) if isinstance(p, str)} - {None}


def covering_name(inputs: Sequence[str]) -> str | None:
    """The ``name`` of the one manifest that covers every input (what the set is named,
    :func:`~topo.inputs.manifest.covering_manifest`), read before the run; a broken
    manifest is reported when the inputs are read."""
    try:
        manifest = covering_manifest(inputs, manifests_for(p for p in inputs if p != STDIN))
    except ParseError:
        return None
    return manifest.name if manifest is not None else None


def require_traces(count: int, inputs: Sequence[str]) -> None:
    """:class:`~topo.errors.NoTracesError` (exit 1, nothing written) when no trace was read."""
    if count == 0:
        raise NoTracesError(tuple(inputs))
