"""The commander posts to the status page from the incident page; an anonymous Chromium reads it, and nothing else."""

import pytest
from playwright.sync_api import expect

from incidents import services as incident_services
from status.models import Component

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTERNAL = ["pg-primary-3 disk full", "password is hunter2 on the bastion", "commander", "incident-20",
            "Runaway WAL archive job"]


def test_public_update_reaches_an_anonymous_reader_and_nothing_internal_does(login, browser, site, make_incident,
                                                                             commander):
    Component.objects.create(name="Checkout", position=1)
    Component.objects.create(name="Search", position=2)
    incident = make_incident(title="pg-primary-3 disk full", acknowledge=True, summary="Runaway WAL archive job")
    incident_services.timeline_note(incident=incident, text="password is hunter2 on the bastion", by=commander)

    ic = login("commander")
    ic.goto(f"{site}/incidents/{incident.pk}/")
    ic.locator("#status-page-form summary").click()
    form = ic.locator("#status-page-form form")
    form.locator("input[name=title]").fill("Payments failing for some customers")
    form.locator("select[name=impact]").select_option("major")
    form.get_by_label("Checkout").check()
    form.locator("select[name=component_status]").select_option("partial_outage")
    form.locator("textarea[name=body]").fill("We are investigating failed card payments.")
    form.get_by_role("button", name="Post to status page").click()
    expect(ic.locator("#status-page")).to_contain_text("Payments failing for some customers")
    expect(ic.locator("#timeline")).to_contain_text("We are investigating failed card payments.")

    anonymous = browser.new_context()  # no cookies: nobody signed in
    try:
        page = anonymous.new_page()
        response = page.goto(f"{site}/status/")
        assert response and response.status == 200 and page.url == f"{site}/status/"
        expect(page.locator("#overall")).to_contain_text("Partial System Outage")
        expect(page.locator("#components")).to_contain_text("Partial outage")
        expect(page.locator("#current")).to_contain_text("Payments failing for some customers")
        expect(page.locator("#current")).to_contain_text("We are investigating failed card payments.")
        documents = {"/status/": page.content()}
        for path in ("/status/api/v2/summary.json", "/status/history.atom"):
            response = page.goto(f"{site}{path}")
            assert response and response.status == 200
            documents[path] = response.text()
        assert "Payments failing for some customers" in documents["/status/api/v2/summary.json"]
        for path, text in documents.items():
            for word in [*INTERNAL, incident.war_room]:
                assert word not in text, (path, word)
    finally:
        anonymous.close()
