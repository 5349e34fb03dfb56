"""``topo trace``: probe, record topo's JSON Lines, and optionally build the page at once.

Raw sockets are needed (root or ``CAP_NET_RAW``); without them the command says so in one
line and exits 77 before anything is sent. Probes go out of the network namespace the
process runs in (``ip netns exec NS topo trace ...`` for another one).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import click

from topo.cli.app import finish, set_quiet
from topo.cli.outputs import force_option, refuse_existing, title_option
from topo.errors import TopoError
from topo.inputs.schema import dumps_trace
from topo.model import Origin, Trace
from topo.owners import ResolverConfig
from topo.probe import Progress, TraceOptions, check_privilege
from topo.probe import trace as run_trace
from topo.probe.packets import PROTOCOLS
from topo.render.text import region_span, terminal_safe


class FlowsType(click.ParamType):  # type: ignore[type-arg]
    """A number of flows, or ``auto`` (the Multipath Detection Algorithm)."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        if str(value).lower() == "auto":
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'auto'", param, ctx)
        if number < 1:
            self.fail("needs at least 1 flow", param, ctx)
        return number


class _ProgressLine:
    """One status line per target on stderr: redrawn on a terminal, the final state only
    when stderr is a file or a pipe. ``quiet`` keeps only the final line of a target whose
    destination did not answer (it never answered, or a router said it is unreachable)."""

    def __init__(self, stream: IO[str], quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = stream.isatty() and not quiet

    def __call__(self, p: Progress) -> None:
        if not (self.live or p.done) or (self.quiet and p.reached):
            return
        if p.done:
            text = f"{p.target}: {p.outcome}; {p.probes} probes, {p.seconds:.1f} s"
        else:
            text = f"{p.target}: TTL {p.ttl}/{p.max_ttl}, {p.probes} probes, {p.answered} answers"
        prefix = "\r\x1b[K" if self.live else ""
        self.stream.write(prefix + terminal_safe(text) + ("\n" if p.done else ""))
        self.stream.flush()


def build_page(
    traces: list[Trace], page: Path, owner_tables: tuple[Path, ...], title: str | None = None
) -> list[str]:
    """Analyse ``traces`` (:func:`topo.analyze`) and write their page (titled ``title``, else
    from its contents); returns the lines to report."""
    from topo.render import write_html
    from topo.topology import analyze

    topology = analyze(traces, owners=ResolverConfig(owner_tables=owner_tables))
    G = topology.graph
    page.parent.mkdir(parents=True, exist_ok=True)
    write_html(topology, page, title=title)
    lines = [f"{page}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges"]
    for s in topology.inference.segments:
        ttls = f"TTL {s.ttls[0]}-{s.ttls[-1]}" if s.ttls else "no TTLs"
        regions = region_span(s)
        lines.append(f"segment {s.segment_id}: {s.kind} {regions}, {ttls}, {len(s.addrs)} hops")
    lines.append(f"verdict: {topology.verdict}")
    return lines


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the traces (JSON Lines, topo.trace/1) here instead of standard output.",
)
@click.option("--proto", type=click.Choice(PROTOCOLS), default="udp", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), help="Destination port (UDP 33434, TCP 80).")
@click.option(
    "--flows",
    type=FlowsType(),
    default="1",
    show_default=True,
    help="Flows per target (load-balanced branches); 'auto': MDA, until every branch is "
    "found with 95% confidence.",
)
@click.option(
    "--sport",
    type=click.IntRange(1, 65535),
    help="Source port (ICMP: echo identifier) of flow 0; flow i uses N+i (default: random).",
)
@click.option("--rounds", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Probe every (TTL, flow) this many times (RTT statistics).")  # fmt: skip
@click.option("--first-ttl", type=click.IntRange(1, 255), default=1, show_default=True)
@click.option("--max-ttl", type=click.IntRange(1, 255), default=30, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0.01), default=2.0, show_default=True,
              help="Seconds to wait for each probe's answer.")  # fmt: skip
@click.option("--rate", type=click.FloatRange(min=0.1), default=50.0, show_default=True,
              help="Probes per second at most.")  # fmt: skip
@click.option("--gap-limit", type=click.IntRange(1, 255), default=5, show_default=True,
              help="Stop after this many silent TTLs in a row.")  # fmt: skip
@click.option("-6", "ipv6", is_flag=True, help="Resolve names to IPv6 addresses.")
@click.option(
    "--build",
    "page",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also build the page (e.g. output/NAME.html); without -o the traces go to NAME.jsonl.",
)
@click.option(
    "--owner-table",
    "owner_tables",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --build: a CSV prefix,org[,asn][,region] table that wins (repeatable).",
)
@title_option("page")
@force_option
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress lines on stderr, no warning about the age of the shipped data.",
)
@click.pass_context
def trace(
    ctx: click.Context,
    /,
    targets: tuple[str, ...],
    output: Path | None,
    proto: str,
    port: int | None,
    flows: int | None,
    sport: int | None,
    rounds: int,
    first_ttl: int,
    max_ttl: int,
    timeout: float,
    rate: float,
    gap_limit: int,
    ipv6: bool,
    page: Path | None,
    owner_tables: tuple[Path, ...],
    title: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Trace TARGETS (addresses or names) and write topo's JSON Lines.

    Paris-style probes (constant headers within a flow), UDP by default, up to 30 hops,
    stopping once the destination answers. Needs root or CAP_NET_RAW.

    A destination that never answers, or that a router reports unreachable, gets one line
    on stderr (even with -q) and its trace is written all the same (exit 0). A target
    without a route from this host, or whose name does not resolve, gets one line and no
    trace (exit 1); the other targets are traced.

    A file that exists before the run (the traces' file, the page) is not overwritten
    without ``--force``.
    """
    set_quiet(ctx, quiet)
    if output is None and page is not None:
        output = page.with_suffix(".jsonl")
    refuse_existing([output, page], force=force)
    check_privilege()
    options = TraceOptions(proto=proto, port=port, flows=flows, rounds=rounds,
                           first_ttl=first_ttl, max_ttl=max_ttl, timeout=timeout, rate=rate,
                           ipv6=ipv6, gap_limit=gap_limit, base=sport)  # fmt: skip
    progress = _ProgressLine(sys.stderr, quiet)
    traces: list[Trace] = []
    with contextlib.ExitStack() as stack:
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            out: IO[str] = stack.enter_context(output.open("w", encoding="utf-8"))
        else:
            out = sys.stdout
        for target in targets:
            try:
                result = run_trace(target, options, progress=progress)
            except TopoError as err:
                if err.exit_code != 1:
                    raise
                ctx.obj.report(f"{target}: {err}")
                continue
            if output is not None:
                result = replace(result, origin=Origin(str(output), len(traces) + 1))
            traces.append(result)
            out.write(dumps_trace(result) + "\n")
            out.flush()
    if page is not None and traces:
        for line in build_page(traces, page, owner_tables, title):
            click.echo(terminal_safe(line), err=True)
    finish(ctx)
