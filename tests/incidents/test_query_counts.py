"""Pages cost the same number of queries with 2 incidents or 200 incidents × 50 timeline entries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Entry, Incident

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(make_incident, commander, *, incidents: int, entries: int) -> Incident:
    """Many open incidents, each with a long timeline (bulk-inserted: this is test data, not behaviour)."""
    made = [make_incident(title=f"Incident {n}", severity=f"SEV{n % 4 + 1}", acknowledge=n % 2 == 0)
            for n in range(incidents)]
    now = timezone.now()
    Entry.objects.bulk_create(
        Entry(incident=incident, kind=Entry.Kind.NOTE, text=f"note {i}", author=commander, created_at=now)
        for incident in made for i in range(entries)
    )
    return made[0]


@pytest.fixture
def logged_in(client, commander, responder, viewer):
    client.force_login(commander)
    return client


def test_dashboard_query_count_is_constant(logged_in, make_incident, commander):
    grow(make_incident, commander, incidents=2, entries=2)
    small = queries(logged_in, "/")
    grow(make_incident, commander, incidents=198, entries=50)
    assert Incident.objects.open().count() == 200
    assert queries(logged_in, "/") == small <= 8


def test_incident_page_query_count_is_constant(logged_in, make_incident, commander):
    few = grow(make_incident, commander, incidents=1, entries=2)
    small = queries(logged_in, f"/incidents/{few.pk}/")
    many = grow(make_incident, commander, incidents=200, entries=50)
    assert many.entries.count() == 52  # declared, acknowledged and 50 notes
    # incident, timeline, severities, users, permissions, session, and the diagnostics, mitigations,
    # notifications and alerts panels, and the post-mortems' similar incidents panel (two queries on a first
    # visit, one once its answer is cached); the status panel: the public record, degraded providers and, for
    # commanders, the public components; the diagnostics panel's memory watches (one) and the DBA to call for the
    # pool-exhausted solution (two: the role and its holders, through incidents.extensions.contacts_for_role); the
    # outbox's count of waiting work (the "workers unreachable" notice)
    assert queries(logged_in, f"/incidents/{many.pk}/") == small <= 23


def test_history_query_count_is_constant(logged_in, make_incident, commander):
    grow(make_incident, commander, incidents=2, entries=1)
    small = queries(logged_in, "/incidents/history/?severity=SEV1")
    grow(make_incident, commander, incidents=200, entries=50)
    assert queries(logged_in, "/incidents/history/?severity=SEV1") == small <= 10


def test_idle_live_polls_cost_at_most_the_session_and_one_query(logged_in, make_incident, commander):
    incident = grow(make_incident, commander, incidents=200, entries=50)
    token = logged_in.get("/").context["token"]
    with CaptureQueriesContext(connection) as dashboard_poll:
        assert logged_in.get("/live/", {"v": token}).status_code == 204
    with CaptureQueriesContext(connection) as incident_poll:
        assert logged_in.get(f"/incidents/{incident.pk}/live/?v={incident.version}").status_code == 204
    # session + user + permissions (2) + the version check
    assert len(dashboard_poll) <= 5 and len(incident_poll) <= 5


def test_api_list_query_count_is_constant(logged_in, make_incident, commander):
    grow(make_incident, commander, incidents=3, entries=1)
    small = queries(logged_in, "/api/incidents/")
    grow(make_incident, commander, incidents=100, entries=5)
    assert queries(logged_in, "/api/incidents/") == small


def test_stars_add_no_query_per_timeline_line(logged_in, make_incident, commander):
    from incidents.services import entry_star

    few = grow(make_incident, commander, incidents=1, entries=2)
    entry_star(entry=few.entries.get(kind=Entry.Kind.ACKNOWLEDGED), by=commander)
    small = queries(logged_in, f"/incidents/{few.pk}/")
    many = grow(make_incident, commander, incidents=1, entries=50)
    for entry in many.entries.filter(kind=Entry.Kind.NOTE)[:20]:
        entry_star(entry=entry, by=commander)
    assert queries(logged_in, f"/incidents/{many.pk}/") == small
