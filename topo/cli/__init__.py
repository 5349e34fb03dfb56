"""The ``topo`` command line: thin wiring of options onto library calls.

Every command maps library errors to one line on stderr (``path:line: what is wrong``) and
an exit code: 0 success; 1 some inputs failed (the rest was processed and printed); 2 bad
usage; 3 a ``--fail-on`` condition held; 77 missing privilege; 70 an internal error (a bug:
``--debug`` shows its traceback); 130 interrupted (Ctrl-C: no output is left half-written).
"""

from __future__ import annotations

from collections.abc import Sequence

from topo.cli.analysis import compare, report
from topo.cli.app import cli
from topo.cli.owners import data, whois
from topo.cli.topology import build, infer
from topo.cli.trace import trace as trace_command  # keeps topo.cli.trace the module
from topo.cli.traces import classify, formats, parse

COMMANDS = (parse, classify, formats, whois, infer, build, compare, report, trace_command, data)
for command in COMMANDS:
    cli.add_command(command)

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="topo")
