"""The library page, the reading page and the similar-incidents panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Severity
from postmortems.models import ActionItemStatus, PostMortem, PostMortemStatus
from tests.postmortems.reading_fixtures import bulk_postmortems, record_revision

pytestmark = pytest.mark.django_db


def test_the_library_lists_what_the_reader_may_read(client, viewer, make_postmortem):
    make_postmortem("Published one", service="checkout-api", action_items=[{"description": "x"}])
    make_postmortem("A draft", status=PostMortemStatus.DRAFT)
    client.force_login(viewer)
    response = client.get("/postmortems/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Published one" in body and "A draft" not in body
    assert "checkout-api" in body and "2 h" in body  # service and duration


def test_an_empty_library_says_how_to_write_one_and_an_empty_search_how_to_see_all(client, viewer, make_postmortem):
    client.force_login(viewer)
    assert "No post-mortems yet. When an incident is resolved" in client.get("/postmortems/").content.decode()
    assert "No post-mortems yet" in client.get("/postmortems/?sort=duration").content.decode()
    make_postmortem("Disk full")
    body = client.get("/postmortems/?q=kernel").content.decode()
    assert "No post-mortems match these filters." in body and "No post-mortems yet" not in body


@pytest.mark.parametrize(("query", "field"), [
    ({"severity": "SEV9"}, "severity"),
    ({"status": "lost"}, "status"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-13-01"}, "until"),
    ({"sort": "title"}, "sort"),
    ({"has_open_action_items": "maybe"}, "has_open_action_items"),
    ({"q": "x" * 201}, "q"),
    ({"q": "time\x00out"}, "q"),
])
def test_bad_filters_are_a_400_naming_the_field(as_commander, make_postmortem, query, field):
    make_postmortem()
    response = as_commander.get("/postmortems/", query)
    assert response.status_code == 400
    assert response.context["form"].errors[field]


def test_a_backwards_date_range_and_a_missing_page_are_400(as_commander, make_postmortem):
    make_postmortem()
    response = as_commander.get("/postmortems/", {"since": "2026-03-11", "until": "2026-03-10"})
    assert response.status_code == 400 and b"on or before" in response.content
    for page in ("2", "zero", "-1"):
        response = as_commander.get("/postmortems/", {"page": page})
        assert response.status_code == 400 and b"pages run from 1 to 1" in response.content


def test_filters_sort_and_search_on_the_page(as_commander, make_postmortem):
    make_postmortem("Checkout timeout", severity="SEV1", duration=dt.timedelta(hours=5))
    make_postmortem("Search timeout", severity="SEV1", duration=dt.timedelta(hours=1))
    make_postmortem("Disk full", severity="SEV3")
    response = as_commander.get("/postmortems/", {"q": "timeouts", "severity": "SEV1", "sort": "duration"})
    assert response.status_code == 200
    assert [pm.title for pm in response.context["rows"]] == ["Search timeout", "Checkout timeout"]
    assert b"<mark>timeout</mark>" in response.content.lower()


def test_pages_keep_the_filters(as_commander, commander, sev):
    bulk_postmortems(30, commander=commander, severities=[sev["SEV2"]])
    response = as_commander.get("/postmortems/", {"severity": "SEV2"})
    assert response.context["page"].paginator.num_pages == 2
    assert 'href="?severity=SEV2&page=2"' in response.content.decode()
    assert len(as_commander.get("/postmortems/", {"severity": "SEV2", "page": "2"}).context["rows"]) == 5


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.parametrize("url", ["/postmortems/", "/postmortems/?q=timeout&sort=-duration",
                                 "/postmortems/?has_open_action_items=yes&severity=SEV2",
                                 "/api/postmortems/?search=database&page=2"])
def test_library_and_search_cost_the_same_queries_with_2000_post_mortems(as_commander, commander, sev, url):
    severities = [sev["SEV1"], sev["SEV2"], sev["SEV3"]]
    bulk_postmortems(60, commander=commander, severities=severities)
    small = queries(as_commander, url)
    bulk_postmortems(1940, commander=commander, severities=severities, start=60)
    assert Severity.objects.count() == 4
    big = queries(as_commander, url)
    # session, user, group permissions, user permissions, (severity), count, rows (incident and counts joined)
    assert big == small <= 8


def test_the_reading_page_has_every_section_in_the_runbooks_order(as_commander, make_postmortem, commander):
    pm = make_postmortem(
        "Checkout timeout", users_affected=1200, revenue_impact="$3,000", downtime=dt.timedelta(minutes=90),
        summary_html="<p>SUMMARY</p>", impact_html="<p>IMPACT</p>", root_cause_html="<p>ROOTCAUSE</p>",
        resolution_html="<p>RESOLUTION</p>", lessons_learned_html="<p>LESSONS</p>",
        timeline=[{"at": "2026-03-10T14:00:00+00:00", "event": "Incident detected", "entry": None},
                  {"at": "2026-03-10T14:20:00+00:00", "event": "Rolled <b>back</b>", "entry": None}],
        action_items=[{"description": "Late one", "due_date": timezone.localdate() - dt.timedelta(days=1)},
                      {"description": "Due today", "due_date": timezone.localdate()},
                      {"description": "Done late", "due_date": timezone.localdate() - dt.timedelta(days=9),
                       "status": ActionItemStatus.DONE}])
    body = as_commander.get(f"/postmortems/{pm.pk}/").content.decode()
    order = ["Incident Post-Mortem: Checkout timeout", "Date", "Duration", "Severity", "Incident Commander",
             "<h2>Summary", "SUMMARY", "<h2>Impact", "Users affected: 1,200", "Revenue impact: $3,000", "IMPACT",
             "<h2>Timeline", "Incident detected", "<h2>Root Cause", "ROOTCAUSE", "<h2>Resolution", "RESOLUTION",
             "<h2>Action Items", "Late one", "<h2>Lessons Learned", "LESSONS"]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Rolled &lt;b&gt;back&lt;/b&gt;" in body  # the timeline's events are text, not HTML
    assert "SEV2" in body and "2 h" in body and "@commander" in body
    assert body.count("Overdue</strong>") == 1  # only the open one past its date; not due today, not done
    assert 'class="action-item overdue"' in body
    assert 'href="/static/postmortems/print.css" media="print"' in body
    assert f'href="/postmortems/{pm.pk}/export.md"' in body


def test_the_print_stylesheet_hides_navigation_buttons_and_forms():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/postmortems/print.css").read_text()
    rule = css.split("{")[0]
    for selector in ("header.topbar", "nav", "button", "form"):
        assert selector in rule
    assert "display: none" in css.split("}")[0]


def test_viewers_get_404_for_unpublished_ones_and_read_published_ones(client, viewer, make_postmortem):
    client.force_login(viewer)
    for status in (PostMortemStatus.DRAFT, PostMortemStatus.IN_REVIEW):
        pm = make_postmortem(f"Not yet {status}", status=status)
        assert client.get(f"/postmortems/{pm.pk}/").status_code == 404
        assert client.get(f"/postmortems/{pm.pk}/export.md").status_code == 404
    published = make_postmortem("Out")
    assert client.get(f"/postmortems/{published.pk}/").status_code == 200
    assert client.get("/postmortems/999999/").status_code == 404


def test_writers_read_drafts(client, responder, make_postmortem):
    client.force_login(responder)
    pm = make_postmortem("Draft", status=PostMortemStatus.DRAFT)
    assert client.get(f"/postmortems/{pm.pk}/").status_code == 200


def test_the_edit_and_revisions_links_are_for_writers_only(client, viewer, responder, make_postmortem):
    pm = make_postmortem()
    links = (f'href="/postmortems/{pm.pk}/edit/"', f'href="/postmortems/{pm.pk}/revisions/"')
    client.force_login(responder)
    body = client.get(f"/postmortems/{pm.pk}/").content.decode()
    assert all(link in body for link in links)
    client.force_login(viewer)
    body = client.get(f"/postmortems/{pm.pk}/").content.decode()
    assert not any(link in body for link in links)


# --- the similar incidents panel on the incident page ---

def test_an_open_incident_shows_its_similar_past_incidents(as_commander, make_incident, make_postmortem):
    make_postmortem("Checkout database pool exhausted", service="checkout-api",
                    root_cause_html="<p>Pool too <em>small</em>.</p>")
    make_postmortem("Checkout database pool draft", service="checkout-api", status=PostMortemStatus.DRAFT)
    incident = make_incident(title="Checkout database slow", service_affected="checkout-api")
    body = as_commander.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Similar past incidents" in body
    assert "Checkout database pool exhausted" in body and "Root cause: Pool too small." in body
    assert "draft" not in body


def test_a_resolved_incident_has_no_similar_panel(as_commander, make_incident, make_postmortem):
    make_postmortem("Checkout database pool exhausted", service="checkout-api")
    incident = make_incident(title="Checkout database slow", service_affected="checkout-api", status="resolved")
    assert "Similar past incidents" not in as_commander.get(f"/incidents/{incident.pk}/").content.decode()


def test_the_panel_costs_the_same_queries_whatever_the_library(as_commander, make_incident, commander, sev):
    incident = make_incident(title="Database timeout number", service_affected="service-1")
    page = f"/incidents/{incident.pk}/"
    bulk_postmortems(3, commander=commander, severities=[sev["SEV2"]])
    queries(as_commander, page)  # the first visit also caches the rendered timeline
    bulk_postmortems(1, commander=commander, severities=[sev["SEV2"]], start=3)
    small = queries(as_commander, page)  # a new published post-mortem: the panel asks again
    bulk_postmortems(500, commander=commander, severities=[sev["SEV2"]], start=4)
    assert queries(as_commander, page) == small
    assert queries(as_commander, page) == small - 1  # nothing changed: the answer is kept


def test_the_panel_sees_a_newly_published_post_mortem_and_an_edited_incident(as_commander, make_incident,
                                                                             make_postmortem, commander):
    from incidents import services

    incident = make_incident(title="Checkout database slow", service_affected="checkout-api")
    page = f"/incidents/{incident.pk}/"
    assert "No published post-mortem looks like this incident." in as_commander.get(page).content.decode()
    draft = make_postmortem("Checkout database pool exhausted", service="checkout-api",
                            status=PostMortemStatus.DRAFT)
    assert "Checkout database pool exhausted" not in as_commander.get(page).content.decode()
    PostMortem.objects.filter(pk=draft.pk).update(status=PostMortemStatus.PUBLISHED, updated_at=timezone.now())
    draft.refresh_from_db()
    record_revision(draft)
    assert "Checkout database pool exhausted" in as_commander.get(page).content.decode()
    make_postmortem("Search index rebuild failed", service="search")
    assert "Search index rebuild failed" not in as_commander.get(page).content.decode()
    services.incident_update(incident=incident, by=commander, title="Search index rebuild stuck")
    assert "Search index rebuild failed" in as_commander.get(page).content.decode()
