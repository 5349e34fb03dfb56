"""RTT profile plots: hop against least RTT per trace, reserved runs shaded, the bound drawn.

People read a plot faster than a column of numbers. One figure per region pair: a line per
trace (TTL → least RTT at that TTL), the reserved runs shaded, and for each interconnect
segment the propagation bound drawn as the least RTT possible after it (RTT before the
segment + the bound for its region pair). Rendered with matplotlib's object API (no pyplot,
no display needed) to SVG whose text stays ``<text>`` (editable; the viewer's fonts draw it,
:mod:`topo.render.fonts`).

>>> from topo.topology.compare import PairMetrics
>>> svg = rtt_profile_svg([[(1, 0.5, "provider"), (2, 2.0, "reserved"), (3, 7.0, "provider")]],
...                       bound_ms=4.0, title="Osaka -> Tokyo")
>>> svg.startswith("<?xml") and "<svg" in svg
True
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from topo.render.fonts import font_family, missing_glyphs, quiet_glyphs, text_settings, warn_missing

Profile = Sequence[tuple[int, float | None, str]]
RESERVED_COLOUR = "#f4b942"
BOUND_COLOUR = "#c0392b"


def _reserved_runs(profile: Profile) -> list[tuple[int, int, float | None]]:
    """``(first TTL, last TTL, RTT before)`` of each reserved run bracketed on its left."""
    runs = []
    index = 0
    while index < len(profile):
        if profile[index][2] not in ("reserved", "unknown"):
            index += 1
            continue
        end = index
        while end + 1 < len(profile) and profile[end + 1][2] in ("reserved", "unknown"):
            end += 1
        if any(kind == "reserved" for _, _, kind in profile[index : end + 1]):
            before = profile[index - 1][1] if index > 0 else 0.0
            runs.append((profile[index][0], profile[end][0], before))
        index = end + 1
    return runs


def rtt_profile_svg(
    profiles: Sequence[Profile],
    *,
    bound_ms: float | None = None,
    title: str = "",
    labels: dict[str, str] | None = None,
    width_in: float = 7.0,
    height_in: float = 3.2,
) -> str:
    """The RTT profile of one pair's traces as SVG text."""
    from matplotlib import rc_context

    with rc_context(text_settings()), quiet_glyphs():
        svg, texts = _draw(profiles, bound_ms, title, labels, width_in, height_in)
    warn_missing("RTT profile", missing_glyphs(texts, font_family()))
    return svg


def _draw(
    profiles: Sequence[Profile],
    bound_ms: float | None,
    title: str,
    labels: dict[str, str] | None,
    width_in: float,
    height_in: float,
) -> tuple[str, list[str]]:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    text = {"x": "TTL (hop)", "y": "least RTT (ms)", "reserved": "reserved run",
            "bound": "propagation bound", **(labels or {})}  # fmt: skip
    figure = Figure(figsize=(width_in, height_in))
    axes = figure.add_subplot()
    shaded = bound_drawn = False
    for number, profile in enumerate(profiles, start=1):
        points = [(ttl, rtt) for ttl, rtt, _ in profile if rtt is not None]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", markersize=3, linewidth=1.2,
                      label=f"trace {number}" if len(profiles) > 1 else None)  # fmt: skip
        for first, last, before in _reserved_runs(profile):
            axes.axvspan(first - 0.5, last + 0.5, color=RESERVED_COLOUR, alpha=0.15,
                         label=None if shaded else text["reserved"])  # fmt: skip
            shaded = True
            if bound_ms is not None and before is not None:
                label = "_nolegend_" if bound_drawn else text["bound"]
                axes.hlines(before + bound_ms, first - 0.5, last + 1.5, colors=BOUND_COLOUR,
                            linestyles="dashed", label=label)  # fmt: skip
                bound_drawn = True
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(text["x"])
    axes.set_ylabel(text["y"])
    if title:
        axes.set_title(title)
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue(), [*text.values(), title]
