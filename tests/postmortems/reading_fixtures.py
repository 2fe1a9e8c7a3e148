"""Post-mortems as test data for the reading side (library, search, similar, export).

Written straight to the tables: the writing services are another branch's, and these tests are about reads.
Each prose section's HTML is the escaped source in a <p>, as a sanitiser would leave plain text; the search
vector is computed by the real `search_vector_update` (one bulk UPDATE for the big sets).
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from incidents.models import Incident, Severity, Status
from postmortems.models import SECTIONS, ActionItem, ActionItemStatus, PostMortem, PostMortemStatus, Revision
from postmortems.search import CONFIG, search_vector_update

DAY = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


def _html(text: str) -> str:
    return f"<p>{html.escape(text)}</p>" if text else ""


def resolved_incident(*, title: str, severity: Severity, commander, declared_at: dt.datetime,
                      duration: dt.timedelta, service: str = "", summary: str = "", n: int = 0) -> Incident:
    return Incident.objects.create(
        title=title, summary=summary, severity=severity, status=Status.RESOLVED, service_affected=service,
        commander=commander, declared_by=commander, war_room=f"#incident-test-{declared_at:%Y%m%d%H%M%S}-{n}",
        declared_at=declared_at, response_due_at=declared_at + dt.timedelta(minutes=15),
        acknowledged_at=declared_at + dt.timedelta(minutes=5), resolved_at=declared_at + duration,
        updated_at=declared_at + duration)


@pytest.fixture
def make_postmortem(commander, sev):
    return postmortem_factory(commander, sev)


def postmortem_factory(commander, sev):
    """make(title, **fields): a post-mortem (published unless told) on a resolved incident of its own."""
    counter = iter(range(1, 1_000_000))

    def make(title: str = "Checkout API timing out", *, status: str = PostMortemStatus.PUBLISHED,
             severity: str = "SEV2", declared_at: dt.datetime = DAY, duration: dt.timedelta = dt.timedelta(hours=2),
             service: str = "checkout-api", incident: Incident | None = None, timeline: list | None = None,
             action_items: list[dict] | None = None, **sections) -> PostMortem:
        n = next(counter)
        if incident is None:
            incident = resolved_incident(title=title, severity=sev[severity], commander=commander,
                                         declared_at=declared_at, duration=duration, service=service, n=n)
        fields = {name: sections.pop(name, "") for name in SECTIONS}
        rendered = {f"{name}_html": sections.pop(f"{name}_html", _html(text)) for name, text in fields.items()}
        pm = PostMortem.objects.create(
            incident=incident, status=status, title=title, service=service, timeline=timeline or [],
            created_by=commander, updated_by=commander,
            published_at=timezone.now() if status == PostMortemStatus.PUBLISHED else None,
            **fields, **rendered, **sections)
        for item in action_items or []:
            done = item.get("status") == ActionItemStatus.DONE
            ActionItem.objects.create(postmortem=pm, description=item["description"],
                                      owner=item.get("owner", commander), due_date=item.get("due_date"),
                                      status=item.get("status", ActionItemStatus.OPEN),
                                      done_at=timezone.now() if done else None,
                                      created_by=commander, updated_by=commander)
        record_revision(pm)
        search_vector_update(postmortem_id=pm.pk)
        return pm

    return make


def record_revision(pm: PostMortem) -> Revision:
    """What the writing services add on every write of a post-mortem (the similar panel's cache watches them)."""
    number = (pm.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return Revision.objects.create(postmortem=pm, number=number, status=pm.status, content={"title": pm.title},
                                   by=pm.updated_by)


def bulk_postmortems(count: int, *, commander, severities: list[Severity], start: int = 0) -> None:
    """`count` resolved incidents with a published post-mortem each and an open action item on every other one:
    bulk inserts and one UPDATE for all the vectors."""
    incidents = Incident.objects.bulk_create(
        Incident(title=f"Bulk incident {n}", severity=severities[n % len(severities)], status=Status.RESOLVED,
                 war_room=f"#incident-bulk-{n}", commander=commander, declared_by=commander,
                 declared_at=DAY - dt.timedelta(hours=n), response_due_at=DAY - dt.timedelta(hours=n),
                 acknowledged_at=DAY - dt.timedelta(hours=n), resolved_at=DAY - dt.timedelta(hours=n) +
                 dt.timedelta(minutes=30 + n % 90), updated_at=DAY)
        for n in range(start, start + count))
    pms = PostMortem.objects.bulk_create(
        PostMortem(incident=incident, status=PostMortemStatus.PUBLISHED, title=f"Database timeout number {i}",
                   service=f"service-{i % 7}", summary="Requests timed out against the primary database.",
                   summary_html="<p>Requests timed out against the primary database.</p>",
                   root_cause="The connection pool was exhausted.", created_by=commander, updated_by=commander)
        for i, incident in enumerate(incidents, start))
    Revision.objects.bulk_create(Revision(postmortem=pm, number=1, status=pm.status, content={}, by=commander)
                                 for pm in pms)
    ActionItem.objects.bulk_create(
        ActionItem(postmortem=pm, description=f"Raise the pool limit {i}", owner=commander, created_by=commander,
                   updated_by=commander)
        for i, pm in enumerate(pms) if i % 2 == 0)
    if connection.vendor == "postgresql":
        PostMortem.objects.filter(pk__in=[pm.pk for pm in pms]).update(search_vector=(
            SearchVector("title", weight="A", config=CONFIG) + SearchVector("root_cause", weight="B", config=CONFIG)
            + SearchVector("summary", weight="C", config=CONFIG)))

