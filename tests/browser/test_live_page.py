"""The incident page redraws itself every second: nothing the reader is doing is lost, new entries are seen."""

import pytest
from playwright.sync_api import expect

from incidents import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 3000  # ms: a change reaches an open page within a couple of polls


def test_a_live_update_keeps_typed_text_open_sections_and_focus(login, site, commander, responder, make_incident):
    incident = make_incident(title="Checkout API timing out", status="mitigating")
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    page.evaluate("window.__loadedOnce = true")  # gone if the page ever reloads

    page.locator("#incident-more summary").click()
    page.fill("#incident-more input[name=title]", "Checkout API timing out in the EU")
    page.fill("input[name=reason][placeholder='Why?']", "Only EU shoppers affected")
    page.fill("input[placeholder='What failed?']", "The cache flush did not help")
    page.select_option("#incident-more select[name=role]", "scribe")
    page.fill("#note-text", "Half-written note about the")
    page.locator("#diagnostics details summary").click()  # another app's panel: kept the same way
    page.fill("#diagnostics input[name=pattern]", "deadlock")
    title = page.locator("#incident-more input[name=title]")
    title.focus()
    title.evaluate("el => el.setSelectionRange(9, 12)")
    page.locator("#incident-more").evaluate("el => el.dataset.before = 'yes'")  # proves the section was redrawn

    # Someone else changes the incident: a note, and the service this page shows ("Service affected" stays untouched).
    services.timeline_note(incident=incident, by=responder, text="DB CPU at 95% on the primary")
    services.incident_update(incident=incident, by=responder, service_affected="checkout-api")
    expect(page.locator("#timeline")).to_contain_text("DB CPU at 95% on the primary", timeout=LIVE)
    expect(page.locator("#incident-more input[name=service_affected]")).to_have_value("checkout-api", timeout=LIVE)
    assert page.locator("#incident-more").get_attribute("data-before") is None

    expect(title).to_have_value("Checkout API timing out in the EU")
    expect(page.locator("input[name=reason][placeholder='Why?']")).to_have_value("Only EU shoppers affected")
    expect(page.locator("input[placeholder='What failed?']")).to_have_value("The cache flush did not help")
    expect(page.locator("#incident-more select[name=role]")).to_have_value("scribe")
    expect(page.locator("#note-text")).to_have_value("Half-written note about the")
    expect(page.locator("#diagnostics input[name=pattern]")).to_have_value("deadlock")
    expect(page.locator("#incident-more")).to_have_attribute("open", "")
    expect(page.locator("#diagnostics details")).to_have_attribute("open", "")
    expect(title).to_be_focused()
    assert title.evaluate("el => [el.selectionStart, el.selectionEnd]") == [9, 12]
    assert page.evaluate("window.__loadedOnce") is True


def test_own_submit_resets_only_the_submitted_form_and_the_role_form_stays_open(
        login, site, commander, responder, make_incident):
    incident = make_incident(title="Search returns nothing", acknowledge=True)
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    page.locator("#incident-more summary").click()
    page.fill("input[name=reason][placeholder='Why?']", "Half the catalogue is missing")
    page.select_option("#incident-more select[name=role]", "scribe")
    page.select_option("#incident-more select[name=user]", "responder")
    page.get_by_role("button", name="Assign").click()

    expect(page.locator("#incident")).to_contain_text("Scribe@responder", timeout=LIVE)
    expect(page.locator("#incident-more")).to_have_attribute("open", "")  # ready for the next role
    expect(page.locator("#incident-more select[name=user]")).to_have_value("")  # the submitted form starts afresh
    expect(page.locator("input[name=reason][placeholder='Why?']")).to_have_value("Half the catalogue is missing")

    page.select_option("#incident-more select[name=role]", "communications_lead")
    page.select_option("#incident-more select[name=user]", "commander")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#incident")).to_contain_text("Comms lead@commander", timeout=LIVE)
    expect(page.locator("#incident-more")).to_have_attribute("open", "")


def test_new_entries_arrive_on_top_and_a_cue_counts_them_when_the_reader_scrolled_away(
        login, site, commander, make_incident):
    incident = make_incident(title="Queue backlog growing", acknowledge=True)
    for n in range(1, 31):
        services.timeline_note(incident=incident, by=commander, text=f"Observation {n:02d}")
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    timeline, cue = page.locator("#timeline"), page.locator("[data-new-entries]")
    expect(timeline.locator(".entry").first).to_contain_text("Observation 30")

    services.timeline_note(incident=incident, by=commander, text="Observation 31")
    expect(timeline.locator(".entry").first).to_contain_text("Observation 31", timeout=LIVE)
    expect(cue).to_be_hidden()  # the reader is at the top: the new entry is in view

    timeline.evaluate("el => el.scrollTop = 400")
    anchor = timeline.evaluate("""el => { const top = el.getBoundingClientRect().top;
        const li = [...el.querySelectorAll('[data-entry]')].find(li => li.getBoundingClientRect().bottom > top);
        return [li.dataset.entry, li.getBoundingClientRect().top - top]; }""")
    services.timeline_note(incident=incident, by=commander, text="Observation 32")
    services.timeline_note(incident=incident, by=commander, text="Observation 33")
    expect(cue).to_have_text("2 new entries ↑", timeout=LIVE)
    offset = timeline.evaluate("(el, id) => document.querySelector(`[data-entry='${id}']`).getBoundingClientRect().top"
                               " - el.getBoundingClientRect().top", anchor[0])
    assert abs(offset - anchor[1]) <= 2  # what they were reading did not move

    cue.click()
    expect(cue).to_be_hidden()
    assert timeline.evaluate("el => el.scrollTop") == 0
    expect(timeline.locator(".entry").first).to_contain_text("Observation 33")
    expect(timeline.locator(".entry").first).to_be_in_viewport()
