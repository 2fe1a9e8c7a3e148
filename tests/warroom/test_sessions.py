"""Sessions end after WARROOM_SESSION_IDLE_MINUTES without a request (live polls and streams do not count), and a
logged-out session is dead everywhere: pages, the API, the live poll (tests/incidents/test_live_stream.py: the stream).
"""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from warroom.middleware import SEEN, SEEN_EVERY

pytestmark = pytest.mark.django_db
IDLE = timedelta(minutes=720)


def _signed_in(client, user) -> Session:
    assert client.post("/accounts/login/", {"username": user.username, "password": f"{user.username}-password"}
                       ).status_code == 302
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def _age_the_session(session: Session, seconds: int) -> None:
    """As if the last request that counted was `seconds` ago: its expiry and its 'seen' both that much earlier."""
    data = session.get_decoded()
    data[SEEN] = int(data.get(SEEN, timezone.now().timestamp())) - seconds
    session.session_data = Session.objects.encode(data)
    session.expire_date -= timedelta(seconds=seconds)
    session.save()


def test_the_idle_time_is_the_sessions_age(client, viewer):
    session = _signed_in(client, viewer)
    assert abs(session.expire_date - (timezone.now() + IDLE)) < timedelta(seconds=5)
    assert client.cookies["sessionid"]["max-age"] == int(IDLE.total_seconds())


def test_a_page_moves_the_expiry_on_a_live_poll_does_not(client, viewer, make_incident):
    incident = make_incident()
    session = _signed_in(client, viewer)
    _age_the_session(session, SEEN_EVERY + 1)
    before = Session.objects.get(pk=session.pk).expire_date
    for url in ("/live/", f"/incidents/{incident.pk}/live/"):
        assert client.get(url).status_code in (200, 204)
    assert Session.objects.get(pk=session.pk).expire_date == before  # polls: an open page, not someone at work
    assert client.get("/").status_code == 200
    assert abs(Session.objects.get(pk=session.pk).expire_date - (timezone.now() + IDLE)) < timedelta(seconds=5)


def test_within_a_minute_of_the_last_move_the_session_is_not_written_again(client, viewer):
    session = _signed_in(client, viewer)
    client.get("/")
    _age_the_session(session, SEEN_EVERY - 5)
    before = Session.objects.get(pk=session.pk).expire_date
    client.get("/")
    assert Session.objects.get(pk=session.pk).expire_date == before


def test_an_idle_session_is_refused_on_pages_the_api_and_the_live_poll(client, viewer, make_incident):
    incident = make_incident()
    session = _signed_in(client, viewer)
    assert client.get("/").status_code == 200
    _age_the_session(session, int(IDLE.total_seconds()) + 1)  # the idle time has passed since the last request
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/incidents/").status_code in (401, 403)
    assert client.get(f"/incidents/{incident.pk}/live/").status_code == 302


def test_a_session_just_inside_the_idle_time_still_works(client, viewer):
    session = _signed_in(client, viewer)
    _age_the_session(session, int(IDLE.total_seconds()) - 5)
    assert client.get("/").status_code == 200


def test_the_old_cookie_replayed_after_logout_is_refused_everywhere(client, viewer, make_incident):
    incident = make_incident()
    _signed_in(client, viewer)
    cookie = client.cookies["sessionid"].value
    assert client.post("/accounts/logout/").status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/")["Location"].startswith("/accounts/login/")
    assert replay.get(f"/incidents/{incident.pk}/")["Location"].startswith("/accounts/login/")
    assert replay.get(f"/incidents/{incident.pk}/live/").status_code == 302
    assert replay.get("/api/incidents/").status_code in (401, 403)
    assert replay.post("/api/incidents/", {"title": "x", "severity": "SEV3"}).status_code in (401, 403)
    assert not Session.objects.filter(session_key=cookie).exists()
