"""The better-response graph of the empirical game as a chart that draws itself (SVG and PNG).

Profiles sit on the grid of :func:`market.delegation.graph_plot.grid_position`: provider 1's
strategy picks a block of columns, provider 2's the column within it, the other providers' the
row, so every profile keeps its place from one run to the next. Nodes are coloured by the
user's estimated utility as a share of u_SB; every improving move is a faint arc (an arc bends
to the left of its direction, so a move and its reverse never overlap); the dynamics' path is
bold, the sinks (pure equilibria) are ringed in red, the start is a square and the current
profile is ringed in blue.

References:
    Cao et al. (2026), Theorem 5.2; better-response dynamics (not from the paper).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from app.svg import INK, escape, svg_open
from market.delegation.graph_plot import abbreviation, grid_position

#: Viridis at six stops: the node colour of a user utility share from 0 to 1 of u_SB.
SHARE_COLOURS = ("#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725")
PATH_COLOUR = "#0072B2"
SINK_COLOUR = "#D55E00"


def share_colour(share: float) -> str:
    """The colour of a user-utility share of u_SB, clipped to [0, 1] (grey when unknown)."""
    if not math.isfinite(share):
        return "#bbbbbb"
    position = min(max(share, 0.0), 1.0) * (len(SHARE_COLOURS) - 1)
    return SHARE_COLOURS[round(position)]


@dataclass(frozen=True)
class GraphNode:
    """A profile: its grid cell, its user-utility share of u_SB and a tooltip."""

    profile: tuple[str, ...]
    column: float
    row: float
    share: float
    tooltip: str


@dataclass(frozen=True)
class ProfileGraphChart:
    """The better-response graph on the profile grid (see the module docstring)."""

    title: str
    strategies: tuple[str, ...]
    K: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    path: tuple[tuple[str, ...], ...]
    sinks: frozenset
    start: tuple[str, ...]
    current: tuple[str, ...]
    test_id: str = "plot-response-graph"
    width: int = 980

    # ---- geometry ------------------------------------------------------------------------

    @property
    def columns(self) -> float:
        """Grid columns (blocks of provider 1, a gap between blocks)."""
        return max(n.column for n in self.nodes) + 1

    @property
    def rows(self) -> int:
        """Grid rows (the other providers' strategies)."""
        return int(max(-n.row for n in self.nodes)) + 1

    @property
    def height(self) -> int:
        """Pixels: title, block headings, rows, column labels and the key."""
        return 96 + 44 * self.rows + 70

    def place(self, column: float, row: float) -> tuple[float, float]:
        """Pixel centre of a grid cell."""
        left, right, top = 70, 20, 84
        step = (self.width - left - right) / self.columns
        return left + (column + 0.5) * step, top + (-row + 0.5) * 44

    def where(self) -> dict[tuple[str, ...], tuple[float, float]]:
        """Pixel centre of every profile."""
        return {n.profile: self.place(n.column, n.row) for n in self.nodes}

    # ---- SVG -----------------------------------------------------------------------------

    def arc(self, a: tuple[float, float], b: tuple[float, float], radius: float) -> str:
        """A quadratic arc from ``a`` to ``b`` bending left of its direction, ends trimmed."""
        (x0, y0), (x1, y1) = a, b
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        bend = min(0.18 * length, 60.0)
        cx, cy = (x0 + x1) / 2 + uy * bend, (y0 + y1) / 2 - ux * bend
        start = shorten((x0, y0), (cx, cy), radius)
        end = shorten((x1, y1), (cx, cy), radius + 2)
        return f"M{start[0]:.1f},{start[1]:.1f} Q{cx:.1f},{cy:.1f} {end[0]:.1f},{end[1]:.1f}"

    def to_svg(self) -> str:
        """The chart as an SVG string."""
        where, radius = self.where(), 6.0
        parts = [svg_open(self.width, self.height, self.title, self.test_id)]
        parts.append(f"<defs>{marker('br-faint', '#888')}{marker('br-path', PATH_COLOUR)}</defs>")
        parts.append(self.labels_svg())
        faint = "".join(
            f'<path d="{self.arc(where[a], where[b], radius)}"/>' for a, b in self.edges
        )
        parts.append(
            f'<g fill="none" stroke="#888" stroke-opacity="0.22" stroke-width="0.8" '
            f'marker-end="url(#br-faint)">{faint}</g>'
        )
        for a, b in itertools.pairwise(self.path):
            parts.append(
                f'<path d="{self.arc(where[a], where[b], radius)}" fill="none" '
                f'stroke="{PATH_COLOUR}" stroke-width="3" marker-end="url(#br-path)" '
                f'data-role="path"/>'
            )
        for n in self.nodes:
            parts.append(self.node_svg(n, *where[n.profile], radius))
        parts.append(self.key_svg())
        parts.append("</svg>")
        return "".join(parts)

    def node_svg(self, node: GraphNode, x: float, y: float, radius: float) -> str:
        """A node with its rings (sink, current) or square (start) and tooltip."""
        parts = [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{share_colour(node.share)}">'
            f"<title>{escape(node.tooltip)}</title></circle>"
        ]
        if node.profile in self.sinks:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius + 3}" fill="none" '
                f'stroke="{SINK_COLOUR}" stroke-width="2" data-role="sink"/>'
            )
        if node.profile == self.start:
            parts.append(
                f'<rect x="{x - radius - 4:.1f}" y="{y - radius - 4:.1f}" '
                f'width="{2 * radius + 8}" height="{2 * radius + 8}" fill="none" '
                f'stroke="{PATH_COLOUR}" stroke-width="1.5" data-role="start"/>'
            )
        if node.profile == self.current:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius + 7}" fill="none" '
                f'stroke="{PATH_COLOUR}" stroke-width="2.5" data-role="current"/>'
            )
        return "".join(parts)

    def labels_svg(self) -> str:
        """Block headings (provider 1), column labels (provider 2), row labels (the rest)."""
        n, short = len(self.strategies), [abbreviation(s) for s in self.strategies]
        parts = []
        for b, name in enumerate(self.strategies):
            x, _ = self.place(b * (n + 1) + (n - 1) / 2, 0)
            parts.append(text(x, 50, f"P1: {name}", size=10, weight=600))
            if self.K > 1:
                for c in range(n):
                    cx, _ = self.place(b * (n + 1) + c, 0)
                    parts.append(text(cx, 68, short[c], size=9))
        rows = list(itertools.product(short, repeat=max(0, self.K - 2))) or [()]
        for r, labels in enumerate(rows):
            _, y = self.place(0, -r)
            parts.append(text(62, y + 3, "|".join(labels), size=9, anchor="end"))
        bottom = 84 + 44 * self.rows
        parts.append(
            text(
                self.width / 2,
                bottom + 14,
                "columns: provider 2's strategy within provider 1's block"
                + {2: "", 3: "; rows: provider 3's strategy"}.get(self.K, "; rows: providers 3.."),
                size=10,
            )
        )
        return "".join(parts)

    def key_svg(self) -> str:
        """The colour key, the marks and the abbreviations."""
        y = 84 + 44 * self.rows + 34
        parts = [text(70, y, "user utility / u_SB:", size=10, anchor="start")]
        for i, colour in enumerate(SHARE_COLOURS):
            x = 180 + 34 * i
            parts.append(f'<rect x="{x}" y="{y - 9}" width="30" height="11" fill="{colour}"/>')
            share = i / (len(SHARE_COLOURS) - 1)
            label = f">= {share:.1f}" if i == len(SHARE_COLOURS) - 1 else f"{share:.1f}"
            parts.append(text(x + 15, y + 13, label, size=8))
        parts.append(
            text(
                400,
                y,
                "red ring: sink (pure equilibrium) / square: start / blue ring: now / "
                "bold arrows: the path taken",
                size=10,
                anchor="start",
            )
        )
        legend = ", ".join(f"{abbreviation(s)} = {s}" for s in self.strategies)
        parts.append(text(70, y + 28, legend, size=10, anchor="start"))
        return "".join(parts)

    # ---- matplotlib (PNG download) -------------------------------------------------------

    def draw(self, ax) -> None:
        """The chart on matplotlib axes (straight faint moves, arced path; same marks)."""
        spot = {n.profile: (n.column, n.row) for n in self.nodes}
        for a, b in self.edges:
            (x0, y0), (x1, y1) = spot[a], spot[b]
            ax.plot([x0, x1], [y0, y1], color="0.6", alpha=0.2, linewidth=0.5)
        for a, b in itertools.pairwise(self.path):
            ax.annotate(
                "",
                spot[b],
                spot[a],
                arrowprops={
                    "arrowstyle": "->",
                    "color": PATH_COLOUR,
                    "linewidth": 1.8,
                    "connectionstyle": "arc3,rad=0.25",
                },
                zorder=5,
            )
        xs = [n.column for n in self.nodes]
        ys = [n.row for n in self.nodes]
        ax.scatter(xs, ys, s=24, c=[share_colour(n.share) for n in self.nodes], zorder=3)
        sinks = [spot[p] for p in self.sinks]
        if sinks:
            ax.scatter(
                *zip(*sinks, strict=True), s=80, facecolors="none", edgecolors=SINK_COLOUR, zorder=4
            )
        ax.scatter(*spot[self.start], s=90, marker="s", facecolors="none", edgecolors=PATH_COLOUR)
        ax.scatter(*spot[self.current], s=150, facecolors="none", edgecolors=PATH_COLOUR, zorder=4)
        n = len(self.strategies)
        for block, name in enumerate(self.strategies):
            ax.text(
                block * (n + 1) + (n - 1) / 2,
                0.6,
                f"P1: {abbreviation(name)}",
                ha="center",
                fontsize=7,
            )
        ax.set_ylim(-self.rows + 0.4, 1.0)
        ax.set_axis_off()
        names = [f"{abbreviation(s)} = {s}" for s in self.strategies]
        half = (len(names) + 1) // 2
        ax.text(
            0.0,
            -0.02,
            "red ring: sink; square: start; blue ring: now; arrows: the path\n"
            + ", ".join(names[:half])
            + "\n"
            + ", ".join(names[half:]),
            transform=ax.transAxes,
            fontsize=6,
            va="top",
        )


def marker(name: str, colour: str) -> str:
    """An arrowhead marker definition."""
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
        f'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
    )


def shorten(point: tuple[float, float], towards: tuple[float, float], by: float) -> np.ndarray:
    """``point`` moved ``by`` pixels towards ``towards`` (an arc's end off its node)."""
    p, q = np.asarray(point), np.asarray(towards)
    length = float(np.hypot(*(q - p))) or 1.0
    return p + (q - p) / length * by


def text(
    x: float, y: float, content: str, size: int = 10, anchor: str = "middle", weight: int = 400
) -> str:
    """An SVG text element."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'font-weight="{weight}" fill="{INK}">{escape(content)}</text>'
    )


def graph_nodes(game, share_of) -> tuple[GraphNode, ...]:
    """Every profile of the game's table, placed on the grid, with a tooltip."""
    table = game.table
    basins = {s.profile: s.basin for s in game.sinks}
    nodes = []
    for row, profile in enumerate(table.profiles):
        column, grid_row = grid_position(profile, table.strategies)
        share = share_of(profile)
        utilities = ", ".join(
            f"P{k + 1} {table.provider_mean[row, k]:,.0f}" for k in range(table.K)
        )
        tip = f"{'|'.join(profile)}: user {share:.2f} u_SB; {utilities}"
        if profile in basins:
            tip += f"; sink, basin {basins[profile]:.0%}"
        nodes.append(GraphNode(tuple(profile), column, grid_row, share, tip))
    return tuple(nodes)


def profile_graph_chart(frame) -> ProfileGraphChart:
    """The chart of a :class:`~app.games.metagame.MetagameFrame`."""
    game = frame.game
    edges = tuple((tuple(a.split("|")), tuple(b.split("|"))) for a, b in game.graph.edges)
    return ProfileGraphChart(
        title=f"Better-response graph: {game.graph.number_of_nodes()} profiles, "
        f"{len(edges)} improving moves, {len(game.sinks)} sinks",
        strategies=tuple(game.table.strategies),
        K=game.table.K,
        nodes=graph_nodes(game, frame.user_share),
        edges=edges,
        path=frame.path,
        sinks=frozenset(tuple(s.profile) for s in game.sinks),
        start=frame.path[0],
        current=frame.profile,
    )
