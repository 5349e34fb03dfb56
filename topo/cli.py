"""The ``topo`` command line: thin wiring of options onto library calls.

Every command maps library errors to one line on stderr (``path:line: what is wrong``) and
an exit code: 0 success; 1 some inputs failed (the rest was processed and printed); 2 bad
usage; 3 a ``--fail-on`` condition held; 77 missing privilege; 70 an internal error (a bug:
``--debug`` shows its traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

import click

from topo import __version__
from topo.classify import classify_address, is_address, sort_key
from topo.display import format_table, terminal_safe
from topo.errors import EXIT_INPUT_FAILED, EXIT_OK, ParseError, TopoError
from topo.inputs import read_traces
from topo.model import Trace
from topo.parsers import PARSERS, ParseResult
from topo.schema import dumps_trace

EXIT_INTERNAL = 70


class _Context:
    def __init__(self, debug: bool):
        self.debug = debug
        self.failed = False

    def report(self, error: ParseError | TopoError | str) -> None:
        """One line on stderr for a failed input; the run goes on."""
        self.failed = True
        click.echo(terminal_safe(str(error)), err=True)


class TopoGroup(click.Group):
    """Turns TopoError into a one-line message and its exit code (``--debug``: traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TopoError as err:
            if _debug(ctx):
                raise
            click.echo(f"topo: {terminal_safe(str(err))}", err=True)
            ctx.exit(err.exit_code)
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
    obj = ctx.find_object(_Context)
    return bool(obj and obj.debug)


@click.group(cls=TopoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="topo")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """topo: turn traceroutes into an inferred network topology."""
    ctx.obj = _Context(debug)


def _finish(ctx: click.Context) -> NoReturn:
    state: _Context = ctx.obj
    ctx.exit(EXIT_INPUT_FAILED if state.failed else EXIT_OK)


def _collect(ctx: click.Context, items: Iterable[Trace | ParseError]) -> Iterable[Trace]:
    """Pass traces through, reporting each error on stderr as it comes."""
    for item in items:
        if isinstance(item, ParseError):
            ctx.obj.report(item)
        else:
            yield item


_format_option = click.option(
    "--format",
    "format_name",
    type=click.Choice([p.NAME for p in PARSERS]),
    help="Read inputs as this format instead of detecting it.",
)
_encoding_option = click.option(
    "--encoding", help="Decode text inputs with this encoding (default: detect UTF-8/16, CP932)."
)


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _fmt_ms(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    return f"{_ms(low)} ms" if low == high else f"{_ms(low)}–{_ms(high)} ms"


def summarize_trace(trace: Trace) -> str:
    """The human summary ``topo parse`` prints for one trace."""
    reached = {True: "reached", False: "not reached", None: "reached: unknown"}[trace.reached]
    target = trace.dst or "?"
    if trace.dst_name:
        target = f"{trace.dst_name} ({target})"
    head = (
        f"{trace.origin or '<trace>'}  {trace.format or '?'}  "
        f"{trace.src or '?'} -> {target}  {len(trace.hops)} hops, {reached}"
    )
    rows = []
    for hop in trace.hops:
        if hop.is_silent:
            rows.append([f"{hop.ttl:>3}", "*", ""])
            continue
        addresses = []
        for addr in hop.addresses:
            names = {r.name for r in hop.replies if r.addr == addr and r.name}
            addresses.append(f"{addr} ({', '.join(sorted(names))})" if names else addr)
        flags = sorted({f for r in hop.replies for f in r.flags})
        rtt = _fmt_ms(hop.rtts) + (f" {' '.join(flags)}" if flags else "")
        if any(r.mpls for r in hop.replies):
            labels = next(r.mpls for r in hop.replies if r.mpls)
            rtt += " MPLS " + "/".join(str(m.label) for m in labels)
        rows.append([f"{hop.ttl:>3}", ", ".join(addresses), rtt])
    body = format_table(rows)
    return terminal_safe(head) + ("\n" + body if body else "")


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@_format_option
@_encoding_option
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines (schema topo.trace/1).")
@click.pass_context
def parse(
    ctx: click.Context,
    paths: tuple[str, ...],
    format_name: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Read traceroute files, folders (recursive) or - (stdin) and print the traces."""
    first = True
    for trace in _collect(ctx, read_traces(paths, format=format_name, encoding=encoding)):
        if as_json:
            click.echo(dumps_trace(trace))
        else:
            click.echo(("" if first else "\n") + summarize_trace(trace))
        first = False
    _finish(ctx)


def _classify_targets(ctx: click.Context, targets: Sequence[str], **read: Any) -> list[str]:
    """Addresses named directly, plus every hop address of the traces in named paths."""
    addresses: dict[str, None] = {}
    paths = []
    for target in targets:
        if is_address(target):
            addresses[target] = None
        else:
            paths.append(target)
    if paths:
        result = ParseResult(traces=list(_collect(ctx, read_traces(paths, **read))))
        for trace in result.traces:
            addresses.update(dict.fromkeys(trace.addresses))
    return sorted(addresses, key=sort_key)


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="ADDR|PATH...")
@_format_option
@_encoding_option
@click.option(
    "--json", "as_json", is_flag=True, help="Write JSON Lines: addr, category, name, rfc."
)
@click.pass_context
def classify(
    ctx: click.Context,
    targets: tuple[str, ...],
    format_name: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Classify addresses against the IANA special-purpose registries.

    Each TARGET is an address, or a trace file/folder whose hop addresses are classified.
    The table is in numeric address order, like the article's.
    """
    import json

    addresses = _classify_targets(ctx, targets, format=format_name, encoding=encoding)
    rows = []
    for addr in addresses:
        found = classify_address(addr)
        if as_json:
            click.echo(json.dumps({"addr": addr, **found.to_dict()}, ensure_ascii=False))
        else:
            rows.append([addr, found.name or "-", found.rfc or "-", found.category])
    if rows:
        click.echo(format_table(rows, headers=["ADDRESS", "NAME", "RFC", "CATEGORY"]))
    _finish(ctx)


@cli.command()
def formats() -> None:
    """List the input formats topo reads and how each is detected."""
    for parser in PARSERS:
        click.echo(
            f"{parser.NAME}\n  reads:    {parser.DESCRIPTION}\n  detected: {parser.DETECTION}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="topo")
