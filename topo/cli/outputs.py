"""What every command that writes files shares: ``--force`` and ``--title``, the check that
no file existing before the run is overwritten, and no output for an input without traces.

Every output a command will write is checked before it reads anything: one that exists
(a file, a link, anything by that name) stops the run with ``PATH exists; --force
overwrites it`` and exit code 2, and nothing is written. The files a run creates are not
checked again, so ``--figure`` next to the page, or the traces ``topo trace --build``
records next to its page, are written as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from topo.errors import NoTracesError, OutputExistsError, ParseError
from topo.inputs import STDIN, covering_manifest, manifests_for

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


def refuse_existing(paths: Iterable[Path | None], *, force: bool) -> None:
    """:class:`~topo.errors.OutputExistsError` for the first of ``paths`` that exists,
    unless ``force``."""
    if force:
        return
    for path in paths:
        if path is not None and os.path.lexists(path):
            raise OutputExistsError(path)


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
