"""Calendar feeds: parsed back with icalendar; reachable only with the owner's current token."""

from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from people import calendar, services
from people.models import CalendarToken, Override
from tests.people.conftest import utc

pytestmark = pytest.mark.django_db


def events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_a_rotation_feed_has_one_event_a_shift_in_utc_and_follows_daylight_saving(make_rotation):
    rotation = make_rotation(time_zone="America/New_York", length=1, length_unit="days", start_date=date(2026, 1, 1))
    at = utc(2026, 3, 1)
    found = events(calendar.rotation_calendar(rotation, at))
    assert len(found) == 30 + 180 + 1  # daily turns from 30 days back to 180 ahead, and the one started before
    starts = [e.decoded("dtstart") for e in found]
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)
    assert {s.astimezone(ZoneInfo("America/New_York")).time() for s in starts} == {time(9, 0)}
    by_day = {s.astimezone(ZoneInfo("America/New_York")).date(): s for s in starts}
    assert by_day[date(2026, 3, 7)] == utc(2026, 3, 7, 14)  # EST
    assert by_day[date(2026, 3, 9)] == utc(2026, 3, 9, 13)  # EDT
    sunday = next(e for e in found if e.decoded("dtstart") == utc(2026, 3, 7, 14))
    assert sunday.decoded("dtend") - sunday.decoded("dtstart") == timedelta(hours=23)
    assert str(sunday["summary"]).startswith("On call: ") and "Platform" in str(sunday["summary"])
    assert len({str(e["uid"]) for e in found}) == len(found)


def test_the_times_survive_the_text_form_with_a_z(make_rotation):
    body = calendar.rotation_calendar(make_rotation(), utc(2026, 3, 10))
    assert b"DTSTART:20260309T090000Z" in body


def test_a_person_feed_has_their_shifts_in_every_rotation_and_their_covers(make_rotation, make_contact):
    ada = make_contact("Ada")
    make_rotation(name="Platform", members=[ada, "Ben"])
    payments = make_rotation(name="Payments", members=["Cy", ada], time_zone="Asia/Kolkata")
    Override.objects.create(rotation=payments, contact=ada, start=utc(2026, 3, 3), end=utc(2026, 3, 4))
    found = events(calendar.contact_calendar(ada, utc(2026, 3, 10)))
    summaries = [str(e["summary"]) for e in found]
    assert summaries and all(s.startswith("On call: Ada") for s in summaries)
    assert any("Payments" in s for s in summaries) and any("Platform" in s for s in summaries)
    assert any("(covering)" in s for s in summaries)


@pytest.fixture
def feed(make_rotation, viewer):
    rotation = make_rotation()
    token = services.calendar_token_regenerate(by=viewer)

    def url(token_text=None, user_pk=None, pk=None, name="people:rotation_ics"):
        return reverse(name, kwargs={"user_pk": user_pk or viewer.pk, "token": token_text or token.token,
                                     "pk": pk or rotation.pk})

    return url


def test_the_feed_answers_a_calendar_app_without_a_session(client, feed):
    response = client.get(feed())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert events(response.content)


def test_the_person_feed_by_url(client, feed, make_contact):
    ada = make_contact("Ada")
    response = client.get(feed(name="people:contact_ics", pk=ada.pk))
    assert response.status_code == 200 and icalendar.Calendar.from_ical(response.content)


def test_a_wrong_or_unknown_token_is_a_404(client, feed, viewer, responder):
    assert client.get(feed(token_text="x" * 32)).status_code == 404
    assert client.get(feed(user_pk=responder.pk)).status_code == 404  # the viewer's token on another's URL
    assert client.get(feed(user_pk=999_999)).status_code == 404
    assert client.get(feed(pk=999_999)).status_code == 404


def test_regenerating_cuts_off_the_old_links(client, feed, viewer):
    old = feed()
    new_token = services.calendar_token_regenerate(by=viewer).token
    assert client.get(old).status_code == 404
    assert client.get(feed(token_text=new_token)).status_code == 200


def test_a_token_stops_working_when_its_owner_may_no_longer_read_contacts(client, feed, viewer):
    viewer.groups.clear()
    assert client.get(feed()).status_code == 404
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    assert client.get(feed()).status_code == 404


def test_the_feed_is_read_only(client, feed):
    assert client.post(feed()).status_code == 405


def test_calendar_token_page_button_creates_then_replaces(client, viewer):
    client.force_login(viewer)
    assert client.post(reverse("people:calendar_token")).status_code == 302
    first = CalendarToken.objects.get(user=viewer).token
    client.post(reverse("people:calendar_token"))
    second = CalendarToken.objects.get(user=viewer).token
    assert first != second and len(second) >= 32


def test_someone_who_may_not_read_contacts_gets_no_token(client, outsider):
    client.force_login(outsider)
    assert client.post(reverse("people:calendar_token")).status_code == 403
    assert not CalendarToken.objects.exists()


def test_the_token_is_not_in_its_admin_label(viewer):
    token = services.calendar_token_regenerate(by=viewer)
    assert token.token not in str(token)
    assert token.created_at.tzinfo is UTC or token.created_at.utcoffset() == timedelta(0)


def test_odd_urls_are_404_not_500(client, feed, viewer):
    assert client.get(feed(user_pk=99_999_999_999_999_999_999)).status_code == 404
    assert client.get(feed(pk=99_999_999_999_999_999_999)).status_code == 404
    assert client.get(f"/people/calendar/{viewer.pk}/%00{'a' * 30}/rotations/1.ics").status_code == 404
    assert client.get(feed(token_text="é" * 40)).status_code == 404
