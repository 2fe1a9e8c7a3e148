"""Stars on timeline lines: responders and commanders mark what the post-mortem should keep; each star is recorded."""

import pytest
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import Entry, Star

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(make_incident, responder):
    incident = make_incident(acknowledge=True)
    services.timeline_note(incident=incident, by=responder, text="Pool at 96% of max_connections")
    return incident


def note(incident) -> Entry:
    return incident.entries.get(kind=Entry.Kind.NOTE)


def test_starring_records_who_and_puts_a_line_on_the_timeline_and_bumps_the_version(incident, responder):
    version = type(incident).objects.get(pk=incident.pk).version
    star = services.entry_star(entry=note(incident), by=responder)
    assert star.by == responder and star.entry == note(incident)
    line = incident.entries.last()
    assert line.kind == Entry.Kind.STARRED and line.author == responder and line.data == {"entry": note(incident).pk}
    assert "@responder starred note “Pool at 96% of max_connections”" in line.text
    assert type(incident).objects.get(pk=incident.pk).version == version + 1


def test_starring_twice_keeps_one_star_and_one_line(incident, responder, commander):
    services.entry_star(entry=note(incident), by=responder)
    entries = incident.entries.count()
    again = services.entry_star(entry=note(incident), by=commander)
    assert again.by == responder and Star.objects.count() == 1 and incident.entries.count() == entries


def test_unstarring_removes_the_star_and_says_whose_it_was(incident, responder, commander):
    services.entry_star(entry=note(incident), by=responder)
    services.entry_unstar(entry=note(incident), by=commander)
    assert not Star.objects.exists()
    line = incident.entries.last()
    assert line.kind == Entry.Kind.UNSTARRED and line.author == commander
    assert "@commander removed @responder's star" in line.text


def test_unstarring_a_line_without_a_star_changes_nothing(incident, responder):
    entries = incident.entries.count()
    services.entry_unstar(entry=note(incident), by=responder)
    assert incident.entries.count() == entries


def test_a_stars_own_line_cannot_be_starred(incident, responder):
    services.entry_star(entry=note(incident), by=responder)
    with pytest.raises(services.TransitionError, match="records a star"):
        services.entry_star(entry=incident.entries.get(kind=Entry.Kind.STARRED), by=responder)


def test_starring_stays_allowed_after_resolution_when_the_post_mortem_is_written(make_incident, responder):
    incident = make_incident(status="resolved")
    services.entry_star(entry=incident.entries.get(kind=Entry.Kind.DECLARED), by=responder)
    assert Star.objects.filter(entry__incident=incident).count() == 1


def test_a_viewer_cannot_star_or_unstar(incident, viewer, responder):
    with pytest.raises(PermissionDenied):
        services.entry_star(entry=note(incident), by=viewer)
    services.entry_star(entry=note(incident), by=responder)
    with pytest.raises(PermissionDenied):
        services.entry_unstar(entry=note(incident), by=viewer)
    assert Star.objects.count() == 1


# --- the page -------------------------------------------------------------------------------------------------------

def test_the_page_shows_a_star_button_per_line_to_responders_only(client, incident, responder, viewer):
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert html.count('form="star-form"') == incident.entries.count()
    assert 'id="star-form"' in html
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'form="star-form"' not in html and 'id="star-form"' not in html


def test_star_without_javascript_redirects_and_the_line_shows_the_star(client, incident, responder, viewer):
    client.force_login(responder)
    url = f"/incidents/{incident.pk}/entries/{note(incident).pk}/star/"
    response = client.post(url, {"action": "star"})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'aria-pressed="true"' in html and "Starred by @responder" in html
    client.force_login(viewer)  # the cached timeline is per "may star": the viewer gets no button, but sees the star
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Starred by @responder" in html and 'form="star-form"' not in html


def test_star_with_htmx_answers_the_live_fragment_and_unstar_takes_it_off(client, incident, responder):
    client.force_login(responder)
    url = f"/incidents/{incident.pk}/entries/{note(incident).pk}/star/"
    response = client.post(url, {"action": "star"}, **HTMX)
    assert response.status_code == 200 and 'id="timeline"' in response.content.decode()
    assert "entry-starred" in response.content.decode()
    client.post(url, {"action": "unstar"}, **HTMX)
    assert not Star.objects.exists()


def test_star_page_refusals(client, incident, make_incident, responder, viewer):
    client.force_login(responder)
    url = f"/incidents/{incident.pk}/entries/{note(incident).pk}/star/"
    assert client.post(url, {"action": "shine"}).status_code == 400
    other = make_incident(title="Other")
    elsewhere = f"/incidents/{other.pk}/entries/{note(incident).pk}/star/"
    assert client.post(elsewhere, {"action": "star"}).status_code == 404
    client.force_login(viewer)
    assert client.post(url, {"action": "star"}).status_code == 403
    assert not Star.objects.exists()


# --- the API --------------------------------------------------------------------------------------------------------

def test_api_star_and_unstar(api, incident, responder, viewer):
    url = f"/api/incidents/{incident.pk}/entries/{note(incident).pk}/star/"
    response = api(responder).post(url)
    assert response.status_code == 200 and response.json()["starred_by"] == "responder"
    timeline = api(viewer).get(f"/api/incidents/{incident.pk}/timeline/").json()["results"]
    assert [e["starred_by"] for e in timeline if e["kind"] == "note"] == ["responder"]
    assert api(viewer).delete(url).status_code == 403
    response = api(responder).delete(url)
    assert response.status_code == 200 and response.json()["starred_by"] is None


def test_api_star_refusals(api, incident, make_incident, responder):
    services.entry_star(entry=note(incident), by=responder)
    starred_line = incident.entries.get(kind=Entry.Kind.STARRED)
    response = api(responder).post(f"/api/incidents/{incident.pk}/entries/{starred_line.pk}/star/")
    assert response.status_code == 409 and "records a star" in response.json()["detail"]
    other = make_incident(title="Other")
    assert api(responder).post(f"/api/incidents/{other.pk}/entries/{note(incident).pk}/star/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_people_starring_at_once_make_one_star_and_one_line(make_incident, commander, responder):
    import threading

    from django.db import connection

    incident = make_incident(acknowledge=True)
    entry = incident.entries.get(kind=Entry.Kind.DECLARED)
    barrier, errors = threading.Barrier(2), []

    def star(user):
        barrier.wait()
        try:
            services.entry_star(entry=entry, by=user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=star, args=(u,)) for u in (commander, responder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert Star.objects.count() == 1 and incident.entries.filter(kind=Entry.Kind.STARRED).count() == 1
