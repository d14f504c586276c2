"""Charts of the term report as inline SVG, drawn on the server: plain data in, markup out.

No script and no external file, so the same markup shows in a browser, in
the PDF and offline. Every label is escaped here.
"""

from decimal import Decimal
from html import escape

WIDTH = 640
BAR = 22
GAP = 8
LABEL = 170
# Told apart in grey print too: each next colour is clearly lighter or darker than its neighbours.
COLOURS = ("#1f3b63", "#a9c98a", "#6b3d7a", "#e08a2c", "#3d3d3d", "#f2c14e", "#9b2d20", "#5b9bd5")
# The two bars of a pair: dark and light.
PAIR = ("#1f3b63", "#9fc5e8")


def _svg(title: str, height: int, body: list[str], css_class: str) -> str:
    return (
        f'<svg class="chart {css_class}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def horizontal_bars(
    title: str,
    rows: list[tuple[str, Decimal | None]],
    *,
    maximum=None,
    unit="",
    css_class="",
    colours: list[str] | None = None,
) -> str:
    """One bar per row (label, value); values None are drawn as "—". `colours`, one per row,
    keep a school's colour the same in every chart (`colour_of`)."""
    values = [value for _label, value in rows if value is not None]
    top = Decimal(maximum) if maximum is not None else max(values, default=Decimal(0))
    span = WIDTH - LABEL - 90
    height = max(1, len(rows)) * (BAR + GAP) + GAP
    body = []
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR + GAP)
        length = int(span * value / top) if value and top else 0
        body.append(
            f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.0f}" text-anchor="end" '
            f'font-size="12">{escape(label)}</text>'
            f'<rect class="bar" x="{LABEL}" y="{y}" width="{length}" height="{BAR}" '
            f'fill="{colours[index] if colours else COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{LABEL + length + 6}" y="{y + BAR * 0.7:.0f}" font-size="12">'
            f"{escape('—' if value is None else f'{value:,}{unit}')}</text>"
        )
    return _svg(title, height, body, css_class)


def nothing_to_draw(text: str, css_class="") -> str:
    """A short sentence in place of a chart that would have no bar at all."""
    return f'<p class="chart-empty {css_class}">{escape(text)}</p>'


def colour_of(position: int) -> str:
    """The colour of the school at `position` in the report's list of schools."""
    return COLOURS[position % len(COLOURS)]


def paired_bars(
    title: str, rows: list[tuple[str, Decimal, Decimal]], legend: tuple[str, str], css_class=""
) -> str:
    """Two bars per row (e.g. allocated and received), with a legend."""
    top = max([max(a, b) for _label, a, b in rows], default=Decimal(0))
    span = WIDTH - LABEL - 110
    row_height = 2 * BAR + GAP * 2
    height = 30 + max(1, len(rows)) * row_height
    body = []
    for index, name in enumerate(legend):
        body.append(
            f'<rect x="{LABEL + index * 150}" y="6" width="14" height="14" '
            f'fill="{PAIR[index]}"/>'
            f'<text x="{LABEL + index * 150 + 20}" y="18" font-size="12">{escape(name)}</text>'
        )
    for index, (label, first, second) in enumerate(rows):
        y = 30 + index * row_height
        body.append(
            f'<text x="{LABEL - 6}" y="{y + BAR + 4}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
        )
        for offset, value in enumerate((first, second)):
            length = int(span * value / top) if top else 0
            body.append(
                f'<rect class="bar" x="{LABEL}" y="{y + offset * BAR}" width="{length}" '
                f'height="{BAR - 2}" fill="{PAIR[offset]}"/>'
                f'<text x="{LABEL + length + 6}" y="{y + offset * BAR + BAR * 0.65:.0f}" '
                f'font-size="12">{escape(f"{value:,}")}</text>'
            )
    return _svg(title, height, body, css_class)


def line(
    title: str, points: list[tuple[str, Decimal | None]], *, unit="%", css_class="", empty="—"
) -> str:
    """A line over the weeks from 0 to 100, each point labelled below by its week.

    With no point at all, `empty` is written in the middle instead.
    """
    height, left, bottom, top_margin = 220, 50, 40, 16
    plot_w, plot_h = WIDTH - left - 20, height - bottom - top_margin
    body = [
        f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{top_margin + plot_h}" '
        'stroke="#888"/>'
        f'<line x1="{left}" y1="{top_margin + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_margin + plot_h}" stroke="#888"/>'
    ]
    for mark in (0, 50, 100):
        y = top_margin + plot_h - plot_h * mark / 100
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end" font-size="11">'
            f"{mark}{escape(unit)}</text>"
        )
    step = plot_w / max(1, len(points) - 1)
    coordinates = []
    for index, (label, value) in enumerate(points):
        x = left + (step * index if len(points) > 1 else plot_w / 2)
        if value is not None:
            y = top_margin + plot_h - plot_h * float(value) / 100
            coordinates.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[0]}">'
                f"<title>{escape(label)}: {escape(str(value))}{escape(unit)}</title></circle>"
            )
        if len(points) <= 12 or index % 2 == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - 22}" text-anchor="middle" font-size="10">'
                f"{escape(label[5:])}</text>"
            )
    if not coordinates:
        body.append(
            f'<text x="{left + plot_w / 2:.0f}" y="{top_margin + plot_h / 2:.0f}" '
            f'text-anchor="middle" font-size="12" fill="#888">{escape(empty)}</text>'
        )
    if len(coordinates) > 1:
        body.append(
            f'<polyline points="{" ".join(coordinates)}" fill="none" '
            f'stroke="{COLOURS[0]}" stroke-width="2"/>'
        )
    return _svg(title, height, body, css_class)
