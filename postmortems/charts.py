"""SVG geometry for the metrics page's charts, drawn on our side: no JavaScript, no charting library.

Each function returns a `Chart` (coordinates in the SVG's own units, rounded to 0.1) that
postmortems/_chart.html draws; the numbers themselves are in the table beside each chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from postmortems.metrics import DEFINITIONS, Cell, Durations, Metrics

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 30  # margins: the y labels on the left, the month labels below
MAX_X_LABELS = 6  # "2026-01" is ~50 units wide at the charts' font size


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str  # the colour's class: c0 … c5
    dashed: bool = False


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Polyline:
    points: str
    css: str
    dashed: bool
    title: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Legend:
    name: str
    css: str
    dashed: bool = False


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    rects: list[Rect] = field(default_factory=list)
    lines: list[Polyline] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    legend: list[Legend] = field(default_factory=list)


def _r(value: float) -> float:
    return round(value, 1)


def nice_step(rough: float, integer: bool) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at least `rough` (whole numbers for counts)."""
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if step >= rough and (not integer or (step >= 1 and step == int(step))):
            return float(step)
    return float(10 * power)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _axis(top_value: float, integer: bool) -> tuple[float, list[float]]:
    step = nice_step(top_value / 4, integer)
    top = step * max(1, math.ceil(top_value / step))
    return top, [step * i for i in range(round(top / step) + 1)]


def _frame(title: str, unit: str, labels: Sequence[str], top_value: float, integer: bool) -> tuple[Chart, float]:
    top, values = _axis(top_value, integer)
    chart = Chart(title=title, unit=unit)
    plot_h = chart.bottom - chart.top
    chart.y_ticks.extend(Tick(at=_r(chart.bottom - v / top * plot_h), label=_fmt(v)) for v in values)
    slot = (chart.right - chart.left) / max(1, len(labels))
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    chart.x_ticks.extend(Tick(at=_r(chart.left + slot * (i + 0.5)), label=label)
                         for i, label in enumerate(labels) if i % every == 0)
    return chart, top


def _y(chart: Chart, value: float, top: float) -> float:
    return chart.bottom - value / top * (chart.bottom - chart.top)


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = False,
              unit: str = "") -> Chart:
    """Bars per label: stacked (one bar of every series' values) or grouped side by side."""
    if stacked:
        peak = max((sum(s.values[i] or 0 for s in series) for i in range(len(labels))), default=0)
    else:
        peak = max((v or 0 for s in series for v in s.values), default=0)
    chart, top = _frame(title, unit, labels, peak, integer=True)
    slot = (chart.right - chart.left) / max(1, len(labels))
    for i, label in enumerate(labels):
        x0, base = chart.left + slot * i, 0.0
        for j, s in enumerate(series):
            value = s.values[i] or 0
            if stacked:
                width, x = slot * 0.7, x0 + slot * 0.15
                y_low, y_high = _y(chart, base, top), _y(chart, base + value, top)
                base += value
            else:
                width = slot * 0.8 / len(series)
                x = x0 + slot * 0.1 + width * j
                y_low, y_high = chart.bottom, _y(chart, value, top)
            if value:
                chart.rects.append(Rect(x=_r(x), y=_r(y_high), width=_r(width), height=_r(y_low - y_high),
                                        css=s.css, title=f"{label} · {s.name}: {_fmt(value)}"))
    chart.legend.extend(Legend(s.name, s.css, s.dashed) for s in series)
    return chart


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "") -> Chart:
    """A line per series through each label's value; a missing value (None) breaks the line."""
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    chart, top = _frame(title, unit, labels, peak, integer=False)
    slot = (chart.right - chart.left) / max(1, len(labels))
    for s in series:
        run: list[tuple[float, float]] = []
        segments = [run]
        for i, value in enumerate(s.values):
            if value is None:
                run = []
                segments.append(run)
                continue
            x, y = chart.left + slot * (i + 0.5), _y(chart, value, top)
            run.append((x, y))
            chart.dots.append(Dot(x=_r(x), y=_r(y), css=s.css,
                                  title=f"{labels[i]} · {s.name}: {_fmt(round(value, 1))}"))
        for segment in segments:
            if len(segment) > 1:
                chart.lines.append(Polyline(points=" ".join(f"{_r(x)},{_r(y)}" for x, y in segment), css=s.css,
                                            dashed=s.dashed, title=s.name))
    chart.legend.extend(Legend(s.name, s.css, s.dashed) for s in series)
    return chart


# The unit a duration chart uses: the largest whose values stay readable (seconds up to minutes, …).
UNITS = [(60 * 60 * 24, "days"), (60 * 60, "hours"), (60, "minutes"), (1, "seconds")]


def duration_unit(peak_seconds: float) -> tuple[int, str]:
    for size, name in UNITS:
        if peak_seconds >= 2 * size:
            return size, name
    return 1, "seconds"


# ---------------------------------------------------------------------------------------------- the metrics page


def human_duration(seconds: float | None) -> str:
    """45 s, 2 min 5 s, 3 h 20 min, 2 d 4 h; an em dash for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@dataclass(frozen=True)
class TableCell:
    text: str
    note: str = ""


@dataclass(frozen=True)
class Table:
    caption: str
    head: list[str]
    rows: list[list[TableCell]]  # the first cell of each row is its header (the month)
    foot: list[TableCell] | None = None  # the whole range


@dataclass(frozen=True)
class Panel:
    """One chart and the table of its numbers."""

    key: str
    chart: Chart
    table: Table
    definitions: list[str]  # the definitions of what it shows, in words

    @property
    def svg(self) -> SafeString:
        return svg(self.chart, self.key)

    @property
    def table_html(self) -> SafeString:
        return table_html(self.table, self.key)


def _css(index: int) -> str:
    return f"c{index % 6}"


def metrics_panels(m: Metrics) -> list[Panel]:
    """The page's five charts, each with its table: counts, MTTA, MTTR, SLA breaches, action items."""
    labels = [month.label for month in m.months]
    sevs = m.severities
    months = [TableCell(month.label) for month in m.months]
    whole = TableCell("Whole range")

    def per_severity(key: str, chart_title: str, table_title: str, unit: str, definition: str,
                     value: Callable[[Cell], int], *, of_all: bool = False) -> Panel:
        """Stacked bars of one count by severity, and its table: a column a severity, then all of them."""
        def row(first: TableCell, period: Any) -> list[TableCell]:
            total = TableCell(str(value(period.total)), f"of {period.total.count}" if of_all else "")
            return [first, *(TableCell(str(value(period.by_severity[s]))) for s in sevs), total]

        return Panel(
            key=key,
            chart=bar_chart(chart_title, labels, [Series(s, [value(month.by_severity[s]) for month in m.months],
                                                         _css(i)) for i, s in enumerate(sevs)],
                            stacked=True, unit=unit),
            table=Table(table_title, ["Month", *sevs, "All"],
                        [row(label, month) for label, month in zip(months, m.months, strict=True)], row(whole, m)),
            definitions=[DEFINITIONS[definition]],
        )

    panels = [per_severity("counts", "Incidents per month, by severity", "Incidents declared per month",
                           "incidents", "month", lambda cell: cell.count)]
    for key, name, missing in (("mtta", "MTTA", "not acknowledged"), ("mttr", "MTTR", "not resolved")):
        def measure(cell: Cell, key: str = key) -> Durations:
            return cell.mtta if key == "mtta" else cell.mttr

        def show(d: Durations, missing: str = missing) -> TableCell:
            note = f"{d.measured} measured" + (f", {d.excluded} {missing}" if d.excluded else "")
            if not d.measured and not d.excluded:
                return TableCell("—")
            return TableCell(f"{human_duration(d.median)} / {human_duration(d.p90)}", note)

        peak = max((v for month in m.months for s in sevs
                    for v in (measure(month.by_severity[s]).median, measure(month.by_severity[s]).p90)
                    if v is not None), default=0.0)
        size, unit = duration_unit(peak)
        series = []
        for i, s in enumerate(sevs):
            medians = [measure(month.by_severity[s]).median for month in m.months]
            p90s = [measure(month.by_severity[s]).p90 for month in m.months]
            series.append(Series(f"{s} median", [None if v is None else v / size for v in medians], _css(i)))
            series.append(Series(f"{s} p90", [None if v is None else v / size for v in p90s], _css(i), dashed=True))
        panels.append(Panel(
            key=key,
            chart=line_chart(f"{name} per month, by severity: median (solid) and p90 (dashed), in {unit}", labels,
                             series, unit=unit),
            table=Table(f"{name} per month: median / p90", ["Month", *sevs, "All"],
                        [[label, *(show(measure(month.by_severity[s])) for s in sevs), show(measure(month.total))]
                         for label, month in zip(months, m.months, strict=True)],
                        [whole, *(show(measure(m.by_severity[s])) for s in sevs), show(measure(m.total))]),
            definitions=[DEFINITIONS[k] for k in (key, "median", "p90")],
        ))
    panels.append(per_severity("breaches", "Response-SLA breaches per month, by severity",
                               "Response-SLA breaches per month (of the incidents declared)", "breaches", "breach",
                               lambda cell: cell.breaches, of_all=True))
    panels.append(Panel(
        key="actions",
        chart=bar_chart("Action items opened and done per month", labels,
                        [Series("Opened", [month.actions_opened for month in m.months], "c1"),
                         Series("Done", [month.actions_done for month in m.months], "c5")], unit="action items"),
        table=Table("Action items opened and done per month", ["Month", "Opened", "Done"],
                    [[label, TableCell(str(month.actions_opened)), TableCell(str(month.actions_done))]
                     for label, month in zip(months, m.months, strict=True)],
                    [whole, TableCell(str(m.actions_opened)), TableCell(str(m.actions_done))]),
        definitions=[DEFINITIONS["action_items"]],
    ))
    return panels


# ---------------------------------------------------------------------------------------------- markup
# Written here rather than in template loops: two years of months is ~1,500 SVG elements and table cells,
# which Django's template engine takes ~50 ms to render and format_html a few. Every value is escaped.


def svg(chart: Chart, key: str) -> SafeString:
    """The chart as inline SVG, scaled to its box; each mark has a <title> (its label and value)."""
    parts = [format_html('<svg viewBox="0 0 {} {}" role="img" aria-labelledby="chart-{}-title" class="chart-svg" '
                         'data-chart="{}"><title id="chart-{}-title">{}</title>',
                         chart.width, chart.height, key, key, key, chart.title)]
    parts += [format_html('<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="tick" x="{}" y="{}" '
                          'text-anchor="end" dominant-baseline="middle">{}</text>',
                          chart.left, chart.right, t.at, t.at, chart.left - 4, t.at, t.label) for t in chart.y_ticks]
    parts += [format_html('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>', t.at, chart.bottom + 14,
                          t.label) for t in chart.x_ticks]
    parts.append(format_html('<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>', chart.left, chart.right,
                             chart.bottom, chart.bottom))
    parts += [format_html('<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
                          r.css, r.x, r.y, r.width, r.height, r.title) for r in chart.rects]
    parts += [format_html('<polyline class="line {}{}" points="{}"><title>{}</title></polyline>',
                          line.css, " dashed" if line.dashed else "", line.points, line.title) for line in chart.lines]
    parts += [format_html('<circle class="{}" cx="{}" cy="{}" r="2.5"><title>{}</title></circle>',
                          d.css, d.x, d.y, d.title) for d in chart.dots]
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # every part is format_html's escaped output, or a constant


def _cells(cells: Sequence[TableCell], header: str) -> SafeString:
    first, rest = cells[0], cells[1:]
    html = [format_html('<th scope="row">{}</th>', first.text) if header == "row"
            else format_html('<th scope="col">{}</th>', first.text)]
    for cell in rest:
        if header == "col":
            html.append(format_html('<th scope="col">{}</th>', cell.text))
        elif cell.note:
            html.append(format_html('<td>{}<span class="muted note">{}</span></td>', cell.text, cell.note))
        else:
            html.append(format_html("<td>{}</td>", cell.text))
    return mark_safe("<tr>" + "".join(html) + "</tr>")  # escaped by format_html


def table_html(table: Table, key: str) -> SafeString:
    """The chart's numbers: a row a month, a column a severity, the whole range in the footer."""
    head = _cells([TableCell(h) for h in table.head], "col")
    body = "".join(_cells(row, "row") for row in table.rows)
    foot = format_html("<tfoot>{}</tfoot>", _cells(table.foot, "row")) if table.foot else ""
    return format_html('<table class="result numbers" data-table="{}" aria-labelledby="metric-{}-heading">'
                       "<thead>{}</thead><tbody>{}</tbody>{}</table>", key, key, head, mark_safe(body), foot)
