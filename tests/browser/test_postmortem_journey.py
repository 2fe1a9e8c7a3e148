"""Issue 9's journey, in one browser: a commander resolves an incident through the page (the monitoring gate and
all), writes its post-mortem with a live preview, adds an action item, publishes it, finds it by search in the
library, then declares a similar incident and reads last time's post-mortem from "Similar past incidents"."""

import pytest
from playwright.sync_api import expect

from tests.browser.postmortem_steps import add_action_item, submit_and_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def declare(page, site, title: str, service: str) -> str:
    page.goto(f"{site}/incidents/declare/")
    page.fill("input[name=title]", title)
    page.check("input[name=severity][value=SEV2]")
    page.fill("input[name=service_affected]", service)
    page.click("button:has-text('Declare incident') >> nth=-1")
    expect(page.locator("#incident-status")).to_have_text("Triage")  # acknowledged on declaring (the default)
    return page.url


def test_resolve_write_publish_search_and_see_it_as_similar(login, site, commander):
    page = login("commander")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Resolve through the page, step by step; inside the 30-minute monitoring window a reason is required.
    incident_url = declare(page, site, "Checkout API timing out", "checkout-api")
    for label, shown in [("Start investigating", "Investigating"), ("Start mitigating", "Mitigating"),
                         ("Fix deployed: start monitoring", "Monitoring")]:
        page.get_by_role("button", name=label).click()
        expect(page.locator("#incident-status")).to_have_text(shown)
    expect(page.locator("button[name=write-postmortem]")).to_have_count(0)  # nothing to write while it is open
    page.fill("input[name=reason][required]", "Error rate back to baseline for 10 minutes")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#incident-status")).to_have_text("Resolved")

    # Write post-mortem: a draft prefilled from the record (its Timeline carries the status changes).
    page.click("button[name=write-postmortem]")
    page.wait_for_url(f"{site}/postmortems/*/edit/")
    expect(page.locator("#pm-status")).to_have_text("Draft")
    expect(page.locator("#pm-title")).to_have_value("Checkout API timing out")
    expect(page.locator("input[name=service]")).to_have_value("checkout-api")
    expect(page.locator("#pm-timeline input[name=row_event]").first).not_to_have_value("")

    # Markdown typed key by key shows in the preview beside it, sanitised, before anything is saved.
    page.locator("#pm-root_cause").press_sequentially("The connection **pool** was exhausted by retries",
                                                      delay=10)
    expect(page.locator("#preview-root_cause strong")).to_have_text("pool")
    page.fill("#pm-summary", "Checkout requests hit *timeouts* for 40 minutes.")
    expect(page.locator("#preview-summary em")).to_have_text("timeouts")
    page.click("button[name=save]")
    expect(page.locator(".message")).to_contain_text("Saved: revision 2")

    add_action_item(page, "Cap retries in the checkout client", owner="commander", due="2030-01-31")
    submit_and_publish(page)
    postmortem_url = page.url.removesuffix("edit/").split("#")[0]

    # The library finds it by a word of its root cause, in another form ("exhaust" stems like "exhausted").
    page.click("nav >> text=Post-mortems")
    page.fill("#id_q", "exhaust")
    page.click("form.library-filters button[type=submit]")
    row = page.locator("tr.postmortem-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Checkout API timing out")
    expect(row).to_contain_text("Published")
    expect(row.locator("mark").first).to_be_visible()

    # The next outage: a similar title on the same service. Last time's post-mortem is one click away.
    declare(page, site, "Checkout API timeouts again", "checkout-api")
    similar = page.locator("#similar-postmortems")
    expect(similar.locator("li")).to_have_count(1)
    expect(similar).to_contain_text("Root cause: The connection pool was exhausted by retries")
    similar.get_by_role("link", name="Checkout API timing out").click()
    page.wait_for_url(postmortem_url)
    expect(page.locator("h1")).to_contain_text("Incident Post-Mortem: Checkout API timing out")
    expect(page.locator("#action-items")).to_contain_text("Cap retries in the checkout client")
    assert incident_url != page.url
    assert dialogs == []
