"""The public status page, its Statuspage v2 JSON and Atom feed: anonymous, public data only, cached."""

import datetime as dt
import json

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services as incident_services
from status import selectors, services
from status.models import Component, ComponentStatus, PublicIncident, PublicStatus

pytestmark = pytest.mark.django_db
URLS = ["/status/", "/status/api/v2/summary.json", "/status/history.atom"]
SECRET_TITLE = "db-primary-7 OOM killed by runaway reindex"
SECRET_NOTE = "ssh bastion then psql as admin, password hunter2"


@pytest.fixture
def components():
    return {name: Component.objects.create(name=name, position=i) for i, name in enumerate(["Checkout", "Search"])}


@pytest.fixture
def public_incident(make_incident, commander, components):
    incident = make_incident(title=SECRET_TITLE, acknowledge=True, summary="Internal summary: reindex job 4411",
                             service_affected="payments-db")
    incident_services.timeline_note(incident=incident, text=SECRET_NOTE, by=commander)
    services.status_update_post(incident=incident, title="Checkout errors", body="We are looking into failed payments.",
                                impact="major", status=PublicStatus.INVESTIGATING, components=[components["Checkout"]],
                                component_status=ComponentStatus.PARTIAL_OUTAGE, by=commander)
    return incident


def _bodies(client) -> dict[str, str]:
    return {url: client.get(url).content.decode() for url in URLS}


def test_anonymous_reads_all_three(client, public_incident):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "public" in response["Cache-Control"]
    page = client.get("/status/").content.decode()
    assert "Checkout errors" in page and "We are looking into failed payments." in page
    assert "Partial outage" in page and "Partial System Outage" in page


def test_nothing_internal_leaks(client, public_incident, commander, make_incident):
    from incidents.models import Entry

    make_incident(title="Another internal only incident")  # never made public
    assert Entry.objects.filter(incident=public_incident).exists()
    internal = [SECRET_TITLE, SECRET_NOTE, "hunter2", "reindex job 4411", "payments-db", commander.username,
                "Another internal only incident", public_incident.war_room, "SEV2", "Internal summary"]
    for url, body in _bodies(client).items():
        for word in internal:
            assert word not in body, (url, word)


def test_summary_json_is_statuspage_v2(client, public_incident, components):
    body = json.loads(client.get("/status/api/v2/summary.json").content)
    assert set(body) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert body["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [(c["name"], c["status"]) for c in body["components"]] == [("Checkout", "partial_outage"),
                                                                       ("Search", "operational")]
    [incident] = body["incidents"]
    assert set(incident) == {"id", "name", "status", "impact", "created_at", "updated_at", "resolved_at", "shortlink",
                             "components", "incident_updates"}
    assert (incident["name"], incident["status"], incident["impact"]) == ("Checkout errors", "investigating", "major")
    assert [set(u) for u in incident["incident_updates"]] == [{"id", "status", "body", "created_at", "updated_at"}]
    assert incident["id"] == str(PublicIncident.objects.get().pk)  # the public record's id, not the incident's


def test_atom_feed_lists_public_updates(client, public_incident, commander):
    services.status_update_post(incident=public_incident, title="Checkout errors", body="Fixed; watching.",
                                impact="major", status=PublicStatus.MONITORING, components=[], by=commander)
    response = client.get("/status/history.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    ns = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{ns}title") for e in root.iter(f"{ns}entry")]
    assert titles == ["Checkout errors — Monitoring", "Checkout errors — Investigating"]


def test_resolved_shows_for_14_days(client, make_incident, commander, components):
    now = timezone.now()
    for days, title in [(13, "Inside"), (15, "Outside")]:
        incident = make_incident(title=f"internal {title}")
        services.status_update_post(incident=incident, title=title, body="Resolved.", impact="minor",
                                    status=PublicStatus.RESOLVED, components=[], by=commander,
                                    now=now - dt.timedelta(days=days))
    data = selectors.public_data(now=now)
    assert [i["name"] for i in data["resolved"]] == ["Inside"]
    assert data["incidents"] == [] and data["status"]["indicator"] == "none"
    page = client.get("/status/").content.decode()
    assert "Inside" in page and "Outside" not in page and "All Systems Operational" in page


def test_second_request_makes_no_query(client, public_incident, django_assert_num_queries):
    for url in URLS:
        client.get(url)  # the first fills the cache (or finds it)
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200


def _first_request_queries(client) -> int:
    selectors.public_forget()
    with CaptureQueriesContext(connection) as queries:
        client.get("/status/")
    return len(queries)


def test_filling_the_cache_costs_the_same_at_two_sizes(client, make_incident, commander, components):
    def add(n):
        for i in range(n):
            incident = make_incident(title=f"internal {i}")
            for status in (PublicStatus.INVESTIGATING, PublicStatus.RESOLVED):
                services.status_update_post(incident=incident, title=f"Public {i}", body="x", impact="minor",
                                            status=status, components=list(components.values()), by=commander)
    add(1)
    small = _first_request_queries(client)
    add(4)
    assert _first_request_queries(client) == small


def test_an_update_clears_the_cache(client, public_incident, commander, django_capture_on_commit_callbacks):
    client.get("/status/")
    with django_capture_on_commit_callbacks(execute=True):  # cleared once the update commits
        services.status_update_post(incident=public_incident, title="Checkout errors", body="All fixed now.",
                                    impact="major", status=PublicStatus.RESOLVED, components=[], by=commander)
    page = client.get("/status/").content.decode()
    assert "All fixed now." in page and "No current incidents." in page
    assert Component.objects.get(name="Checkout").status == ComponentStatus.OPERATIONAL


def test_a_component_edit_clears_the_cache(client, components, django_capture_on_commit_callbacks):
    assert "Degraded performance" not in client.get("/status/").content.decode()
    search = components["Search"]
    search.status = ComponentStatus.DEGRADED_PERFORMANCE
    with django_capture_on_commit_callbacks(execute=True):
        search.save(update_fields=["status"])
    assert "Degraded performance" in client.get("/status/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        search.delete()
    assert "Search" not in client.get("/status/").content.decode()


def test_without_invalidation_the_cache_would_serve_the_old_page(client, components):
    """The counter-test: a change that clears nothing is not seen until the TTL; so the clearing above matters."""
    client.get("/status/")
    Component.objects.filter(name="Search").update(status=ComponentStatus.MAJOR_OUTAGE)  # no signal, no clearing
    assert "Major outage" not in client.get("/status/").content.decode()


def test_public_urls_are_read_only(client, commander):
    client.force_login(commander)
    for url in URLS:
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 405, (method, url)


def test_demo_fills_the_status_page_once(settings, runbook, client, capsys):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo")
    call_command("demo")
    assert Component.objects.count() == 4
    page = client.get("/status/").content.decode()
    assert "Slow checkout for some customers" in page and "Checkout" in page
