"""Commands over traces: ``topo parse``, ``topo classify``, ``topo formats``."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from topo.classify import classify_address
from topo.cli.app import (
    collect_traces,
    encoding_option,
    finish,
    format_option,
    target_addresses,
)
from topo.inputs import read_traces
from topo.inputs.schema import dumps_trace
from topo.model import Trace
from topo.parsers import PARSERS
from topo.render.text import format_table, terminal_safe


def _ms(value: float) -> str:
    if value < 1:
        return f"{value:.3f}"
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


@click.command()
@click.argument("paths", nargs=-1, required=True)
@format_option
@encoding_option
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
    for trace in collect_traces(ctx, read_traces(paths, format=format_name, encoding=encoding)):
        if as_json:
            click.echo(dumps_trace(trace))
        else:
            click.echo(("" if first else "\n") + summarize_trace(trace))
        first = False
    finish(ctx)


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="ADDR|PATH...")
@format_option
@encoding_option
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
    addresses = target_addresses(ctx, targets, format=format_name, encoding=encoding)
    rows = []
    for addr in addresses:
        found = classify_address(addr)
        if as_json:
            click.echo(json.dumps({"addr": addr, **found.to_dict()}, ensure_ascii=False))
        else:
            rows.append([addr, found.name or "-", found.rfc or "-", found.category])
    if rows:
        click.echo(format_table(rows, headers=["ADDRESS", "NAME", "RFC", "CATEGORY"]))
    finish(ctx)


@click.command()
def formats() -> None:
    """List the input formats topo reads and how each is detected."""
    for parser in PARSERS:
        click.echo(
            f"{parser.NAME}\n  reads:    {parser.DESCRIPTION}\n  detected: {parser.DETECTION}"
        )
    click.echo(
        "compressed inputs (any of the above)\n  reads:    gzip, bzip2, xz; zstd with "
        "topo[zstd]\n  detected: the first bytes (any file name), then the content as above"
    )
