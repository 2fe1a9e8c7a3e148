"""The library's selector: visibility, filters, sorts, the open action items count; similar past incidents."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Severity
from postmortems import selectors
from postmortems.models import ActionItemStatus, PostMortemStatus
from tests.postmortems.reading_fixtures import DAY

pytestmark = pytest.mark.django_db
ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def library(user, **filters):
    return [pm.title for pm in selectors.postmortems_library(user=user, **filters)]


def test_viewers_read_published_ones_writers_all(make_postmortem, viewer, responder, commander, outsider):
    make_postmortem("Published")
    make_postmortem("Draft", status=PostMortemStatus.DRAFT)
    make_postmortem("In review", status=PostMortemStatus.IN_REVIEW)
    assert library(viewer) == ["Published"]
    assert library(outsider) == []  # pages refuse them (403) before they get here anyway
    assert set(library(responder)) == set(library(commander)) == {"Published", "Draft", "In review"}


def test_filters_by_severity_status_service(make_postmortem, commander):
    make_postmortem("A", severity="SEV1", service="checkout-api")
    make_postmortem("B", severity="SEV2", service="Checkout-API", status=PostMortemStatus.DRAFT)
    make_postmortem("C", severity="SEV1", service="search-api")
    assert set(library(commander, severity=Severity.objects.get(name="SEV1"))) == {"A", "C"}
    assert library(commander, status=PostMortemStatus.DRAFT) == ["B"]
    assert set(library(commander, service="checkout-api")) == {"A", "B"}  # case-insensitive, whole name
    assert library(commander, service="checkout") == []


def test_the_date_range_is_the_incidents_declared_day_both_ends_included(make_postmortem, commander):
    day = dt.date(2026, 3, 10)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=ZONE)
    make_postmortem("Just before", declared_at=start - dt.timedelta(microseconds=1))
    make_postmortem("First moment", declared_at=start)
    make_postmortem("Last moment", declared_at=start + dt.timedelta(days=1, microseconds=-1))
    make_postmortem("Next day", declared_at=start + dt.timedelta(days=1))
    assert set(library(commander, since=day, until=day)) == {"First moment", "Last moment"}
    assert set(library(commander, since=day)) == {"First moment", "Last moment", "Next day"}
    assert set(library(commander, until=day)) == {"Just before", "First moment", "Last moment"}
    assert len(library(commander, until=dt.date.max, since=dt.date.min)) == 4


def test_has_open_action_items_and_the_count(make_postmortem, commander):
    make_postmortem("Two open", action_items=[{"description": "a"}, {"description": "b"},
                                              {"description": "c", "status": ActionItemStatus.DONE}])
    make_postmortem("All done", action_items=[{"description": "d", "status": ActionItemStatus.DONE}])
    make_postmortem("None")
    counts = {pm.title: pm.open_action_items for pm in selectors.postmortems_library(user=commander)}
    assert counts == {"Two open": 2, "All done": 0, "None": 0}
    assert library(commander, has_open_action_items=True) == ["Two open"]
    assert set(library(commander, has_open_action_items=False)) == {"All done", "None"}


def test_sorts_by_date_and_duration(make_postmortem, commander):
    make_postmortem("Old short", declared_at=DAY - dt.timedelta(days=2), duration=dt.timedelta(minutes=10))
    make_postmortem("New medium", declared_at=DAY, duration=dt.timedelta(hours=1))
    make_postmortem("Middle long", declared_at=DAY - dt.timedelta(days=1), duration=dt.timedelta(hours=9))
    assert library(commander) == ["New medium", "Middle long", "Old short"]
    assert library(commander, sort="date") == ["Old short", "Middle long", "New medium"]
    assert library(commander, sort="-duration") == ["Middle long", "New medium", "Old short"]
    assert library(commander, sort="duration") == ["Old short", "New medium", "Middle long"]
    [middle] = [pm for pm in selectors.postmortems_library(user=commander) if pm.title == "Middle long"]
    assert middle.duration == dt.timedelta(hours=9)
    with pytest.raises(ValueError, match="Unknown sort"):
        selectors.postmortems_library(user=commander, sort="title")


def test_the_library_is_one_query_whatever_the_rows(make_postmortem, commander):
    for n in range(3):
        make_postmortem(f"PM {n}", action_items=[{"description": "x"}])
    commander.has_perm("postmortems.write_postmortem")  # the permission cache, filled once per request anyway
    with CaptureQueriesContext(connection) as captured:
        rows = [(pm.title, pm.incident.severity.name, pm.incident.commander, pm.open_action_items)
                for pm in selectors.postmortems_library(user=commander, q="pm")]
    assert len(rows) == 3 and len(captured) == 1


# --- similar past incidents (PostgreSQL; the SQLite fallback is in test_search.py) ---

def test_similar_picks_the_three_best_published_matches(make_postmortem, make_incident, commander):
    make_postmortem("Checkout database connection pool exhausted", service="checkout-api",
                    root_cause="The **pool** was too small.\n\nAnd more.",
                    root_cause_html="<p>The <strong>pool</strong> was too small.</p>\n<p>And more.</p>")
    make_postmortem("Checkout API timeouts", service="checkout-api", root_cause="A slow query.")
    make_postmortem("Database failover", service="payments", root_cause="Disk.")
    make_postmortem("Checkout database pool draft", service="checkout-api", status=PostMortemStatus.DRAFT)
    make_postmortem("Search index rebuild", service="search", root_cause="Cron.")
    make_postmortem("Marketing email sent twice", service="mailer")
    incident = make_incident(title="Checkout timing out: database pool", summary="Connections exhausted",
                             service_affected="checkout-api")
    found = selectors.similar_postmortems(incident=incident)
    assert [pm.title for pm in found] == ["Checkout database connection pool exhausted", "Checkout API timeouts",
                                          "Database failover"]
    assert found[0].root_cause_line == "The pool was too small. And more."


def test_similar_never_lists_the_incident_itself_and_needs_words(make_postmortem, make_incident, commander):
    incident = make_incident(title="Checkout database pool", service_affected="checkout-api", status="resolved")
    make_postmortem("Checkout database pool", incident=incident)
    assert selectors.similar_postmortems(incident=incident) == []
    assert selectors.similar_postmortems(incident=make_incident(title="!!!", summary="")) == []


def test_similar_is_one_query(make_postmortem, make_incident):
    for n in range(5):
        make_postmortem(f"Checkout outage {n}", service="checkout-api")
    incident = make_incident(title="Checkout outage", service_affected="checkout-api")
    with CaptureQueriesContext(connection) as captured:
        found = selectors.similar_postmortems(incident=incident)
    assert len(found) == 3 and len(captured) == 1
