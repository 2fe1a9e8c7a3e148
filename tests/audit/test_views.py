"""The audit page: auditors and superusers only, each filter, pages of 50, and a query count that does not grow."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db
URL = "/audit/"


def _event(at: dt.datetime, actor: str = "alice", action: Action = Action.LOGIN, ip: str = "192.0.2.1",
           target_type: str = "auth.user") -> AuditEvent:
    event = AuditEvent(at=at, actor_name=actor, action=action, ip=ip, target_type=target_type, target_id="1",
                       target_repr=f"{actor}'s {action.label}")
    event.save()
    return event


def _shown(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.content.decode())]


@pytest.fixture
def events(client, auditor):
    """Three events in March 2026, and the auditor's own sign-in (now: nobody can delete it)."""
    client.force_login(auditor)
    tz = timezone.get_current_timezone()
    return {"auditor_login": AuditEvent.objects.get(actor_name="auditor"),
        "alice_login": _event(dt.datetime(2026, 3, 1, 0, 0, tzinfo=tz)),
        "bob_mitigation": _event(dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=tz), actor="bob",
                                 action=Action.MITIGATION_APPROVE, ip="2001:db8::5",
                                 target_type="mitigations.mitigation"),
        "alice_admin": _event(dt.datetime(2026, 3, 2, 0, 0, tzinfo=tz), action=Action.ADMIN_CHANGE,
                              ip="198.51.100.9", target_type="targets.target"),
    }


def test_auditors_and_superusers_see_it_and_the_nav_link(client, auditor, superuser, viewer, commander):
    for user in (auditor, superuser):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200 and f'href="{URL}"' in response.content.decode()
    for user in (viewer, commander):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert f'href="{URL}"' not in client.get("/").content.decode()


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["auditor_login", "alice_admin", "bob_mitigation", "alice_login"]),
    ("actor=alice", ["alice_admin", "alice_login"]),
    ("actor=ALICE", []),  # usernames are exact
    ("action=mitigation.approve", ["bob_mitigation"]),
    ("target_type=targets.target", ["alice_admin"]),
    ("since=2026-03-01&until=2026-03-01", ["bob_mitigation", "alice_login"]),  # midnight and 23:59:59 included
    ("since=2026-03-02&until=2026-03-31", ["alice_admin"]),
    ("action=auth.login", ["auditor_login", "alice_login"]),
    ("until=2026-02-28", []),
    ("ip=2001:db8::5", ["bob_mitigation"]),
    ("actor=alice&since=2026-03-02&ip=198.51.100.9&action=admin.change", ["alice_admin"]),
])
def test_filters(client, events, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert _shown(response) == [events[name].pk for name in expected]


@pytest.mark.parametrize(("query", "message"), [
    ("ip=300.1.1.1", "Enter an IPv4 or IPv6 address."),
    ("action=auth.sudo", "There is no such action."),
    ("since=2026-13-01", "Enter a valid date."),
    ("since=2026-03-02&until=2026-03-01", "is after"),
    ("page=9", "There is no page 9"),
    ("actor=a%00b", "Null characters are not allowed."),
])
def test_bad_filters_are_400_saying_why(client, events, query, message):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_the_ends_of_the_calendar_are_no_error(client, events):
    assert len(_shown(client.get(f"{URL}?since=0001-01-01&until=9999-12-31"))) == 4


def test_pages_of_fifty_and_the_same_queries_for_one_event_or_many(client, auditor, settings):
    client.force_login(auditor)  # one event: the sign-in
    start = timezone.now()
    client.get(URL)  # the session and permissions, warmed
    with CaptureQueriesContext(connection) as one:
        assert len(_shown(client.get(URL))) == 1
    AuditEvent.objects.bulk_create([AuditEvent(at=start - dt.timedelta(minutes=i), actor=auditor, actor_name=f"user{i}",
                                                action=Action.LOGIN, ip="192.0.2.1") for i in range(1, 80)])
    with CaptureQueriesContext(connection) as many:
        first = client.get(URL)
    assert len(_shown(first)) == settings.AUDIT_PAGE_SIZE and "Page 1 of 2" in first.content.decode()
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    assert len(_shown(client.get(f"{URL}?page=2"))) == 80 - settings.AUDIT_PAGE_SIZE
