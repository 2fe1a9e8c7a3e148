"""A small SVG line chart of one pod's memory, drawn here (no script, no external library): the samples as a line,
its request and limit as dashed lines. Every value written into the SVG is a number we computed, and the one text
(the pod's name, in a <title>) is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from diagnostics.trend import MIB

WIDTH, HEIGHT, PAD = 320, 90, 4


def _y(value: float, top: float) -> float:
    return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value / top if top else 0), 1)


def memory_svg(pod: str, samples: Sequence[tuple[float, int]], request: int | None, limit: int | None) -> SafeString:
    """samples: (seconds since the watch began, bytes), oldest first. The y axis starts at 0 and reaches 10 % over
    the highest of the samples, the request and the limit; the x axis spans the samples."""
    top = max([y for _, y in samples] + [v for v in (request, limit) if v]) * 1.1 if samples or request or limit else 1
    t0 = samples[0][0] if samples else 0
    span = (samples[-1][0] - t0) if len(samples) > 1 else 1

    def x(t: float) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * ((t - t0) / span if span else 0), 1)

    parts = [format_html('<svg class="memory-chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
                         'aria-label="memory of {}"><title>memory of {}</title>',
                         WIDTH, HEIGHT, WIDTH, HEIGHT, pod, pod)]
    for value, css, label in ((limit, "limit", "limit"), (request, "request", "request")):
        if value:
            y = _y(value, top)
            parts.append(format_html('<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}" stroke-dasharray="4 3"/>'
                                     '<text class="{}" x="{}" y="{}" font-size="9">{} {} Mi</text>',
                                     css, PAD, WIDTH - PAD, y, y, css, PAD + 2, max(y - 2, 9), label,
                                     value // MIB))
    if samples:
        points = " ".join(f"{x(t)},{_y(v, top)}" for t, v in samples)
        parts.append(format_html('<polyline class="usage" fill="none" points="{}"/>', points))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))
