"""GET /postmortems/<id>/export.md: the runbook's Post-Mortem Template, heading for heading.

The expected outline is copied from ../shared/runbook.md, "Post-Incident" → "Post-Mortem Template" (kept here so
the test does not read outside the repository): the title line, four bold facts, seven `##` sections in order,
`- HH:MM - event` timeline lines, `- [ ] … (Owner: @name, Due: YYYY-MM-DD)` action items.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from incidents.models import Incident
from postmortems.export import hours
from postmortems.models import ActionItemStatus, PostMortemStatus
from tests.postmortems.reading_fixtures import DAY

pytestmark = pytest.mark.django_db

# From the runbook's template, in its order.
RUNBOOK_TITLE = re.compile(r"^# Incident Post-Mortem: (?P<title>.+)$")
RUNBOOK_FACTS = ["**Date**: ", "**Duration**: ", "**Severity**: ", "**Incident Commander**: "]
RUNBOOK_HEADINGS = ["## Summary", "## Impact", "## Timeline", "## Root Cause", "## Resolution", "## Action Items",
                    "## Lessons Learned"]
RUNBOOK_IMPACT = ["- Users affected: ", "- Revenue impact: ", "- Downtime: "]
TIMELINE_LINE = re.compile(r"^- \d\d:\d\d - .+$")
ACTION_ITEM_LINE = re.compile(r"^- \[( |x)\] .+ \(Owner: @[\w.@+-]+(, Due: \d{4}-\d\d-\d\d)?\)$")


@pytest.fixture
def postmortem(make_postmortem, commander, responder):
    commander.first_name, commander.last_name = "Asha", "Rao"
    commander.save(update_fields=["first_name", "last_name"])
    return make_postmortem(
        "Checkout API timing out", severity="SEV1", declared_at=DAY, duration=dt.timedelta(hours=2, minutes=30),
        users_affected=12000, revenue_impact="$8,000 (estimate)", downtime=dt.timedelta(minutes=45),
        summary="Checkout failed for **45 minutes**.", impact="Mostly mobile users.",
        root_cause="The pool was too small.\n\n## A heading inside", resolution="Raised the pool limit.",
        lessons_learned="### What went well\nAlerts fired.\n\n### What could be improved\nDashboards.",
        timeline=[{"at": "2026-03-10T14:00:00+00:00", "event": "Incident detected", "entry": 1},
                  {"at": "2026-03-10T14:05:00+00:00", "event": "Investigation\nstarted", "entry": 2},
                  {"at": "2026-03-10T16:30:00+00:00", "event": "Incident resolved", "entry": None}],
        action_items=[{"description": "Alert on pool usage", "owner": responder, "due_date": dt.date(2026, 4, 1)},
                      {"description": "Update runbook", "owner": commander},
                      {"description": "Raise pool limit", "owner": commander, "due_date": dt.date(2026, 3, 11),
                       "status": ActionItemStatus.DONE}])


def export(client, pm) -> tuple[str, object]:
    response = client.get(f"/postmortems/{pm.pk}/export.md")
    assert response.status_code == 200
    return response.content.decode(), response


def test_the_export_follows_the_runbook_template_heading_for_heading(as_commander, postmortem):
    text, _ = export(as_commander, postmortem)
    lines = text.splitlines()
    assert RUNBOOK_TITLE.match(lines[0]).group("title") == "Checkout API timing out"
    assert [line for line in lines if line.startswith("## ")] == RUNBOOK_HEADINGS
    assert [line for line in lines if line.startswith("# ")] == [lines[0]]
    facts = [line for line in lines if line.startswith("**")]
    assert [f[: f.index(":") + 2] for f in facts] == RUNBOOK_FACTS
    assert lines[2:6] == facts  # right under the title, as in the template
    local = timezone.localtime(DAY)
    assert facts == [f"**Date**: {local.date().isoformat()}", "**Duration**: 2.5 hours", "**Severity**: SEV1",
                     "**Incident Commander**: Asha Rao"]


def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def test_each_section_reads_as_the_runbook_writes_it(as_commander, postmortem):
    text, _ = export(as_commander, postmortem)
    impact = _section(text, "## Impact")
    assert [line[: len(label)] for line, label in zip(impact, RUNBOOK_IMPACT, strict=False)] == RUNBOOK_IMPACT
    assert impact[:3] == ["- Users affected: 12,000", "- Revenue impact: $8,000 (estimate)",
                          "- Downtime: 45 minutes"]
    assert impact[3:] == ["Mostly mobile users."]  # the template's three figures, then the prose
    timeline = _section(text, "## Timeline")
    assert all(TIMELINE_LINE.match(line) for line in timeline)
    clock = [timezone.localtime(DAY + dt.timedelta(minutes=m)).strftime("%H:%M") for m in (0, 5, 150)]
    assert timeline == [f"- {clock[0]} - Incident detected", f"- {clock[1]} - Investigation started",
                        f"- {clock[2]} - Incident resolved"]
    items = _section(text, "## Action Items")
    assert all(ACTION_ITEM_LINE.match(line) for line in items), items
    assert items == ["- [x] Raise pool limit (Owner: @commander, Due: 2026-03-11)",
                     "- [ ] Alert on pool usage (Owner: @responder, Due: 2026-04-01)",
                     "- [ ] Update runbook (Owner: @commander)"]
    assert _section(text, "## Summary") == ["Checkout failed for **45 minutes**."]  # the Markdown source
    # A writer's own level-2 heading would add a section to the template: it goes one level down.
    assert _section(text, "## Root Cause") == ["The pool was too small.", "### A heading inside"]
    assert _section(text, "## Lessons Learned")[0] == "### What went well"


def test_it_is_served_as_markdown_with_a_filename(as_commander, postmortem):
    _, response = export(as_commander, postmortem)
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    day = timezone.localtime(DAY).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="postmortem-{day}-incident-{postmortem.incident_id}.md"')


def test_empty_sections_keep_their_headings(as_commander, make_postmortem):
    pm = make_postmortem("Bare")
    text, _ = export(as_commander, pm)
    assert [line for line in text.splitlines() if line.startswith("## ")] == RUNBOOK_HEADINGS
    Incident.objects.filter(pk=pm.incident_id).update(commander=None)
    text, _ = export(as_commander, pm)
    assert "**Incident Commander**: none" in text


def test_viewers_export_published_ones_only(client, viewer, make_postmortem):
    client.force_login(viewer)
    assert client.get(f"/postmortems/{make_postmortem('Draft', status=PostMortemStatus.DRAFT).pk}/export.md"
                      ).status_code == 404
    assert client.get(f"/postmortems/{make_postmortem('Out').pk}/export.md").status_code == 200


@pytest.mark.parametrize(("delta", "words"), [
    (dt.timedelta(0), "0 minutes"), (dt.timedelta(minutes=1), "1 minute"), (dt.timedelta(minutes=59), "59 minutes"),
    (dt.timedelta(hours=1), "1 hour"), (dt.timedelta(minutes=90), "1.5 hours"), (dt.timedelta(hours=26), "26 hours"),
    (None, "unknown"),
])
def test_durations_read_as_the_templates_hours(delta, words):
    assert hours(delta) == words
