"""Reading post-mortems in a browser: search from the library, the highlight, the reading page on paper."""

import pytest
from playwright.sync_api import expect

from tests.postmortems.reading_fixtures import postmortem_factory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_postmortem(commander, sev):
    return postmortem_factory(commander, sev)


def test_search_highlights_and_leads_to_a_printable_reading_page(login, site, make_postmortem, viewer, tmp_path):
    make_postmortem("Checkout <img src=x onerror=alert(1)> timeouts", summary="A timeout in the <b>pool</b>.",
                    root_cause_html="<p>The pool was <strong>too small</strong>.</p>")
    make_postmortem("Disk full", summary="Logs grew.")
    page = login("viewer")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.click("text=Post-mortems")
    page.fill("#id_q", "timeout")
    page.click("form.library-filters button[type=submit]")
    rows = page.locator("tr.postmortem-row")
    expect(rows).to_have_count(1)
    expect(rows.locator("mark").first).to_have_text("timeouts")
    expect(rows.locator(".excerpt mark")).to_have_text("timeout")
    expect(rows.locator("img")).to_have_count(0)  # the title's HTML is text
    page.screenshot(path=tmp_path / "library.png", full_page=True)

    rows.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("Incident Post-Mortem: Checkout <img src=x onerror=alert(1)> timeouts")
    expect(page.locator("#root_cause strong")).to_have_text("too small")
    for chrome in ("header.topbar", ".pm-actions", "form"):
        expect(page.locator(chrome).first).to_be_visible()
    page.emulate_media(media="print")
    for chrome in ("header.topbar", ".pm-actions", "form", "button"):
        expect(page.locator(chrome).first).to_be_hidden()
    expect(page.locator("#timeline")).to_be_visible()
    page.screenshot(path=tmp_path / "print.png", full_page=True)
    assert dialogs == []
