"""Alertmanager posts over real HTTP; people see the alerts page, declare from an alert and watch resolutions arrive."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from alerts import services
from incidents.models import Incident
from tests.alerts.conftest import am_alert, am_payload, resolved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 2000  # ms


def post(site: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(f"{site}/api/alerts/alertmanager/", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_alerts_page_and_declare_from_alert(login, site, commander, viewer):
    _, token = services.source_create(name="prod-alertmanager", by=None)
    paged = am_alert("HighErrorRate", fingerprint="01")
    post(site, token, am_payload(paged))
    post(site, token, am_payload(am_alert("DiskFilling", fingerprint="02", severity="warning", service="db"),
                                 group_key="disk"))
    incident = Incident.objects.get()

    ic = login("commander")
    ic.get_by_role("link", name="Alerts").click()
    rows = ic.locator(".alert-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("DiskFilling")  # both firing: the most recently seen first
    expect(ic.locator(".alert-row", has_text="HighErrorRate").get_by_role("link", name=f"#{incident.pk}")
           ).to_be_visible()

    ic.fill("input[name=label]", "service=db")
    ic.click("button:has-text('Filter')")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="Declare from alert").click()
    expect(ic.locator("input[name=title]")).to_have_value("DiskFilling: DiskFilling on checkout")
    expect(ic.locator("input[name=severity][value=SEV4]")).to_be_checked()
    expect(ic.locator("input[name=service_affected]")).to_have_value("db")
    ic.check("input[name=severity][value=SEV3]")
    ic.click("button:has-text('Declare incident')")
    expect(ic.locator("#incident-status")).to_be_visible()
    declared = Incident.objects.exclude(pk=incident.pk).get()
    assert declared.source == "monitoring_alert" and declared.severity.name == "SEV3"
    expect(ic.locator("#alerts")).to_contain_text("DiskFilling")
    expect(ic.locator("#timeline")).to_contain_text("Declared from alert DiskFilling")

    # A viewer on the first incident sees its alert resolve, without a reload; the incident stays open.
    watcher = login("viewer")
    watcher.goto(f"{site}/incidents/{incident.pk}/")
    watcher.evaluate("window.__loadedOnce = true")
    expect(watcher.locator("#alerts")).to_contain_text("1 alert, 1 still firing")
    expect(watcher.locator("#alerts").get_by_role("link", name="Runbook")).to_have_attribute(
        "href", "https://runbooks.example.com/high-error-rate")
    post(site, token, am_payload(resolved(paged)))
    expect(watcher.locator("#alerts")).to_contain_text("All alerts resolved", timeout=LIVE)
    expect(watcher.locator("#timeline")).to_contain_text("1 resolved: HighErrorRate", timeout=LIVE)
    expect(watcher.locator("#incident-status")).to_have_text("Detected")
    assert watcher.evaluate("window.__loadedOnce") is True


def test_the_alerts_page_and_the_incidents_alerts_fit_a_phone(login, site, commander):
    """At 390 px the list stacks its rows: nothing scrolls sideways and no state pill breaks over two lines."""
    _, token = services.source_create(name="prod-alertmanager", by=None)
    firing = am_alert("HighErrorRate", fingerprint="01")
    post(site, token, am_payload(firing, am_alert("HighLatency", fingerprint="02")))
    post(site, token, am_payload(resolved(firing)))
    incident = Incident.objects.get()
    page = login("commander")
    page.set_viewport_size({"width": 390, "height": 900})
    for path in ("/alerts/", f"/incidents/{incident.pk}/"):
        page.goto(site + path)
        expect(page.locator(".status-resolved").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        heights = page.eval_on_selector_all(".status-firing, .status-resolved",
                                            "pills => pills.map(p => p.getBoundingClientRect().height)")
        assert heights and max(heights) < 30, (path, heights)  # one line each
    expect(page.locator("#alerts h2")).to_contain_text("2 alerts, 1 still firing")
