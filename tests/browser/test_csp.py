"""In Chromium, under the Content-Security-Policy: the main pages report no violation, and what moved out of inline
code still works (the note box empties after a note is added, the live poll redraws, Print prints, the preview
renders, the admin and the API docs draw)."""

import pytest
from playwright.sync_api import expect

from incidents import services as incidents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""


@pytest.fixture
def watched(login, commander):
    commander.is_staff = commander.is_superuser = True
    commander.save()
    page = login("commander")
    page.context.add_init_script(WATCH)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.console_csp = console
    return page


def _clean(page) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    assert page.console_csp == []


def test_the_main_pages_run_under_the_policy_and_their_moved_behaviours_work(watched, site, make_incident,
                                                                            responder):
    page = watched
    incident = make_incident(title="Checkout API timing out")
    page.goto(f"{site}/")
    expect(page.locator("body")).to_contain_text("Checkout API timing out")
    _clean(page)

    page.goto(f"{site}/incidents/{incident.pk}/")
    page.fill("#note-text", "Pool exhausted at 14:02")
    page.click(".note-form button[type=submit]")
    expect(page.locator(".entry", has_text="Pool exhausted at 14:02")).to_be_visible()
    expect(page.locator("#note-text")).to_have_value("")  # the form reset, from static/warroom/warroom.js
    incidents.timeline_note(incident=incident, by=responder, text="Seen from elsewhere")  # the live poll redraws
    expect(page.locator(".entry", has_text="Seen from elsewhere")).to_be_visible(timeout=10_000)
    _clean(page)

    page.goto(f"{site}/incidents/declare/")
    expect(page.locator("form")).not_to_have_count(0)
    _clean(page)

    page.goto(f"{site}/people/escalation/")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1
    _clean(page)

    page.goto(f"{site}/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{site}/admin/auth/user/")
    expect(page.locator("#result_list")).to_be_visible()
    _clean(page)

    page.goto(f"{site}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Warroom API", timeout=15_000)
    _clean(page)


def test_the_post_mortem_preview_runs_under_the_policy(watched, site, make_incident):
    page = watched
    incident = make_incident(title="Checkout API timing out", status="resolved")
    page.goto(f"{site}/incidents/{incident.pk}/")
    page.click("button[name=write-postmortem]")
    page.wait_for_url(f"{site}/postmortems/*/edit/")
    page.fill("#pm-root_cause", "The **pool** was too small")
    expect(page.locator("#preview-root_cause strong")).to_have_text("pool")
    _clean(page)


def test_a_violation_would_be_seen(watched, site):
    """The watch itself works: an inline script injected into a page is refused and reported."""
    page = watched
    page.goto(f"{site}/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                            document.body.appendChild(s); }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.ran") is None
