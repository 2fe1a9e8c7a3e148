"""Times as people read them at 3 a.m.: relative, with the absolute time on hover."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

from warroom import durations
from warroom.durations import span

register = template.Library()


def relative(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    delta = (moment - (now or timezone.now())).total_seconds()
    if abs(delta) < 5:
        return "just now"
    return f"in {span(delta)}" if delta > 0 else f"{span(delta)} ago"


@register.filter
def reltime(moment):
    """<time> that says "12 min ago"; static/warroom/warroom.js keeps it current."""
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}" title="{}" data-relative>{}</time>',
                       moment.isoformat(), local.strftime("%Y-%m-%d %H:%M:%S %Z"), relative(moment))


@register.filter
def duration(delta):
    return span(delta.total_seconds()) if delta is not None else "—"


@register.filter
def minutes_to_go(delta: dt.timedelta) -> str:
    """What is left, as the monitoring gate (services.incident_transition) says it: the same function."""
    return durations.minutes_left(delta)


@register.inclusion_tag("incidents/_sla.html")
def sla(incident):
    """The response clock: counting down, overdue, met or breached."""
    return {"incident": incident, "now": timezone.now()}
