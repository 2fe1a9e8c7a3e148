"""The post-mortem pages on a phone and on a desk: nothing scrolls sideways, the inputs have room, the buttons are
where a writer looks for them; the library's empty state says what to do."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import services as incidents
from postmortems import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESK = 390, 1200


@pytest.fixture
def written(make_incident, commander, responder):
    incident = make_incident(title="Checkout API timing out on every " + "payment-provider-callback" * 3,
                             status="resolved")
    incidents.timeline_note(incident=incident, by=responder, text="Pool exhausted at 14:02 " + "z" * 80)
    postmortem, _ = services.postmortem_start(incident=incident, by=commander)
    services.postmortem_update(postmortem=postmortem, by=commander, changes={
        "root_cause": "The pool was too small:\n\n```\n" + "DB_POOL_SIZE=5 " * 20 + "\n```",
        "summary": "| when | what |\n|---|---|\n| 14:02 | " + "w" * 90 + " |"})
    for description, days in [("Alert on pool saturation", -3), ("Review config changes", 10)]:
        services.action_item_add(postmortem=postmortem, by=commander, description=description, owner="responder",
                                 due_date=timezone.localdate() + dt.timedelta(days=days),
                                 ticket_url="https://tickets.example/OPS-42")
    return postmortem


def fits(page, width: int, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, what


def within(page, locator, width: int) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_the_edit_page_fits_and_its_inputs_have_room(login, site, written, width):
    page = login("commander")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{site}/postmortems/{written.pk}/edit/")
    fits(page, width, "edit")
    expect(page.locator("h1")).to_contain_text("Post-mortem: Checkout API timing out")
    for button in ("button[name=save]", "button[name=add-action-item]", "button:has-text('Submit for review')"):
        within(page, page.locator(button), width)
    # Every text input is as wide as the form gives it: the title and a timeline event are not squeezed.
    for field in ("#pm-title", "#pm-timeline input[name=row_event] >> nth=0",
                  ".pm-items input[name=description] >> nth=0", "#action-item-add input[name=description]"):
        box = page.locator(field).bounding_box()
        assert box is not None and box["width"] >= min(250, width * 0.6), (field, box)
    expect(page.locator(".pm-items tr.overdue")).to_have_count(1)


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_the_reading_page_revisions_and_lists_fit(login, site, written, width, commander, viewer):
    services.postmortem_submit(postmortem=written, by=commander)
    services.postmortem_publish(postmortem=written, by=commander)
    page = login("viewer")
    page.set_viewport_size({"width": width, "height": 844})
    for path in (f"/postmortems/{written.pk}/", "/postmortems/", "/action-items/", "/postmortems/metrics/"):
        page.goto(f"{site}{path}")
        expect(page.locator("h1")).to_be_visible()
        fits(page, width, path)
    page = login("commander")
    page.set_viewport_size({"width": width, "height": 844})
    for path in (f"/postmortems/{written.pk}/revisions/", f"/postmortems/{written.pk}/revisions/2/"):
        page.goto(f"{site}{path}")
        fits(page, width, path)
    expect(page.locator(".revision-note")).to_contain_text("revision 2 of 4")
    expect(page.locator("#root_cause pre")).to_be_visible()


def test_the_empty_library_says_what_to_do(login, site, viewer):
    page = login("viewer")
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.goto(f"{site}/postmortems/")
    expect(page.locator(".empty")).to_contain_text("No post-mortems yet. When an incident is resolved, its page "
                                                   "offers Write post-mortem.")
    fits(page, PHONE, "empty library")
