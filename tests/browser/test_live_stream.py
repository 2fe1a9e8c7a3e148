"""Open pages hear changes pushed over Server-Sent Events (uvicorn + Redis), catch up after a restart, and poll
when the stream cannot get through. The servers of tests/live_servers.py poll only every 10 minutes, so an update
that arrives there came through the stream."""

import pytest
from playwright.sync_api import expect

from incidents import services
from tests.live_servers import session_cookie, start_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 5000  # ms


@pytest.fixture
def open_as(browser):
    contexts = []

    def open_page(user, server, path):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        context.add_cookies([{"name": "sessionid", "value": session_cookie(user), "url": server.url}])
        page = context.new_page()
        page.goto(f"{server.url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_note_in_one_browser_reaches_another_on_the_other_server(asgi_servers, open_as, commander, viewer,
                                                                   make_incident):
    watched, acting = asgi_servers
    incident = make_incident(title="Checkout API timing out", acknowledge=True)
    watcher = open_as(viewer, watched, f"/incidents/{incident.pk}/")
    board = open_as(viewer, watched, "/")
    expect(watcher.locator("html")).to_have_attribute("data-live", "stream", timeout=LIVE)
    expect(board.locator("html")).to_have_attribute("data-live", "stream", timeout=LIVE)

    commanding = open_as(commander, acting, f"/incidents/{incident.pk}/")
    commanding.fill("#note-text", "Rolled back release 412")
    commanding.get_by_role("button", name="Add note").click()
    expect(watcher.locator("#timeline")).to_contain_text("Rolled back release 412", timeout=LIVE)

    expect(commanding.locator("#timeline")).to_contain_text("Rolled back release 412", timeout=LIVE)
    commanding.get_by_role("button", name="Start investigating").click()
    expect(commanding.locator("#incident")).to_contain_text("Investigating", timeout=LIVE)
    expect(watcher.locator("#incident")).to_contain_text("Investigating", timeout=LIVE)
    expect(board.locator("#dashboard-table")).to_contain_text("Investigating", timeout=LIVE)


def test_a_page_catches_up_after_its_server_restarts(open_as, static_root, tmp_path, commander,
                                                     viewer, make_incident):
    server = start_server(tmp_path, static_root, WARROOM_LIVE_POLL_SECONDS="600")
    try:
        incident = make_incident(title="Queue backlog growing", acknowledge=True)
        watcher = open_as(viewer, server, f"/incidents/{incident.pk}/")
        expect(watcher.locator("html")).to_have_attribute("data-live", "stream", timeout=LIVE)
        server.stop()  # a deploy: the change below is published while nobody on this server listens
        expect(watcher.locator("html")).to_have_attribute("data-live", "poll", timeout=LIVE)
        services.timeline_note(incident=incident, by=commander, text="Consumers scaled to 12")

        server = start_server(tmp_path, static_root, port=server.port, WARROOM_LIVE_POLL_SECONDS="600")
        expect(watcher.locator("#timeline")).to_contain_text("Consumers scaled to 12", timeout=LIVE * 2)
        expect(watcher.locator("html")).to_have_attribute("data-live", "stream")
    finally:
        server.stop()


def test_a_stream_that_never_gets_through_leaves_the_page_polling(open_as, static_root, tmp_path,
                                                                  commander, viewer, make_incident):
    server = start_server(tmp_path, static_root, WARROOM_LIVE_POLL_SECONDS="1")
    try:
        incident = make_incident(title="Search returns nothing", acknowledge=True)
        context_page = open_as(viewer, server, "/accounts/login/")
        context_page.route("**/live/stream/", lambda route: None)  # a proxy that buffers: nothing ever arrives
        context_page.goto(f"{server.url}/incidents/{incident.pk}/")
        services.timeline_note(incident=incident, by=commander, text="Index rebuilt")
        expect(context_page.locator("#timeline")).to_contain_text("Index rebuilt", timeout=LIVE)
        expect(context_page.locator("html")).to_have_attribute("data-live", "poll")
    finally:
        server.stop()
