"""The commander's "Update status page": the service, the incident page's form, its 400s and its timeline entry."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import Entry
from status import services
from status.apps import STATUS_PAGE_ENTRY
from status.models import Component, ComponentStatus, PublicIncident, PublicStatus, PublicUpdate

pytestmark = pytest.mark.django_db
GOOD = {"title": "Checkout errors", "status": "investigating", "impact": "minor", "body": "Looking into it."}


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Internal: pg primary failover", acknowledge=True)


@pytest.fixture
def checkout():
    return Component.objects.create(name="Checkout")


def test_commander_posts_an_update_and_the_timeline_says_so(client, commander, incident, checkout):
    client.force_login(commander)
    response = client.post(f"/incidents/{incident.pk}/status-page/",
                           {**GOOD, "components": [checkout.pk], "component_status": "partial_outage"})
    assert response.status_code == 302
    public = PublicIncident.objects.get(incident=incident)
    assert (public.title, public.status, public.impact) == ("Checkout errors", "investigating", "minor")
    assert list(public.components.all()) == [checkout]
    checkout.refresh_from_db()
    assert checkout.status == ComponentStatus.PARTIAL_OUTAGE
    entry = incident.entries.get(kind=STATUS_PAGE_ENTRY)
    assert entry.author == commander and "“Checkout errors”: Looking into it." in entry.text
    assert entry.data["update"] == public.updates.get().pk


def test_the_incident_page_offers_it_to_commanders_only(client, commander, responder, incident):
    client.force_login(commander)
    assert 'name="status-update"' in client.get(f"/incidents/{incident.pk}/").content.decode()
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="status-page"' in page and 'name="status-update"' not in page


def test_the_resolution_step_opens_it(client, commander, make_incident):
    monitoring = make_incident(status="monitoring")
    client.force_login(commander)
    assert "Resolving? Update status page" in client.get(f"/incidents/{monitoring.pk}/").content.decode()


def test_publishing_the_internal_title_is_explicit(client, commander, incident):
    client.force_login(commander)
    client.post(f"/incidents/{incident.pk}/status-page/", {**GOOD, "title": "", "use_incident_title": "on"})
    assert PublicIncident.objects.get().title == "Internal: pg primary failover"


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"body": ""}, "body"), ({"body": "x" * 2001}, "body"),
    ({"impact": "apocalyptic"}, "impact"), ({"status": "postmortem"}, "status"),
    ({"components": ["999999"]}, "components"),
    ({"components": ["abc"]}, "components"), ({"component_status": "on_fire"}, "component_status"),
])
def test_bad_input_is_a_400_that_changes_nothing(client, commander, incident, change, field):
    client.force_login(commander)
    before = Entry.objects.count()
    response = client.post(f"/incidents/{incident.pk}/status-page/", {**GOOD, **change})
    assert response.status_code == 400
    assert "Status page not updated." in response.content.decode()
    assert not PublicUpdate.objects.exists() and Entry.objects.count() == before


def test_boundaries_are_accepted(client, commander, incident):
    client.force_login(commander)
    response = client.post(f"/incidents/{incident.pk}/status-page/", {**GOOD, "title": "x" * 200, "body": "y" * 2000})
    assert response.status_code == 302


def test_service_refuses_without_the_permission(responder, incident):
    with pytest.raises(PermissionDenied):
        services.status_update_post(incident=incident, by=responder, components=[], **GOOD)
    assert not PublicUpdate.objects.exists()


def test_service_validates_too(commander, incident):
    with pytest.raises(ValidationError) as caught:
        services.status_update_post(incident=incident, by=commander, components=[],
                                    **{**GOOD, "body": "  ", "impact": "huge"})
    assert set(caught.value.message_dict) == {"body", "impact"}


def test_resolving_sets_components_back_unless_another_incident_names_them(commander, make_incident, checkout):
    search = Component.objects.create(name="Search")
    first, second = make_incident(title="one"), make_incident(title="two")
    services.status_update_post(incident=first, by=commander, components=[checkout, search], **GOOD)
    services.status_update_post(incident=second, by=commander, components=[search],
                                component_status=ComponentStatus.MAJOR_OUTAGE, **GOOD)
    services.status_update_post(incident=first, by=commander, components=[checkout],
                                **{**GOOD, "status": PublicStatus.RESOLVED, "body": "Fixed."})
    checkout.refresh_from_db()
    search.refresh_from_db()
    assert checkout.status == ComponentStatus.OPERATIONAL
    assert search.status == ComponentStatus.MAJOR_OUTAGE  # still named by the second, current, incident
    assert PublicIncident.objects.get(incident=first).resolved_at is not None


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_panel_costs_the_same_with_many_updates_and_components(client, commander, incident, checkout):
    client.force_login(commander)
    services.status_update_post(incident=incident, by=commander, components=[checkout], **GOOD)
    client.get(f"/incidents/{incident.pk}/")  # the page's own first-visit caches
    small = _count(client, f"/incidents/{incident.pk}/")
    more = [Component.objects.create(name=f"Part {i}") for i in range(10)]
    for i in range(15):
        services.status_update_post(incident=incident, by=commander, components=[checkout, *more],
                                    **{**GOOD, "body": f"update {i}"})
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "update 14" in page and "Part 9" in page
    assert _count(client, f"/incidents/{incident.pk}/") == small


def test_the_dashboard_banner_costs_one_query_whatever_the_providers(client, viewer):
    from django.utils import timezone

    from status.models import Provider, ProviderKind, ProviderState

    client.force_login(viewer)

    def degrade(n, start):
        for i in range(start, start + n):
            Provider.objects.create(name=f"P{i}", kind=ProviderKind.NONE, status_page_url="https://x.example/",
                                    state=ProviderState.OUTAGE, read_at=timezone.now())
    degrade(1, 0)
    small = _count(client, "/")
    degrade(10, 1)
    assert "P10" in client.get("/").content.decode()
    assert _count(client, "/") == small
