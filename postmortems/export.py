"""A post-mortem as Markdown in the runbook's own template (../shared/runbook.md, "Post-Mortem Template").

Same headings in the same order, the same bold labels, the Timeline as `- HH:MM - event` lines and the Action
Items as task-list lines, so that an export reads exactly like a post-mortem written by hand from the runbook.
Times are in the site's time zone. The facts (date, duration, severity, commander) come from the incident.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from postmortems.models import ActionItem, ActionItemStatus, PostMortem

TITLE = "# Incident Post-Mortem: {title}"
FACTS = ("Date", "Duration", "Severity", "Incident Commander")
HEADINGS = ("Summary", "Impact", "Timeline", "Root Cause", "Resolution", "Action Items", "Lessons Learned")


def hours(delta: dt.timedelta | None) -> str:
    """The template's "X hours": 1 decimal from an hour on, whole minutes below it."""
    if delta is None:
        return "unknown"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    value = round(seconds / 3600, 1)
    return f"{value:g} hour{'s' if value != 1 else ''}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _clock(at: object) -> str:
    moment = parse_datetime(at) if isinstance(at, str) else None
    if moment is None:
        return "--:--"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return timezone.localtime(moment).strftime("%H:%M")


def _section(text: str, empty: str = "_Not written yet._") -> str:
    # A heading of the same level inside a section would break the template's outline: nest it one deeper.
    body = re.sub(r"^(#{1,2})(?=\s)", r"\1#", text.strip().replace("\r\n", "\n"), flags=re.MULTILINE)
    return body or empty


def _action_item(item: ActionItem) -> str:
    box = "x" if item.status == ActionItemStatus.DONE else " "
    owner = f"Owner: @{item.owner.get_username()}"
    due = f", Due: {item.due_date.isoformat()}" if item.due_date else ""
    ticket = f" {item.ticket_url}" if item.ticket_url else ""
    return f"- [{box}] {_one_line(item.description)} ({owner}{due}){ticket}"


def postmortem_markdown(postmortem: PostMortem, action_items: list[ActionItem]) -> str:
    incident = postmortem.incident
    commander = incident.commander
    impact = [
        f"- Users affected: {postmortem.users_affected:,}" if postmortem.users_affected is not None
        else "- Users affected: unknown",
        f"- Revenue impact: {postmortem.revenue_impact or 'unknown'}",
        f"- Downtime: {hours(postmortem.downtime) if postmortem.downtime is not None else 'none recorded'}",
    ]
    if postmortem.impact.strip():
        impact += ["", _section(postmortem.impact)]
    timeline = [f"- {_clock(row.get('at'))} - {_one_line(row.get('event', ''))}"
                for row in postmortem.timeline if isinstance(row, dict)]
    lines = [
        TITLE.format(title=_one_line(postmortem.title)),
        "",
        f"**Date**: {timezone.localtime(incident.declared_at).date().isoformat()}",
        f"**Duration**: {hours(incident.resolved_at - incident.declared_at) if incident.resolved_at else 'ongoing'}",
        f"**Severity**: {incident.severity.name}",
        f"**Incident Commander**: {(commander.get_full_name() or commander.get_username()) if commander else 'none'}",
        "",
        "## Summary", _section(postmortem.summary), "",
        "## Impact", *impact, "",
        "## Timeline", *(timeline or ["_No entries._"]), "",
        "## Root Cause", _section(postmortem.root_cause), "",
        "## Resolution", _section(postmortem.resolution), "",
        "## Action Items", *([_action_item(i) for i in action_items] or ["_None._"]), "",
        "## Lessons Learned", _section(postmortem.lessons_learned),
    ]
    return "\n".join(lines) + "\n"


def export_filename(postmortem: PostMortem) -> str:
    day = timezone.localtime(postmortem.incident.declared_at).date().isoformat()
    return f"postmortem-{day}-incident-{postmortem.incident_id}.md"
