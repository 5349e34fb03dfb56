"""The static figure for slides and reports (SVG, PNG, PDF): the page's region map, by matplotlib.

The figure draws the overview level of the page's layout (:mod:`topo.render.regionmap`):
region boxes, interconnect bands, foreign networks and the exits, with each router only when
the graph is small. It is 16:9 by default (13.33 x 7.5 in, a full-width slide) and keeps its
labels at :data:`LABEL_PT` or more *when placed full-width on a 16:9 slide*: a figure of
another width scales its fonts with it, so a 6.67 in wide figure has 4.5 pt labels that are
9 pt again when it is stretched over the slide. The legend and a note sit at the foot, laid
out first, and the map is drawn above them; a label is tried at a few spots and kept at the
first where it overlaps no other label, the headline, the legend or (outside its own) another
area, within the figure; else it is left out (the figure says how many). The page
(``topo build``) has every router.

SVG text stays text (``<text>`` elements, editable in slide tools; the viewer's fonts draw
it), PDF text is embedded TrueType; the fonts are those installed that matplotlib finds
(:mod:`topo.render.fonts`), and when none of them has a label's characters (CJK without
Debian's ``fonts-noto-cjk``) one :class:`~topo.render.fonts.MissingGlyphWarning` says so
instead of a warning per glyph.

Large graphs are reduced to :data:`FIGURE_MAX_NODES` first
(:func:`topo.render.regionmap.overview_graph`): a 3,000-result RIPE Atlas set draws in about
2 s (``bench/figure.py``).

>>> import tempfile, pathlib
>>> from topo.topology.analyze import analyze
>>> G = analyze(["samples/aws-osaka-tokyo"]).graph
>>> svg = figure(G, pathlib.Path(tempfile.mkdtemp()) / "t.svg").read_text()
>>> 'viewBox="0 0 960 540"' in svg, "<text" in svg
(True, True)
>>> parse_figure_size("10x5.625"), [round(inches, 2) for inches in parse_figure_size("4:3")]
((10.0, 5.625), [13.33, 10.0])
"""

from __future__ import annotations

import itertools
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from topo.atomic import replacing
from topo.errors import UsageError
from topo.render.fonts import font_family, missing_glyphs, quiet_glyphs, text_settings, warn_missing
from topo.render.layout import compute_layout
from topo.render.regionmap import Area, RegionMap, overview_graph, region_map
from topo.render.style import MARKERS, legend, style_key
from topo.render.text import terminal_safe
from topo.render.titles import set_title

#: Width of a 16:9 slide (PowerPoint, Keynote, Google Slides) in inches: 13.33 (960 pt).
SLIDE_WIDTH_IN = 40 / 3
#: The default figure: a full 16:9 slide.
FIGURE_SIZE = (SLIDE_WIDTH_IN, 7.5)
#: The smallest text, in points, when the figure is placed full-width on a slide.
LABEL_PT = 9.0
#: The node budget the figure reduces a graph to before it is laid out.
FIGURE_MAX_NODES = 400
#: The legend names this many owner families (the rest in one line).
LEGEND_FAMILIES = 6
#: At most this many links between areas are drawn (the most travelled first).
MAX_LINKS = 300

#: Per area kind: edge colour, fill, line style, text colour.
COLOURS: dict[str, tuple[str, str, Any, str]] = {
    "region": ("#2e86c1", "#d6eaf8", "-", "#1a5276"),
    "network": ("#e67e22", "#fbe4d1", "-.", "#7e3f0b"),  # the page's .area-foreign
    "segment": ("#8e44ad", "#e8daef", "--", "#4a235a"),
    "gap": ("#95a5a6", "#f4f6f6", ":", "#515a5a"),
}
EXIT_COLOUR = "#c0392b"
LINK_COLOUR = "#7f8c8d"
VERDICT_COLOURS = {
    "on-provider": "#1e7b34",
    "left-provider": "#b03030",
}
WORDS = {
    "region": "region",
    "network": "network",
    "segment": "interconnect band",
    "gap": "box between two others",
}


def parse_figure_size(text: str) -> tuple[float, float]:
    """``WxH`` in inches (``13.33x7.5``) or a ratio ``W:H`` at a slide's width (``4:3``).

    >>> [round(inches, 2) for inches in parse_figure_size("16:9")]
    [13.33, 7.5]
    >>> parse_figure_size("0x3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    topo.errors.UsageError: figure size '0x3': WxH in inches (13.33x7.5) or a ratio W:H ...
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([x:×])\s*(\d+(?:\.\d+)?)\s*", text.lower())
    width = height = 0.0
    if match:
        width, height = float(match[1]), float(match[3])
        if match[2] == ":" and width > 0:
            width, height = SLIDE_WIDTH_IN, SLIDE_WIDTH_IN * height / width
    if not (1 <= width <= 60 and 1 <= height <= 60 and 0.25 <= width / height <= 4):
        raise UsageError(
            f"figure size {text!r}: WxH in inches (13.33x7.5) or a ratio W:H (16:9), each "
            "between 1 and 60, at most 4 times wider than tall or taller than wide"
        )
    return width, height


class _Canvas:
    """The figure being drawn: text sizes, the map axes and the labels placed so far."""

    def __init__(self, size: tuple[float, float], scale: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.width, self.height = size
        self.scale = scale
        self.pt = {"title": 16.0 * scale, "subtitle": 10.5 * scale, "label": LABEL_PT * scale}
        self.fig = Figure(figsize=size, dpi=72)  # a display unit is a point
        self.fig.patch.set_facecolor("white")
        self.renderer = FigureCanvasAgg(self.fig).get_renderer()  # type: ignore[no-untyped-call]
        self.placed: list[Any] = []  # boxes of the labels placed so far (points)
        self.blocked: list[Any] = []  # areas, which a label outside its own must avoid
        self.omitted = 0
        margin, top, bottom = 0.3 * scale, 1.0 * scale, 0.75 * scale
        self.ax = self.fig.add_axes(
            (
                margin / self.width,
                bottom / self.height,
                1 - 2 * margin / self.width,
                1 - (top + bottom) / self.height,
            )
        )
        self.ax.axis("off")

    def set_limits(self, x0: float, y0: float, x1: float, y1: float, stretch: float) -> None:
        """Fit the canvas-unit rectangle into the axes, stretched at most ``stretch`` times
        more one way than the other (the map is a diagram: a strip may get taller)."""
        box = self.ax.get_position()
        aw, ah = box.width * self.width, box.height * self.height
        xs, ys = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        sx, sy = aw / xs, ah / ys
        if sy > stretch * sx:
            extra = ah / (stretch * sx) - ys
            y0, y1 = y0 - extra / 2, y1 + extra / 2
        elif sx > stretch * sy:
            extra = aw / (stretch * sy) - xs
            x0, x1 = x0 - extra / 2, x1 + extra / 2
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y1, y0)  # y grows downwards, as on the page

    def to_points(self, x0: float, y0: float, x1: float, y1: float) -> Any:
        """A canvas-unit rectangle in display units (points)."""
        from matplotlib.transforms import Bbox

        return Bbox(self.ax.transData.transform([(x0, y1), (x1, y0)]))

    def _may_fit(
        self,
        anchor: tuple[float, float],
        parts: Sequence[tuple[str, dict[str, Any]]],
        offset: tuple[float, float],
        ha: str,
        va: str,
        inside: Any,
    ) -> bool:
        """A cheap first look (the text's size estimated, a little small): ``False`` when
        the label cannot fit, before any text is laid out."""
        from matplotlib.transforms import Bbox

        lines = [
            (line, part[1].get("fontsize", 10.0)) for part in parts for line in part[0].split("\n")
        ]
        width = 0.8 * max(0.55 * size * len(line) for line, size in lines)
        height = 0.8 * sum(1.2 * size for _, size in lines)
        x, y = self.ax.transData.transform([anchor])[0]
        x, y = x + offset[0], y + offset[1]
        x0 = {"left": x, "center": x - width / 2, "right": x - width}[ha]
        y0 = {"top": y - height, "center": y - height / 2, "bottom": y}[va]
        box = Bbox.from_bounds(x0, y0, width, height)
        if inside is not None and (box.width > inside.width or box.height > inside.height):
            return False
        return not any(box.overlaps(other) for other in self.placed)

    def place(
        self,
        anchor: tuple[float, float],
        parts: Sequence[tuple[str, dict[str, Any]]],
        *,
        offset: tuple[float, float] = (0.0, 0.0),
        ha: str = "left",
        va: str = "top",
        inside: Any = None,
        own: Any = None,
        areas: bool = True,
    ) -> bool:
        """Stack ``parts`` (text, style) at ``anchor`` (canvas units) moved by ``offset``
        points; kept when it collides with no placed label or marker, stays in the figure,
        and lies within ``inside`` (when given), else outside every area but ``own`` (unless
        ``areas`` is false)."""
        from matplotlib.transforms import Bbox, offset_copy

        if not self._may_fit(anchor, parts, offset, ha, va, inside):
            return False
        artists, heights = [], []
        for text, style in parts:
            artist = self.ax.text(
                *anchor, text, ha=ha, va="top", zorder=6, clip_on=False, linespacing=1.2, **style
            )
            artists.append(artist)
            heights.append(artist.get_window_extent(self.renderer).height)
        top = offset[1] + (sum(heights) if va == "bottom" else 0.0)
        for artist, height in zip(artists, heights, strict=True):
            artist.set_transform(
                offset_copy(self.ax.transData, fig=self.fig, x=offset[0], y=top, units="points")
            )
            top -= height
        box = Bbox.union([a.get_window_extent(self.renderer) for a in artists])
        edge = self.fig.bbox
        fits = (
            edge.x0 + 2 <= box.x0
            and box.x1 <= edge.x1 - 2
            and edge.y0 + 2 <= box.y0
            and box.y1 <= edge.y1 - 2
            and not any(box.overlaps(other) for other in self.placed)
        )
        if fits and inside is not None:
            fits = inside.x0 <= box.x0 and box.x1 <= inside.x1 - 2 * self.scale  # off the edge
            fits = fits and inside.y0 <= box.y0 and box.y1 <= inside.y1
        elif fits and areas:
            fits = not any(box.overlaps(area) for area in self.blocked if area is not own)
        if fits:
            self.placed.append(box.padded(1.5))
            return True
        for artist in artists:
            artist.remove()
        return False


def _wrap(line: str, chars: int) -> str:
    return textwrap.fill(line, width=max(chars, 18), break_on_hyphens=False)


def _draw_areas(canvas: _Canvas, found: RegionMap) -> list[Any]:
    from matplotlib.patches import FancyBboxPatch

    boxes = []
    for area in found.areas:
        edge, face, style, _ = COLOURS[area.kind]
        canvas.ax.add_patch(
            FancyBboxPatch(
                (area.x0, area.y0),
                area.x1 - area.x0,
                area.y1 - area.y0,
                boxstyle="round,pad=0,rounding_size=4",
                facecolor=face,
                edgecolor=edge,
                alpha=0.85 if area.kind != "segment" else 0.7,
                lw=1.3 * canvas.scale,
                linestyle=style,
                zorder={"region": 0, "gap": 0, "segment": 1, "network": 1.5}[area.kind],
            )
        )
        box = canvas.to_points(area.x0, area.y0, area.x1, area.y1)
        canvas.blocked.append(box)
        boxes.append(box)
    return boxes


def _label_areas(canvas: _Canvas, found: RegionMap, boxes: Sequence[Any]) -> None:
    """Each area's title and lines inside it, else above or below it, else its title alone."""
    pt = canvas.pt["label"]
    pad = 3.5 * canvas.scale
    order = {"region": 0, "segment": 1, "network": 2, "gap": 3}
    ranked = sorted(
        zip(found.areas, boxes, strict=True),
        key=lambda item: (order[item[0].kind], -len(item[0].members), item[0].x0),
    )
    for area, box in ranked:
        colour = COLOURS[area.kind][3]
        head = {"fontsize": pt, "color": colour, "fontweight": "bold"}
        body = {"fontsize": pt, "color": colour}
        room = int((box.width - 2 * pad) / (0.55 * pt))
        wide = max(room, 40)
        tries: list[tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]] = []
        for chars in dict.fromkeys((min(room, 70), int(0.8 * room), wide)):  # narrower too
            parts = [(_wrap(area.title, chars), head)]
            parts += [(_wrap(line, chars), body) for line in area.lines[:2]]
            tries.append((parts, {"inside": box}))
        full = [(_wrap(area.title, 60), head), *((_wrap(ln, 60), body) for ln in area.lines[:2])]
        tries += [(full, {"va": "bottom"}), (full, {"below": True})]
        title = [(_wrap(area.title, 40), head)]
        tries += [(title, {"inside": box}), (title, {"va": "bottom"}), (title, {"below": True})]
        for parts, where in tries:
            below = where.pop("below", False)
            anchor = (area.x0, area.y1 if below else area.y0)
            offset = (pad, -pad if where.get("va", "top") == "top" else pad)
            if where.get("inside") is None:
                offset = (0.0, -pad if below else pad)
            if canvas.place(anchor, parts, offset=offset, own=box, **where):
                break
        else:
            canvas.omitted += 1


def _area_edge(area: Area, toward: tuple[float, float]) -> tuple[float, float]:
    cx, cy = area.centre
    if toward[0] > area.x1:
        return area.x1, cy
    if toward[0] < area.x0:
        return area.x0, cy
    return (cx, area.y1) if toward[1] > cy else (cx, area.y0)


def _draw_links(canvas: _Canvas, found: RegionMap) -> None:
    from matplotlib.collections import LineCollection

    areas = {a.key: a for a in found.areas}
    links = sorted(found.links.items(), key=lambda item: (-item[1], item[0]))[:MAX_LINKS]
    if not links:
        return
    most = max(count for _, count in links)
    segments, widths = [], []
    for (a, b), count in links:
        first, second = areas[a], areas[b]
        segments.append([_area_edge(first, second.centre), _area_edge(second, first.centre)])
        widths.append((0.8 + 2.4 * math.log1p(count) / math.log1p(most)) * canvas.scale)
    canvas.ax.add_collection(
        LineCollection(
            segments, linewidths=widths, colors=LINK_COLOUR, alpha=0.55, zorder=2, capstyle="round"
        )
    )


def _draw_routers(canvas: _Canvas, G: nx.DiGraph, pos: dict[str, tuple[float, float]]) -> None:
    """Every node and edge (the detail level); the legend's lines are :func:`_router_handles`."""
    from matplotlib.collections import LineCollection
    from matplotlib.transforms import Bbox

    scale = canvas.scale
    plain = [(pos[u], pos[v]) for u, v, a in G.edges(data=True) if not a.get("segment")]
    inside = [(pos[u], pos[v]) for u, v, a in G.edges(data=True) if a.get("segment")]
    canvas.ax.add_collection(
        LineCollection(plain, colors="#9aa5b1", linewidths=1.0 * scale, zorder=3)
    )
    canvas.ax.add_collection(
        LineCollection(inside, colors="#8e44ad", linewidths=1.6 * scale, linestyles="--", zorder=3)
    )
    keys = {node: style_key(attrs) for node, attrs in G.nodes(data=True)}
    r = 4.5 * scale
    for entry in legend(keys.values()):
        members = [n for n, k in keys.items() if k == entry.key]
        shape = MARKERS.get(entry.shape, "o")
        canvas.ax.scatter(
            [pos[n][0] for n in members],
            [pos[n][1] for n in members],
            s=(70 if entry.shape == "box" else 42) * scale**2,
            marker=shape,
            c=entry.colour,
            edgecolors="#333333",
            linewidths=0.6 * scale,
            zorder=4,
        )
        for node in members:  # labels keep off the markers
            x, y = canvas.ax.transData.transform([pos[node]])[0]
            canvas.placed.append(Bbox.from_extents(x - r, y - r, x + r, y + r))


def _router_handles(G: nx.DiGraph, scale: float) -> list[Any]:
    """The legend's line per router style (the first :data:`LEGEND_FAMILIES` owners by
    name, the others in one line)."""
    from matplotlib.lines import Line2D

    keys = {node: style_key(attrs) for node, attrs in G.nodes(data=True)}
    handles = []
    entries = legend(keys.values())
    families = [e for e in entries if e.key.startswith("public:") and e.key != "public:?"]
    for number, entry in enumerate(entries):
        worded = number < LEGEND_FAMILIES or entry not in families
        members = [n for n, k in keys.items() if k == entry.key]
        shape = MARKERS.get(entry.shape, "o")
        if worded:
            label = f"{entry.label} ({len(members)})"
        elif number == LEGEND_FAMILIES:
            label = f"public, {len(families) - LEGEND_FAMILIES} other owners"
        else:
            continue  # one legend line for the owners past the first few
        handles.append(
            Line2D(
                [],
                [],
                marker=shape,
                linestyle="none",
                markersize=7 * scale,
                markerfacecolor=entry.colour if worded else "#ffffff",
                markeredgecolor="#333333",
                label=label,
            )
        )
    return handles


def _label_routers(canvas: _Canvas, G: nx.DiGraph, pos: dict[str, tuple[float, float]]) -> None:
    """Router labels where they fit, endpoints first: on the side away from the node's
    neighbours (above a node higher than them), else the other side, else beside it."""
    style = {"fontsize": canvas.pt["label"], "color": "#1b2631"}
    gap = 6.0 * canvas.scale

    def rank(item: tuple[str, dict[str, Any]]) -> tuple[int, tuple[float, float]]:
        return (0 if item[1].get("kind") in ("vantage", "destination") else 1, pos[item[0]])

    for node, attrs in sorted(G.nodes(data=True), key=rank):
        text = str(attrs.get("label") or node)
        text = text if len(text) <= 28 else text[:27] + "…"
        near = [pos[n][1] for n in (*G.predecessors(node), *G.successors(node)) if n != node]
        higher = bool(near) and pos[node][1] < sum(near) / len(near)
        sides = [("bottom", gap), ("top", -gap)]
        if not higher:
            sides.reverse()
        tries = [({"va": va, "ha": "center"}, (0.0, dy)) for va, dy in sides]
        tries += [
            ({"va": "center", "ha": "left"}, (gap, 0.0)),
            ({"va": "center", "ha": "right"}, (-gap, 0.0)),
        ]
        for where, offset in tries:
            if canvas.place(pos[node], [(text, style)], offset=offset, areas=False, **where):
                break
        else:
            canvas.omitted += 1


@dataclass(frozen=True)
class _Arrow:
    start: tuple[float, float]
    end: tuple[float, float]
    text: str
    traces: int


def _exit_arrows(found: RegionMap, pos: dict[str, tuple[float, float]]) -> list[_Arrow]:
    """The exits as arrows: router to router at the detail level; in the overview, one
    arrow per pair of areas (from the edge of one to the edge of the other)."""
    if found.detail:
        return [_Arrow(pos[e.src], pos[e.dst], e.text, e.traces) for e in found.exits]
    areas = {a.key: a for a in found.areas}
    arrows: dict[tuple[Any, Any], list[Any]] = {}
    for e in found.exits:
        ends = [areas.get(found.area_of.get(n, "")) for n in (e.src, e.dst)]
        key = (ends[0].key if ends[0] else e.src, ends[1].key if ends[1] else e.dst)
        if key[0] == key[1]:
            continue
        towards = [pos[e.src] if a is None else a.centre for a in ends]
        towards[1] = pos[e.dst] if ends[1] is None else towards[1]
        start = pos[e.src] if ends[0] is None else _area_edge(ends[0], towards[1])
        end = pos[e.dst] if ends[1] is None else _area_edge(ends[1], start)
        entry = arrows.setdefault(key, [start, end, e.text, 0])
        entry[2] = entry[2] or e.text
        entry[3] += e.traces
    return [_Arrow(*entry) for entry in arrows.values()]


def _draw_exits(canvas: _Canvas, found: RegionMap, pos: dict[str, tuple[float, float]]) -> None:
    """Each exit as a red arrow from the provider's last hop to the first foreign one."""
    scale = canvas.scale
    style = {
        "fontsize": canvas.pt["label"],
        "color": EXIT_COLOUR,
        "fontweight": "bold",
        "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
    }
    most = max((e.traces for e in found.exits), default=1)
    for number, exit_ in enumerate(_exit_arrows(found, pos)):
        start, end = exit_.start, exit_.end
        width = (1.6 + 1.6 * math.log1p(exit_.traces) / math.log1p(most)) * scale
        canvas.ax.annotate(
            "",
            xy=end,
            xytext=start,
            zorder=5,
            arrowprops={
                "arrowstyle": "-|>",
                "color": EXIT_COLOUR,
                "lw": width,
                "mutation_scale": 16 * scale,
                "shrinkA": 3 * scale,
                "shrinkB": 5 * scale,
            },
        )
        canvas.ax.scatter(
            *start,
            s=60 * scale**2,
            facecolors="none",
            edgecolors=EXIT_COLOUR,
            linewidths=2 * scale,
            zorder=5,
        )
        if not exit_.text or number >= 12:
            continue  # the arrow stays; its words are on another exit to the same network
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        gap = 8 * scale
        text = [(_wrap(exit_.text, 40), style)]
        spots = (
            (middle, (0, gap), "bottom"),
            (middle, (0, -gap), "top"),
            (end, (0, gap), "bottom"),
            (end, (0, -gap), "top"),
            (start, (0, -gap), "top"),
            (start, (0, gap), "bottom"),
        )
        for clear, (anchor, offset, va) in itertools.product((True, False), spots):
            if canvas.place(anchor, text, offset=offset, ha="center", va=va, areas=clear):
                break
        else:
            canvas.omitted += 1


def _area_handles(found: RegionMap, scale: float) -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    for kind in ("region", "segment", "network", "gap"):
        count = sum(1 for a in found.areas if a.kind == kind)
        if count:
            edge, face, style, _ = COLOURS[kind]
            words = WORDS[kind] if count == 1 else WORDS[kind].replace("box", "boxes", 1)
            words = words if count == 1 or kind == "gap" else words + "s"
            handles.append(
                Patch(
                    facecolor=face,
                    edgecolor=edge,
                    linestyle=style,
                    lw=1.3 * scale,
                    label=f"{words} ({count})",
                )
            )
    if found.exits:
        traces = sum(e.traces for e in found.exits)
        handles.append(
            Line2D(
                [],
                [],
                color=EXIT_COLOUR,
                lw=2.4 * scale,
                label=f"exit from the provider ({traces} traces)",
            )
        )
    if found.links and not found.detail:
        handles.append(
            Line2D(
                [],
                [],
                color=LINK_COLOUR,
                lw=2 * scale,
                alpha=0.6,
                label="traces between areas (width: how many)",
            )
        )
    return handles


def _headline(canvas: _Canvas, G: nx.DiGraph, title: str, found: RegionMap) -> None:
    inference = G.graph.get("inference") or {}
    verdict = str(inference.get("verdict") or "not inferred")
    counts = inference.get("verdict_counts") or {}
    traces = len(G.graph.get("trace_paths", {}))
    fig, scale = canvas.fig, canvas.scale
    x = 0.3 * scale / canvas.width
    head = fig.text(
        x,
        1 - 0.22 * scale / canvas.height,
        title,
        va="top",
        ha="left",
        fontsize=canvas.pt["title"],
        fontweight="bold",
        color="#1d2330",
    )
    limit = canvas.width * 72 - 0.6 * scale * 72
    size = canvas.pt["title"]
    while head.get_window_extent(canvas.renderer).width > limit and size > canvas.pt["subtitle"]:
        size *= 0.95  # a long title gets smaller, down to the subtitle's size, then shorter
        head.set_fontsize(size)
    while head.get_window_extent(canvas.renderer).width > limit and len(head.get_text()) > 12:
        head.set_text(head.get_text()[:-2].rstrip() + "…")
    seen = {k: n for k, n in counts.items() if n}
    worded = ", ".join(f"{n} {k}" for k, n in seen.items()) if len(seen) > 1 else ""
    line = f"Verdict: {verdict}" + (f" ({worded})" if worded else "")
    line += f" · {traces:,} trace{'s' if traces != 1 else ''}"
    aggregation = G.graph.get("aggregation")
    if aggregation:
        line += f" · overview of {aggregation['nodes_before']:,} nodes"
    sub = fig.text(
        x,
        1 - 0.62 * scale / canvas.height,
        line,
        va="top",
        ha="left",
        fontsize=canvas.pt["subtitle"],
        color=VERDICT_COLOURS.get(verdict, "#9a6400"),
    )
    canvas.placed += [t.get_window_extent(canvas.renderer).padded(2 * scale) for t in (head, sub)]


def _place_legend(canvas: _Canvas, handles: list[Any]) -> None:
    """The legend at the foot of the figure, in as many columns as fit its width, and a line
    below it kept for the note (:func:`_note`); both are blocked for labels, and the map's
    axes end above them, so nothing is drawn under the legend.

    The legend has a white frame of its own (no edge), so its place can be read back
    from an SVG: the first path of ``<g id="legend_1">``.
    """
    scale = canvas.scale
    x = 0.3 * scale / canvas.width
    note_y = 0.08 * scale * 72
    note_top = note_y + 1.4 * canvas.pt["label"]
    top = note_top
    for columns in range(min(len(handles), 5), 0, -1):
        legend_ = canvas.fig.legend(
            handles=handles,
            loc="lower left",
            ncol=columns,
            bbox_to_anchor=(x, (note_top + 4 * scale) / (canvas.height * 72)),
            frameon=True,
            facecolor="white",
            edgecolor="none",
            framealpha=1.0,
            fancybox=False,
            fontsize=canvas.pt["label"],
            handlelength=1.6,
            columnspacing=1.2,
            borderaxespad=0,
            borderpad=0.2,
        )
        box = legend_.get_window_extent(canvas.renderer)
        if box.x1 <= canvas.fig.bbox.x1 - 4 or columns == 1:
            canvas.placed.append(box.padded(2 * scale))
            top = box.y1
            break
        legend_.remove()
    from matplotlib.transforms import Bbox

    canvas.placed.append(Bbox.from_extents(0, 0, canvas.fig.bbox.x1, note_top))
    _axes_from(canvas, top + 0.15 * scale * 72)


def _axes_from(canvas: _Canvas, bottom: float) -> None:
    """Start the map's axes ``bottom`` points above the figure's foot (at most half-way)."""
    box = canvas.ax.get_position()
    height = canvas.height * 72
    y0 = min(max(bottom / height, box.y0), 0.5)
    canvas.ax.set_position((box.x0, y0, box.width, box.y1 - y0))


def _note(canvas: _Canvas, note: str) -> None:
    """The note under the legend, in the line :func:`_place_legend` kept for it (shortened
    with an ellipsis when it is wider than the figure)."""
    if not note:
        return
    text = canvas.fig.text(
        0.3 * canvas.scale / canvas.width,
        0.08 * canvas.scale / canvas.height,
        note,
        ha="left",
        va="bottom",
        fontsize=canvas.pt["label"],
        color="#566573",
    )
    limit = canvas.fig.bbox.x1 - 4
    while text.get_window_extent(canvas.renderer).x1 > limit and len(text.get_text()) > 12:
        text.set_text(text.get_text()[:-2].rstrip() + "…")


def _extent(
    found: RegionMap, pos: dict[str, tuple[float, float]], nodes: Sequence[str]
) -> tuple[float, float, float, float]:
    xs = [a.x0 for a in found.areas] + [a.x1 for a in found.areas]
    ys = [a.y0 for a in found.areas] + [a.y1 for a in found.areas]
    points = [pos[n] for n in nodes] + [pos[e.src] for e in found.exits]
    points += [pos[e.dst] for e in found.exits]
    xs += [p[0] for p in points]
    ys += [p[1] for p in points]
    if not xs:
        return 0.0, 0.0, 100.0, 100.0
    pad_x = max((max(xs) - min(xs)) * 0.02, 30.0)
    pad_y = max((max(ys) - min(ys)) * 0.04, 30.0)
    return min(xs) - pad_x, min(ys) - pad_y, max(xs) + pad_x, max(ys) + pad_y


def draw(
    G: nx.DiGraph,
    *,
    title: str | None = None,
    size: tuple[float, float] = FIGURE_SIZE,
    slide_width: float = SLIDE_WIDTH_IN,
    max_nodes: int | None = FIGURE_MAX_NODES,
) -> Any:
    """The matplotlib :class:`~matplotlib.figure.Figure` of ``G``'s region map (not saved):
    reduced to ``max_nodes`` (:func:`~topo.render.regionmap.overview_graph`), laid out
    by :func:`~topo.render.layout.compute_layout`,
    fonts sized so that the figure's smallest text is :data:`LABEL_PT` when its width is
    shown as ``slide_width`` inches."""
    H, where = overview_graph(G, max_nodes) if max_nodes else (G, {})
    layout = compute_layout(H)
    found = region_map(H, layout, where=where, detail=H is G)
    pos = layout.positions
    scale = size[0] / slide_width
    canvas = _Canvas(size, scale)
    nodes = list(H) if found.detail else []
    handles = _area_handles(found, scale)
    if found.detail:
        handles = _router_handles(H, scale) + handles
    _headline(canvas, H, terminal_safe(title) if title else set_title(H), found)
    _place_legend(canvas, handles)
    canvas.set_limits(*_extent(found, pos, nodes), stretch=4.0 if found.detail else 10.0)
    boxes = _draw_areas(canvas, found)
    if found.detail:
        _draw_routers(canvas, H, pos)
    else:
        _draw_links(canvas, found)
    _label_areas(canvas, found, boxes)
    _draw_exits(canvas, found, pos)
    if found.detail:
        _label_routers(canvas, H, pos)
    note = ""
    if not found.detail:
        note = "Overview: routers are not drawn one by one; the page (topo build) has each."
    if found.left_out:
        note += f" {found.left_out:,} smaller boxes left out."
    if canvas.omitted:
        note += (" " if note else "") + (
            f"{canvas.omitted} label{'s' if canvas.omitted != 1 else ''} left out at this "
            "size (they would overlap)."
        )
    _note(canvas, note)
    return canvas.fig


def figure(
    G: nx.DiGraph,
    path: str | Path,
    *,
    title: str | None = None,
    size: tuple[float, float] = FIGURE_SIZE,
    slide_width: float = SLIDE_WIDTH_IN,
    max_nodes: int | None = FIGURE_MAX_NODES,
    dpi: int = 150,
) -> Path:
    """Draw ``G``'s region map (:func:`draw`) to ``path``; its suffix picks the format
    (``.svg``, ``.png``, ``.pdf``). Written whole or not at all."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("static figures need matplotlib: pip install matplotlib") from err
    from matplotlib import rc_context

    target = Path(path)
    with rc_context(text_settings()), quiet_glyphs():
        fig = draw(G, title=title, size=size, slide_width=slide_width, max_nodes=max_nodes)
        texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        missing = missing_glyphs(texts, font_family())
        metadata = {"Date": None} if target.suffix.lower() == ".svg" else None
        with replacing(target) as temporary:  # the format from the target's name
            fig.savefig(
                temporary, format=target.suffix[1:].lower() or None, dpi=dpi, metadata=metadata
            )
    warn_missing(str(target), missing)
    return target
