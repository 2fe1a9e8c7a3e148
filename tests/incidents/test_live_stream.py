"""The live streams (Server-Sent Events under uvicorn, fed by Redis): who gets them, what they say, and catching up.

Two real web processes share only PostgreSQL and Redis (tests/live_servers.py); changes are made through the API of
one and watched on the other.
"""

import datetime as dt
import http.client
import json
import select
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import signals
from rest_framework.authtoken.models import Token

from incidents import live, services
from tests.live_servers import EventStream, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _note_through(server, token: str, pk: int, text: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    conn.request("POST", f"/api/incidents/{pk}/timeline/", body=json.dumps({"text": text}),
                 headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 201, response.read()
    conn.close()


def test_a_change_through_one_server_reaches_a_watcher_of_the_other(asgi_servers, commander, viewer, make_incident):
    watched, changed = asgi_servers
    incident = make_incident(title="Checkout API timing out")
    stream = EventStream(watched, f"/incidents/{incident.pk}/live/stream/", session=session_cookie(viewer))
    assert stream.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    assert stream.response.getheader("X-Accel-Buffering") == "no"
    first = stream.next_event()
    assert first == {"retry": "2000", "id": str(incident.version), "event": "version", "data": str(incident.version)}

    dashboard = EventStream(watched, "/live/stream/", session=session_cookie(viewer))
    assert dashboard.next_event()["event"] == "version"  # the dashboard's token, to compare with the page's

    _note_through(changed, Token.objects.create(user=commander).key, incident.pk, "DB CPU at 95%")
    incident.refresh_from_db()
    assert stream.next_event() == {"id": str(incident.version), "event": "version", "data": str(incident.version)}
    assert dashboard.next_event() == {"event": "change", "data": f"{incident.pk}:{incident.version}"}
    stream.close()
    dashboard.close()


def test_a_reconnect_says_the_current_version_so_the_page_catches_up(asgi_servers, commander, viewer, make_incident):
    server = asgi_servers[0]
    incident = make_incident()
    seen = incident.version
    stream = EventStream(server, f"/incidents/{incident.pk}/live/stream/", session=session_cookie(viewer))
    assert stream.next_event()["id"] == str(seen)
    stream.close()  # a network blip: changes happen while nobody listens

    services.timeline_note(incident=incident, by=commander, text="Rolled back")
    services.timeline_note(incident=incident, by=commander, text="Error rate falling")
    again = EventStream(server, f"/incidents/{incident.pk}/live/stream/", session=session_cookie(viewer),
                        last_event_id=str(seen))
    assert again.next_event()["data"] == str(seen + 2)  # not the page's version: it fetches its partial
    again.close()


def test_a_viewer_of_nothing_gets_no_stream(asgi_servers, outsider, make_incident):
    incident = make_incident()
    for path in (f"/incidents/{incident.pk}/live/stream/", "/live/stream/"):
        refused = EventStream(asgi_servers[0], path, session=session_cookie(outsider))
        assert refused.status == 403
        assert b"event:" not in refused.response.read()
        anonymous = EventStream(asgi_servers[0], path)
        assert anonymous.status == 302
        assert anonymous.response.getheader("Location").startswith("/accounts/login/")


def test_a_missing_incident_has_no_stream(asgi_servers, viewer):
    assert EventStream(asgi_servers[0], "/incidents/999999/live/stream/", session=session_cookie(viewer)).status == 404


def test_logging_out_ends_the_stream(asgi_servers, viewer, make_incident):
    incident = make_incident()
    session = session_cookie(viewer)
    stream = EventStream(asgi_servers[0], f"/incidents/{incident.pk}/live/stream/", session=session)
    assert stream.next_event()["event"] == "version"
    Session.objects.filter(session_key=session).delete()  # what logging out does to the session

    assert stream.next_event() == {"event": "end", "data": "forbidden"}
    assert stream.next_event() is None  # and the server closed it


def test_losing_the_role_ends_the_stream(asgi_servers, viewer, make_incident):
    stream = EventStream(asgi_servers[1], "/live/stream/", session=session_cookie(viewer))
    assert stream.next_event()["event"] == "version"
    viewer.groups.remove(Group.objects.get(name="viewer"))

    assert stream.next_event() == {"event": "end", "data": "forbidden"}
    assert stream.next_event() is None


def test_a_new_password_ends_the_stream_of_the_old_session(asgi_servers, viewer, make_incident):
    stream = EventStream(asgi_servers[1], "/live/stream/", session=session_cookie(viewer))
    assert stream.next_event()["event"] == "version"
    viewer.set_password("a-new-password")
    viewer.save(update_fields=["password"])

    assert stream.next_event() == {"event": "end", "data": "forbidden"}


def test_an_idle_stream_sends_heartbeats(asgi_servers, viewer, make_incident):
    incident = make_incident()
    stream = EventStream(asgi_servers[0], f"/incidents/{incident.pk}/live/stream/", session=session_cookie(viewer))
    stream.next_event()
    assert stream.next_event(skip_pings=False) == {"event": "ping", "data": ""}
    stream.close()


def _get(client, path: str):
    """The test client, from a thread of its own: the stream views are async, and when browser tests ran first this
    thread still has Playwright's event loop, where Django cannot run an async view synchronously."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(client.get, path).result()


def test_without_an_asgi_server_the_stream_tells_the_page_to_poll(client, viewer, make_incident):
    incident = make_incident()
    client.force_login(viewer)
    for path in (f"/incidents/{incident.pk}/live/stream/", "/live/stream/"):
        response = _get(client, path)
        assert response.status_code == 204  # EventSource stops trying; the page keeps polling
        assert response["X-Warroom-Live"] == "poll"


def test_without_redis_the_pages_offer_no_stream(client, settings, viewer, make_incident):
    incident = make_incident()
    client.force_login(viewer)
    assert b"data-stream=" in client.get(f"/incidents/{incident.pk}/").content
    settings.LIVE_REDIS_URL = ""
    for path in (f"/incidents/{incident.pk}/", "/"):
        page = client.get(path).content
        assert b'id="live"' in page
        assert b"data-stream=" not in page
    assert _get(client, "/live/stream/").status_code == 204


def test_one_batched_check_for_every_open_stream_of_a_process(django_assert_num_queries, viewer, commander, outsider):
    """The hub re-checks all its streams at once: two queries whatever their number, and only the valid pairs pass."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from incidents import selectors

    User = get_user_model()
    boss = User.objects.create_user("boss", password="x", is_superuser=True)  # in no group: a superuser
    direct = User.objects.create_user("direct", password="x")
    direct.user_permissions.add(Permission.objects.get(codename="view_incident", content_type__app_label="incidents"))
    retired = User.objects.create_user("retired", password="x")
    retired.groups.add(Group.objects.get(name="viewer"))
    sessions = {user: session_cookie(user) for user in (viewer, commander, outsider, boss, direct, retired)}
    logged_out = session_cookie(viewer)
    Session.objects.filter(session_key=logged_out).delete()
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    old_password = session_cookie(commander)
    commander.set_password("a-new-password")
    commander.save(update_fields=["password"])
    sessions[commander] = session_cookie(commander)

    watchers = [(user.pk, key) for user, key in sessions.items()] + [
        (viewer.pk, logged_out), (commander.pk, old_password), (viewer.pk, sessions[direct]),  # someone else's
        (viewer.pk, None), (viewer.pk, "no-such-session"),
    ]
    with django_assert_num_queries(2):
        allowed = selectors.sessions_may_view(watchers)
    assert allowed == {(user.pk, sessions[user]) for user in (viewer, commander, boss, direct)}
    with django_assert_num_queries(0):
        assert selectors.sessions_may_view([]) == set()
    expiry = Session.objects.get(session_key=sessions[viewer]).expire_date
    before, at = (selectors.sessions_may_view(watchers, now=expiry + dt.timedelta(seconds=s)) for s in (-1, 0))
    assert (viewer.pk, sessions[viewer]) in before
    assert (viewer.pk, sessions[viewer]) not in at  # an expired session signs nobody in


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_an_open_stream_holds_no_thread_of_its_own(asgi_servers, viewer, make_incident):
    """Django gives each ASGI request a thread for its sync parts; a stream lets it go once its checks are done, so
    a thousand open pages are not a thousand idle threads (docs/performance.md, memory per connection)."""
    from tests.workers import poll

    server = asgi_servers[0]
    session = session_cookie(viewer)
    warm = EventStream(server, "/live/stream/", session=session)  # the hub, the pools: whatever a first stream starts
    assert warm.next_event()["event"] == "version"
    before = _threads(server.process.pid)
    streams = [EventStream(server, "/live/stream/", session=session) for _ in range(10)]
    for stream in streams:
        assert stream.next_event()["event"] == "version"
    poll(lambda: _threads(server.process.pid) < before + 10, what="the requests' threads to end")
    for stream in [warm, *streams]:
        stream.close()


def _subscribed(pk: int) -> redis.client.PubSub:
    pubsub = redis.Redis.from_url(settings.LIVE_REDIS_URL).pubsub()
    pubsub.subscribe(live.incident_channel(pk))
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    return pubsub


def _published_next(pubsub: redis.client.PubSub) -> bytes:
    """The next message on the channel (a marker published by the test orders it against the app's publish)."""
    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert message is not None, "nothing published within 5 s"
    return message["data"]


def test_inside_a_request_the_change_is_published_once_the_response_is_sent(commander, make_incident):
    """The commander's answer never waits for the fan-out to a thousand streams: it is published after it."""
    incident = make_incident()
    pubsub = _subscribed(incident.pk)
    signals.request_started.send(sender=None)
    try:
        services.timeline_note(incident=incident, by=commander, text="DB CPU at 95%")
        redis.Redis.from_url(settings.LIVE_REDIS_URL).publish(live.incident_channel(incident.pk), "marker")
        assert _published_next(pubsub) == b"marker"  # committed, but not published while the response is pending
    finally:
        signals.request_finished.send(sender=None)
    incident.refresh_from_db()
    assert _published_next(pubsub) == str(incident.version).encode()
    pubsub.close()


def test_outside_a_request_the_change_is_published_at_commit(commander, make_incident):
    """A worker's or a command's change has no response to wait for; a finished request leaves nothing deferred."""
    incident = make_incident()
    pubsub = _subscribed(incident.pk)
    signals.request_started.send(sender=None)
    signals.request_finished.send(sender=None)
    services.timeline_note(incident=incident, by=commander, text="Replica lag back to 0 s")
    redis.Redis.from_url(settings.LIVE_REDIS_URL).publish(live.incident_channel(incident.pk), "marker")
    incident.refresh_from_db()
    assert _published_next(pubsub) == str(incident.version).encode()
    assert _published_next(pubsub) == b"marker"
    pubsub.close()


def test_under_uvicorn_the_response_is_on_the_wire_before_the_change_is_published(asgi_servers, commander,
                                                                                   make_incident):
    """Through a real ASGI server: when the publish reaches Redis, the response to the request that made the change
    has already been written to the client's socket (loopback delivers a write at once), so it sits readable."""
    incident = make_incident()
    pubsub = _subscribed(incident.pk)
    body = json.dumps({"text": "Failover to the replica started"}).encode()
    token = Token.objects.create(user=commander).key
    expected = str(incident.version + 1).encode()
    with socket.create_connection(("127.0.0.1", asgi_servers[0].port), timeout=15) as client:
        client.sendall(f"POST /api/incidents/{incident.pk}/timeline/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        assert _published_next(pubsub) == expected
        readable, _, _ = select.select([client], [], [], 0)
        assert readable, "the change was published before its response was sent"
        assert client.recv(65536).startswith(b"HTTP/1.1 201")
    pubsub.close()


def test_the_old_cookie_replayed_on_the_stream_after_a_real_logout_is_refused(asgi_servers, viewer, make_incident):
    """Logging out through the page (not deleting the row by hand): the open stream ends, a new one is refused."""
    from django.test import Client

    incident = make_incident()
    client = Client()
    assert client.post("/accounts/login/", {"username": "viewer", "password": "viewer-password"}).status_code == 302
    cookie = client.cookies["sessionid"].value
    stream = EventStream(asgi_servers[0], f"/incidents/{incident.pk}/live/stream/", session=cookie)
    assert stream.next_event()["event"] == "version"
    assert client.post("/accounts/logout/").status_code == 302

    assert stream.next_event() == {"event": "end", "data": "forbidden"}
    assert EventStream(asgi_servers[1], f"/incidents/{incident.pk}/live/stream/", session=cookie).status in (302, 403)
