"""The page at 3 a.m. on a phone: the note box near the top, one way to declare, read confirmations gone, copy works."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_at_phone_width_the_note_box_follows_status_and_next_step(login, site, make_incident):
    incident = make_incident(title="Checkout API timing out", acknowledge=True)
    page = login("commander")
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/incidents/{incident.pk}/")

    def top(selector: str) -> float:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        return box["y"]

    next_step = page.locator(".actions")
    below_next_step = next_step.bounding_box()["y"] + next_step.bounding_box()["height"]
    assert below_next_step <= top(".note-form") < top("#announcement") < top("#panels")
    assert top(".note-form") < top("#timeline")


def test_long_unbroken_words_wrap_at_phone_width(login, site, make_incident):
    incident = make_incident(title="x" * 200, service_affected="https://status.example.com/" + "y" * 120)
    page = login("commander")
    page.set_viewport_size(PHONE)
    for path in ("/", f"/incidents/{incident.pk}/", "/incidents/history/"):
        page.goto(f"{site}{path}")
        expect(page.get_by_text("x" * 200).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


@pytest.mark.parametrize("width", [390, 1200])
def test_the_dashboard_has_one_declare_button(login, site, commander, width):
    page = login("commander")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{site}/")
    declare = page.get_by_role("link", name="Declare incident")
    expect(declare).to_have_count(1)
    expect(declare).to_be_visible()


def test_a_confirmation_goes_once_read_and_can_be_dismissed(login, site, commander):
    page = login("commander")
    page.goto(f"{site}/incidents/declare/")
    page.fill("input[name=title]", "Payment processing down")
    page.check("input[name=severity][value=SEV2]")
    page.click("button:has-text('Declare incident') >> nth=-1")
    message = page.locator(".messages li", has_text="Declared SEV2")
    expect(message).to_be_visible()
    expect(message).to_have_count(0, timeout=8000)  # hidden after a few seconds, through any live update

    page.goto(f"{site}/incidents/declare/")
    page.fill("input[name=title]", "Search down")
    page.check("input[name=severity][value=SEV3]")
    page.click("button:has-text('Declare incident') >> nth=-1")
    message = page.locator(".messages li", has_text="Declared SEV3")
    message.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_have_count(0)


NO_CLIPBOARD_API = "delete Navigator.prototype.clipboard;"  # what a page served over plain HTTP sees


def test_copy_without_the_clipboard_api_copies_the_selected_text(browser, login, site, make_incident):
    incident = make_incident(title="Checkout API timing out", acknowledge=True)
    page = login("commander")
    page.context.add_init_script(NO_CLIPBOARD_API)
    page.goto(f"{site}/incidents/{incident.pk}/")
    assert page.evaluate("navigator.clipboard") is None
    page.evaluate("""() => { window.__copied = [];
        document.addEventListener('copy', () => window.__copied.push(String(window.getSelection()))); }""")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy]")).to_have_text("Copied")
    copied = page.evaluate("window.__copied")
    assert len(copied) == 1 and "**[SEV2] Production Incident**" in copied[0]


def test_copy_that_cannot_copy_leaves_the_text_selected_and_says_so(login, site, make_incident):
    incident = make_incident(title="Checkout API timing out", acknowledge=True)
    page = login("commander")
    page.context.add_init_script(NO_CLIPBOARD_API + " document.execCommand = () => false;")
    page.goto(f"{site}/incidents/{incident.pk}/")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy]")).to_have_text("Select and copy")
    assert "**[SEV2] Production Incident**" in page.evaluate("String(window.getSelection())")
