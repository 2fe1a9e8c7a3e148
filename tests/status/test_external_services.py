"""Degraded providers on the dashboard and on open incidents; the read-only API; the beat task on a real worker."""

import pytest
from django.utils import timezone

from status.models import Provider, ProviderKind, ProviderState
from tests.status.fake_servers import summary_body
from tests.workers import poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def degraded():
    return Provider.objects.create(name="Payments Co", kind=ProviderKind.STATUSPAGE_V2, url="https://x.example.com",
                                   status_page_url="https://status.x.example.com/", support_contact="help@x.example",
                                   state=ProviderState.DEGRADED, description="Elevated API errors",
                                   read_at=timezone.now())


def test_dashboard_shows_a_degraded_provider(client, viewer, degraded):
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "External services degraded" in page and "Elevated API errors" in page and "help@x.example" in page


def test_dashboard_says_nothing_when_all_are_fine_and_folds_the_table(client, viewer):
    Provider.objects.filter(name="AWS").update(state=ProviderState.UNKNOWN, error="no answer within 5 s",
                                               read_at=timezone.now())
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "External services degraded" not in page
    assert "External services (3)" in page  # the runbook's table, folded: AWS, Stripe, SendGrid
    assert "Unknown" in page and "no answer within 5 s" in page and "Not read" in page


def test_open_incidents_show_it_resolved_ones_do_not(client, viewer, degraded, make_incident):
    client.force_login(viewer)
    assert "Elevated API errors" in client.get(f"/incidents/{make_incident().pk}/").content.decode()
    resolved = make_incident(status="resolved")
    assert "Elevated API errors" not in client.get(f"/incidents/{resolved.pk}/").content.decode()


def test_unknown_is_listed_in_the_api_with_its_error(api, viewer):
    Provider.objects.create(name="Flaky", kind=ProviderKind.FEED, url="https://f.example.com/rss",
                            status_page_url="https://f.example.com/", state=ProviderState.UNKNOWN,
                            error="no answer within 5 s", read_at=timezone.now())
    response = api(viewer).get("/api/external-services/")
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()}
    assert set(rows) >= {"AWS", "Stripe", "SendGrid", "Flaky"}
    assert (rows["Flaky"]["state"], rows["Flaky"]["error"]) == ("unknown", "no answer within 5 s")
    assert rows["Stripe"]["state"] == "not_read"


def test_api_refuses_anonymous_and_outsiders(api, outsider):
    assert api().get("/api/external-services/").status_code == 401
    assert api(outsider).get("/api/external-services/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_beat_task_reads_every_provider_on_a_worker(celery_worker, runbook, provider_site):
    from status.tasks import read_providers

    Provider.objects.all().delete()  # the seeded ones point at the internet
    ok = Provider.objects.create(name="Mail", kind=ProviderKind.STATUSPAGE_V2, timeout_seconds=2,
                                 url=provider_site.summary("/mail", summary_body("minor")),
                                 status_page_url="https://status.example.com/")
    link = Provider.objects.create(name="Link", kind=ProviderKind.NONE, status_page_url="https://example.com/")
    read_providers.delay()
    poll(lambda: Provider.objects.filter(pk=ok.pk, state=ProviderState.DEGRADED).exists(), what="provider read")
    assert Provider.objects.get(pk=link.pk).state == ProviderState.NOT_READ
