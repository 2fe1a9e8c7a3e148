"""A commander runs an incident end to end while a second browser watches every change arrive live."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 2000  # ms: every change reaches the other browser within 2 s, without a reload


def test_declare_to_resolve_seen_live_by_a_second_browser(login, site, commander, viewer):
    watcher = login("viewer")
    watcher.evaluate("window.__loadedOnce = true")  # gone if the page ever reloads
    expect(watcher.locator(".empty")).to_contain_text("No open incidents")

    ic = login("commander")
    ic.goto(f"{site}/incidents/declare/")
    ic.fill("input[name=title]", "Payment processing down")
    ic.check("input[name=severity][value=SEV2]")
    expect(ic.locator("[data-severity-info=SEV2]")).to_contain_text("Engineering Manager")
    ic.uncheck("input[name=acknowledge]")
    ic.click("button:has-text('Declare incident') >> nth=-1")
    expect(ic.locator("#incident-status")).to_have_text("Detected")
    incident_url = ic.url

    # The watcher's dashboard shows the new incident, overdue clock and all, without a reload.
    row = watcher.locator(".incident-row", has_text="Payment processing down")
    expect(row).to_be_visible(timeout=LIVE)
    expect(row).to_contain_text("SEV2")
    row.get_by_role("link").click()
    watcher.wait_for_url(incident_url)
    watcher.evaluate("window.__loadedOnce = true")
    status = watcher.locator("#incident-status")

    ic.click("button[name=next-step]")  # Acknowledge
    expect(ic.locator("#incident-status")).to_have_text("Triage")
    expect(status).to_have_text("Triage", timeout=LIVE)
    expect(watcher.locator("#announcement-text")).to_contain_text("@commander", timeout=LIVE)

    ic.fill("#note-text", "Stripe webhooks failing with 502")
    ic.click("button:has-text('Add note')")
    expect(ic.locator("#note-text")).to_have_value("")
    expect(watcher.locator("#timeline")).to_contain_text("Stripe webhooks failing with 502", timeout=LIVE)

    for label, shown in [("Start investigating", "Investigating"), ("Fix deployed: start monitoring", None),
                         ("Start mitigating", "Mitigating"), ("Fix deployed: start monitoring", "Monitoring")]:
        if shown is None:
            expect(ic.get_by_role("button", name=label)).to_have_count(0)  # no skipping steps
            continue
        ic.get_by_role("button", name=label).click()
        expect(ic.locator("#incident-status")).to_have_text(shown)
        expect(status).to_have_text(shown, timeout=LIVE)

    # Resolving inside the runbook's 30-minute monitoring window needs a recorded reason.
    ic.fill("input[name=reason][required]", "Payments team verified recovery")
    ic.get_by_role("button", name="Resolve").click()
    expect(ic.locator("#incident-status")).to_have_text("Resolved")
    expect(status).to_have_text("Resolved", timeout=LIVE)
    expect(watcher.locator("#timeline")).to_contain_text("Override: Payments team verified recovery", timeout=LIVE)
    assert watcher.evaluate("window.__loadedOnce") is True

    # Back on the dashboard it is gone; it lives on in the history.
    watcher.goto(f"{site}/")
    expect(watcher.locator(".empty")).to_contain_text("No open incidents")
    watcher.goto(f"{site}/incidents/history/")
    expect(watcher.locator(".incident-row", has_text="Payment processing down")).to_contain_text("Resolved")


def test_phone_width_fits_the_dashboard_and_the_next_step_button(login, site, make_incident):
    incident = make_incident(title="Login broken for every SSO user on the mobile app", severity="SEV1")
    page = login("commander")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site}/")
    expect(page.locator(".incident-row")).to_contain_text("Overdue")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{site}/incidents/{incident.pk}/")
    button = page.locator("button[name=next-step]")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
