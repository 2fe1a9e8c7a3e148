"""Reading providers over real HTTP from a local Statuspage server and feed server."""

import datetime as dt
from email.utils import format_datetime

import pytest

from status import services
from status.models import Provider, ProviderKind, ProviderState
from tests.status.fake_servers import atom, rss, summary_body

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)


def _provider(url: str, kind=ProviderKind.STATUSPAGE_V2, **kwargs) -> Provider:
    return Provider.objects.create(name=kwargs.pop("name", "Mail"), kind=kind, url=url,
                                   status_page_url="https://status.example.com/", timeout_seconds=1, **kwargs)


def _read(provider: Provider, now=NOW) -> Provider:
    services.provider_read(provider_id=provider.pk, now=now)
    provider.refresh_from_db()
    return provider


def test_statuspage_operational(provider_site):
    provider = _read(_provider(provider_site.summary("/ok", summary_body("none"))))
    assert provider.state == ProviderState.OPERATIONAL
    assert provider.description == "All Systems Operational"
    assert provider.read_at == NOW and provider.error == ""
    assert provider_site.received == ["/ok/api/v2/summary.json"]


@pytest.mark.parametrize(("indicator", "state"), [("minor", ProviderState.DEGRADED), ("major", ProviderState.OUTAGE),
                                                  ("critical", ProviderState.OUTAGE)])
def test_statuspage_indicator_degraded(provider_site, indicator, state):
    body = summary_body(indicator, incidents=[{"id": "i1", "name": "Delayed delivery", "status": "investigating",
                                              "impact": indicator, "incident_updates": []},
                                             {"id": "i0", "name": "Old", "status": "resolved", "impact": "minor"}])
    provider = _read(_provider(provider_site.summary("/bad", body)))
    assert provider.state == state and provider.is_degraded
    assert provider.detail["incidents"] == [{"name": "Delayed delivery", "status": "investigating",
                                             "impact": indicator}]  # the resolved one is not open


def test_watched_components_decide_over_the_indicator(provider_site):
    body = summary_body("major", components={"API": "operational", "Marketing site": "major_outage"})
    provider = _read(_provider(provider_site.summary("/w", body), components=["API"]))
    assert provider.state == ProviderState.OPERATIONAL  # the outage is in a component we do not use

    body = summary_body("minor", components={"API": "partial_outage", "Marketing site": "operational"})
    provider = _read(_provider(provider_site.summary("/w2", body), name="Other", components=["API", "Webhooks"]))
    assert provider.state == ProviderState.DEGRADED
    assert provider.description == "API affected"
    assert provider.detail["missing"] == ["Webhooks"]


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b'{"status": {}}', b"[1, 2]",
                                  b'{"status": {"indicator": "purple"}}'])
def test_statuspage_malformed_is_unknown(provider_site, body):
    provider = _read(_provider(provider_site.summary("/m", body)))
    assert provider.state == ProviderState.UNKNOWN
    assert provider.error
    assert provider.read_at == NOW


def test_slow_provider_is_unknown_after_its_timeout(provider_site):
    provider = _read(_provider(provider_site.url + "/slow"))
    assert provider.state == ProviderState.UNKNOWN
    assert provider.error == "no answer within 1 s"


def test_http_error_and_refused_connection_are_unknown(provider_site):
    provider = _read(_provider(provider_site.url + "/missing"))
    assert (provider.state, provider.error) == (ProviderState.UNKNOWN, "HTTP 404")
    provider = _read(_provider("http://127.0.0.1:9/", name="Closed"))
    assert provider.state == ProviderState.UNKNOWN and provider.error.startswith("cannot connect")


def test_error_never_carries_credentials(provider_site):
    url = provider_site.url.replace("http://", "http://reader:s3cret-pw@") + "/missing?token=t0ken-value"
    provider = _read(_provider(url, kind=ProviderKind.FEED))
    assert provider.state == ProviderState.UNKNOWN
    assert "s3cret-pw" not in provider.error and "t0ken-value" not in provider.error
    assert services.reading.scrubbed("GET http://a:s3cret-pw@x/?token=t0ken-value failed",
                                     "http://x/?token=t0ken-value") == "GET http://****@x/?**** failed"


def _rfc822(when: dt.datetime) -> str:
    return format_datetime(when, usegmt=True)


def test_feed_recent_open_item_is_degraded(provider_site):
    url = provider_site.feed("/rss", rss([
        ("Increased API error rates in us-east-1", _rfc822(NOW - dt.timedelta(minutes=20))),
        ("Service is operating normally: [RESOLVED] Old", _rfc822(NOW - dt.timedelta(days=2)))]))
    provider = _read(_provider(url, kind=ProviderKind.FEED))
    assert provider.state == ProviderState.DEGRADED
    assert provider.description == "Increased API error rates in us-east-1"
    assert [i["title"] for i in provider.detail["items"]] == ["Increased API error rates in us-east-1"]


def test_feed_resolved_or_old_items_are_operational(provider_site):
    """Boundaries: an open item just older than the window, a recent one saying it is resolved."""
    url = provider_site.feed("/rss", rss([
        ("Service is operating normally: [RESOLVED] Increased error rates", _rfc822(NOW - dt.timedelta(minutes=5))),
        ("Elevated latency", _rfc822(NOW - dt.timedelta(hours=3, seconds=1)))]))
    assert _read(_provider(url, kind=ProviderKind.FEED)).state == ProviderState.OPERATIONAL


def test_feed_open_item_just_inside_the_window_is_degraded(provider_site):
    url = provider_site.feed("/rss", rss([("Elevated latency", _rfc822(NOW - dt.timedelta(hours=3)))]))
    assert _read(_provider(url, kind=ProviderKind.FEED)).state == ProviderState.DEGRADED


def test_atom_feed(provider_site):
    url = provider_site.feed("/atom", atom([("Checkout webhooks delayed", (NOW - dt.timedelta(hours=1)).isoformat())]),
                             content_type="application/atom+xml")
    assert _read(_provider(url, kind=ProviderKind.FEED)).state == ProviderState.DEGRADED


@pytest.mark.parametrize("body", [b"not xml at all", b"<html><body>hi</body></html>", b"<rss><channel>",
                                  # an entity bomb: defusedxml refuses it instead of expanding it
                                  b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title>'
                                  b"</item></channel></rss>"])
def test_malformed_feed_is_unknown(provider_site, body):
    provider = _read(_provider(provider_site.feed("/bad", body), kind=ProviderKind.FEED))
    assert provider.state == ProviderState.UNKNOWN
    assert provider.error.startswith("not a feed")


def test_link_only_provider_is_not_read(provider_site):
    provider = Provider.objects.create(name="Link only", kind=ProviderKind.NONE, status_page_url="https://status.example.com/")
    assert provider.pk not in services.providers_read_all()
    assert _read(provider).state == ProviderState.NOT_READ


def test_an_older_read_never_overwrites_a_newer_one(provider_site):
    """Two reads overlap: the one that started last is stored, whichever finishes last (the conditional UPDATE)."""
    provider = _provider(provider_site.summary("/ok", summary_body("minor")))
    assert services.provider_read(provider_id=provider.pk, now=NOW) == ProviderState.DEGRADED
    provider_site.summary("/ok", summary_body("none"))
    assert services.provider_read(provider_id=provider.pk, now=NOW - dt.timedelta(seconds=30)) is None
    provider.refresh_from_db()
    assert (provider.state, provider.read_at) == (ProviderState.DEGRADED, NOW)
    later = NOW + dt.timedelta(minutes=1)
    assert services.provider_read(provider_id=provider.pk, now=later) == ProviderState.OPERATIONAL


def test_runbook_providers_are_seeded(runbook):
    rows = {p.name: p for p in Provider.objects.all()}
    assert rows["AWS"].kind == ProviderKind.FEED and rows["AWS"].support_contact.startswith("AWS Premium Support")
    assert rows["Stripe"].kind == ProviderKind.NONE and rows["Stripe"].state == ProviderState.NOT_READ
    assert rows["SendGrid"].kind == ProviderKind.STATUSPAGE_V2 and "support@" in rows["SendGrid"].support_contact


@pytest.mark.parametrize(("change", "field"), [({"components": "API"}, "components"),
                                               ({"components": [1, 2]}, "components"),
                                               ({"components": [""]}, "components"),
                                               ({"url": ""}, "url")])
def test_admin_rows_are_validated(change, field):
    from django.core.exceptions import ValidationError

    fields = {"name": "X", "kind": ProviderKind.STATUSPAGE_V2, "url": "https://x.example.com",
              "status_page_url": "https://x.example.com/", "components": ["API"], **change}
    provider = Provider(**fields)
    with pytest.raises(ValidationError) as caught:
        provider.full_clean()
    assert field in caught.value.message_dict
    Provider(name="Y", kind=ProviderKind.STATUSPAGE_V2, url="https://x.example.com",
             status_page_url="https://x.example.com/", components=["API"]).full_clean()


def test_admin_saves_a_provider_and_a_component(admin_client):
    response = admin_client.post("/admin/status/provider/add/", {
        "name": "GitHub", "kind": "statuspage_v2", "url": "https://www.githubstatus.com",
        "status_page_url": "https://www.githubstatus.com/", "support_contact": "support", "components": '["Actions"]',
        "timeout_seconds": 5, "position": 4})
    assert response.status_code == 302, response.content[:2000]
    assert Provider.objects.get(name="GitHub").components == ["Actions"]
    response = admin_client.post("/admin/status/component/add/", {"name": "Checkout", "position": 1,
                                                                   "status": "operational", "description": ""})
    assert response.status_code == 302
