"""The ``topo`` command group and what every command shares (errors, exit codes, options).

Every command maps library errors to one line on stderr (``path:line: what is wrong``) and
an exit code: 0 success; 1 some inputs failed (the rest was processed and printed); 2 bad
usage; 3 a ``--fail-on`` condition held; 77 missing privilege; 70 an internal error (a bug:
``--debug`` shows its traceback); 130 interrupted (Ctrl-C: no output is left half-written).
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import click

from topo import __version__
from topo.classify.addresses import is_address, sort_key
from topo.errors import EXIT_INPUT_FAILED, EXIT_INTERRUPTED, EXIT_OK, ParseError, TopoError
from topo.inputs import read_traces
from topo.inputs.compressed import LIMIT_VARIABLE, MAX_DECOMPRESSED_BYTES, MAX_RATIO, size_words
from topo.inputs.reading import parse_size
from topo.model import Trace
from topo.owners.model import AddressHints
from topo.parsers import PARSERS
from topo.render.text import terminal_safe
from topo.topology.digest import digest_trace, merged_hints

EXIT_INTERNAL = 70


class CliState:
    def __init__(self, debug: bool):
        self.debug = debug
        self.failed = False
        #: ``--quiet``: no warning about the data's age.
        self.quiet = False
        #: Whether this run shows the data-age warnings (decided at the first one).
        self.show_data_age: bool | None = None

    def report(self, error: ParseError | TopoError | str) -> None:
        """One line on stderr for a failed input; the run goes on."""
        self.failed = True
        click.echo(terminal_safe(str(error)), err=True)


class TopoGroup(click.Group):
    """Turns TopoError into a one-line message and its exit code, and Ctrl-C into
    ``topo: interrupted`` and 130 (``--debug``: the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TopoError as err:
            if _debug(ctx):
                raise
            click.echo(f"topo: {terminal_safe(str(err))}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            # on a new line: a progress line may be open
            newline = "\n" if sys.stderr.isatty() else ""
            click.echo(f"{newline}topo: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
            ctx.exit(EXIT_OK)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as err:
            if _debug(ctx):
                raise
            click.echo(
                f"topo: internal error: {type(err).__name__}: {terminal_safe(str(err))}"
                " (run with --debug for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(CliState)
    return bool(obj and obj.debug)


@click.group(cls=TopoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="topo")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """topo: turn traceroutes into an inferred network topology."""
    ctx.obj = CliState(debug)


def finish(ctx: click.Context) -> NoReturn:
    state: CliState = ctx.obj
    ctx.exit(EXIT_INPUT_FAILED if state.failed else EXIT_OK)


def collect_traces(ctx: click.Context, items: Iterable[Trace | ParseError]) -> Iterable[Trace]:
    """Pass traces through, reporting each error on stderr as it comes."""
    for item in items:
        if isinstance(item, ParseError):
            ctx.obj.report(item)
        else:
            yield item


format_option = click.option(
    "--format",
    "format_name",
    type=click.Choice([p.NAME for p in PARSERS]),
    help="Read inputs as this format instead of detecting it.",
)


def _known_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A text encoding Python knows (not a bytes-to-bytes or text-to-text codec such as
    ``rot13`` or ``base64``), else a usage error (exit 2)."""
    if value is not None:
        try:
            info = codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"unknown encoding {value!r}") from None
        if not getattr(info, "_is_text_encoding", True):
            raise click.BadParameter(f"{value!r} is not a text encoding (e.g. utf-8, cp932)")
    return value


_encoding = click.option(
    "--encoding",
    callback=_known_encoding,
    help="Decode text inputs with this encoding (default: detect UTF-8/16, CP932).",
)


def _max_bytes(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Set the limit for this run and its workers (they read the environment)."""
    if value is not None:
        try:
            parse_size(value)
        except ValueError:
            raise click.BadParameter(f"not a size: {value!r} (e.g. 16G, 500M)") from None
        os.environ[LIMIT_VARIABLE] = value


_max_bytes_option = click.option(
    "--max-bytes",
    metavar="SIZE",
    callback=_max_bytes,
    expose_value=False,
    help=f"What one compressed input may decompress to (default "
    f"{size_words(MAX_DECOMPRESSED_BYTES)}, and at most {MAX_RATIO} times its size); set, "
    f"it is the only limit. Also {LIMIT_VARIABLE}.",
)


def encoding_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--encoding`` and ``--max-bytes``: how the inputs' bytes are read."""
    return _encoding(_max_bytes_option(command))


_ADDRESS_LIKE = re.compile(
    r"[0-9a-fA-FxX.:/%-]*[.:][0-9a-fA-FxX.:/%-]*"  # 999.1.1.1, 0x7f.0.0.1, 10.0.0.0/8
    r"|[\d.:/]*\d[\d.:/]*"  # digits of any script: ١.1.1.1
    r"|[\w.%]*:[\w.%]*:[\w.:%/]*"  # IPv6-like, with a wrong letter: 2001:db8::g
)


def looks_like_address(target: str) -> bool:
    """Whether a target that is not a valid address was meant as one: digits (of any
    script), hex digits, dots and colons, as ``999.1.1.1``, ``1.2.3``, ``2001:db8::g``
    would be without their mistake, or a network (``10.0.0.0/8``).

    >>> [looks_like_address(t) for t in ("999.1.1.1", "١.1.1.1", "2001:db8::g", "trace.txt")]
    [True, True, True, False]
    """
    return any(c.isdigit() for c in target) and _ADDRESS_LIKE.fullmatch(target) is not None


def target_addresses(
    ctx: click.Context,
    targets: Sequence[str],
    *,
    format: str | None = None,
    encoding: str | None = None,
    hints: dict[str, AddressHints] | None = None,
) -> list[str]:
    """Addresses named directly, plus every hop address of the traces in the named paths,
    distinct and in numeric order (what ``classify`` and ``whois`` list). ``hints``, when
    given, receives what those traces printed about their addresses (names, AS numbers)."""
    addresses: dict[str, None] = {}
    paths = []
    for target in targets:
        if is_address(target):
            addresses[target] = None
        elif looks_like_address(target) and not os.path.lexists(target):
            ctx.obj.report(f"{target}: not an IP address (and no such file)")
        else:
            paths.append(target)
    if paths:
        traces = list(collect_traces(ctx, read_traces(paths, format=format, encoding=encoding)))
        for trace in traces:
            addresses.update(dict.fromkeys(trace.addresses))
        if hints is not None:
            hints.update(merged_hints(digest_trace(t) for t in traces))
    return sorted(addresses, key=sort_key)


def warn(message: str) -> None:
    """``topo: warning: ...`` on stderr; a :class:`~topo.owners.resolver.DataAgeWarning`
    only when due (once a day per user, never with ``--quiet``)."""
    from topo.owners.resolver import DataAgeWarning

    if isinstance(message, DataAgeWarning) and not _data_age_due():
        return
    click.echo(f"topo: warning: {terminal_safe(str(message))}", err=True)


def _data_age_due() -> bool:
    from topo.cli.notices import due_today

    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(CliState) if ctx is not None else None
    if state is None:
        return True
    if state.quiet:
        return False
    if state.show_data_age is None:  # every such warning of one run, or none
        state.show_data_age = due_today()
    return state.show_data_age


def set_quiet(ctx: click.Context, quiet: bool) -> None:
    """Record ``--quiet`` for :func:`warn`."""
    state = ctx.find_object(CliState)
    if state is not None:
        state.quiet = state.quiet or quiet


quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No warning about the age of the shipped data (shown at most once a day anyway).",
)
