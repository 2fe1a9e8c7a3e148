"""The read-only API: contacts, who is on call, the escalation table as the page shows it."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from people import selectors
from people.models import Contact, Role

pytestmark = pytest.mark.django_db


def test_contacts_lists_everyone_with_their_roles(api, viewer, make_contact):
    maya = make_contact("Maya", email="maya@example.com", time_zone="Asia/Kolkata", user=viewer)
    Role.objects.get(name="Engineering Manager").holders.add(maya)
    body = api(viewer).get("/api/contacts/").json()
    row = next(c for c in body if c["name"] == "Maya")
    assert row == {"id": maya.pk, "name": "Maya", "roles": ["Engineering Manager"], "phone": maya.phone,
                   "slack_handle": "@maya", "email": "maya@example.com", "time_zone": "Asia/Kolkata",
                   "username": "viewer", "needs_filling_in": False}
    placeholder = next(c for c in body if c["roles"] == ["CTO"])
    assert placeholder["needs_filling_in"] and placeholder["phone"] == "+1-XXX"


def test_oncall_gives_each_rotation_now_next_and_fourteen_days(api, viewer, staffed, make_rotation):
    make_rotation(name="Daily", length=1, length_unit="days", start_date=date(2026, 1, 1))
    body = {r["rotation"]["name"]: r for r in api(viewer).get("/api/oncall/").json()}
    now = timezone.now()
    primary = body["Primary on-call"]
    assert primary["now"]["contact"]["name"] == selectors.oncall_now(staffed, now).contact.name
    assert primary["rotation"]["length"] == "1 week" and primary["rotation"]["time_zone"] == "UTC"
    assert parse_datetime(primary["next"]["start"]) == parse_datetime(primary["now"]["end"])
    daily = body["Daily"]["schedule"]
    assert len(daily) == 15  # the turn in progress and the next fourteen
    assert parse_datetime(daily[-1]["start"]) < now + timedelta(days=14) <= parse_datetime(daily[-1]["end"])
    assert set(daily[0]) == {"contact", "start", "end", "is_override"}


def test_escalation_is_the_table_as_the_page_shows_it(api, viewer, staffed):
    body = api(viewer).get("/api/escalation/").json()
    assert [row["severity"] for row in body] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    sev1, sev2 = body[0], body[1]
    assert sev1["response_time"] == "Immediate" and sev1["definition"] == "Complete service outage, data loss"
    (level,) = sev1["levels"]
    assert level["when"] == "Immediately" and level["after_seconds"] == 0
    assert (level["repeat_every_seconds"], level["max_repeats"]) == (300, 3)
    roles = {r["role"]["name"]: r for r in level["roles"]}
    assert list(roles) == ["On-Call Engineer", "CTO", "VP Engineering"]
    oncall = selectors.oncall_now(staffed, timezone.now()).contact
    assert roles["On-Call Engineer"]["contacts"][0]["name"] == oncall.name
    assert roles["CTO"]["contacts"][0]["phone"] == "+1-XXX"
    assert sev2["levels"][1]["after_seconds"] == 900 and sev2["levels"][1]["when"] == "After 15 min"
    assert body[3]["levels"][0]["next_business_day"] is True


@pytest.mark.parametrize("url", ["/api/contacts/", "/api/oncall/", "/api/escalation/"])
def test_writes_are_405_and_strangers_are_refused(api, viewer, outsider, url):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api(viewer), method)(url, {}, format="json").status_code == 405
    assert api(outsider).get(url).status_code == 403
    assert api().get(url).status_code == 401
    assert Contact.objects.count() == 4  # the seeded placeholders, untouched


@pytest.mark.parametrize("url", ["/api/contacts/", "/api/oncall/", "/api/escalation/"])
def test_the_api_costs_the_same_queries_whatever_the_size(api, viewer, staffed, make_rotation, make_contact, url):
    client = api(viewer)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    count()  # the first request also loads the user's permissions, which DRF's user object then keeps
    small = count()
    for i in range(6):
        rotation = make_rotation(name=f"Team {i}", members=[f"A{i}", f"B{i}"], start_date=date(2026, 1, 1))
        Role.objects.create(name=f"Team {i} on call", kind=Role.Kind.ROTATION, rotation=rotation)
        Role.objects.get(name="DBA").holders.add(make_contact(f"Dba{i}"))
    assert count() == small


def test_the_openapi_schema_names_each_shape_once(client, viewer):
    """A serializer named like another app's (Role) would make drf-spectacular merge the two in the schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert {"/api/contacts/", "/api/oncall/", "/api/escalation/"} <= set(schema["paths"])
    assert "PersonRole" in schema["components"]["schemas"]
