"""The selectors the pages, the API and the notifications read, on real rows, with an explicit `at`."""

import dataclasses
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.models import Severity
from people import selectors
from people.models import EscalationLevel, EscalationPolicy, Override, Role, RotationMember
from people.models.directory import validate_time_zone
from tests.people.conftest import utc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("runbook")]  # migrations seed it; a flush empties it


def test_oncall_now_and_schedule_read_members_and_overrides(make_rotation, make_contact):
    rotation = make_rotation(time_zone="Asia/Kolkata")  # 09:00 IST is 03:30 UTC
    cover = make_contact("Zed")
    Override.objects.create(rotation=rotation, contact=cover, start=utc(2026, 3, 10), end=utc(2026, 3, 11))
    shift = selectors.oncall_now(rotation, utc(2026, 3, 9, 3, 30))
    assert (shift.contact.name, shift.start, shift.end, shift.is_override) == (
        "Ben", utc(2026, 3, 9, 3, 30), utc(2026, 3, 10), False)
    assert selectors.oncall_now(rotation, utc(2026, 3, 10, 12)).contact == cover
    assert [s.contact.name for s in selectors.schedule(rotation, utc(2026, 3, 9, 4), utc(2026, 3, 17))] == [
        "Ben", "Zed", "Ben", "Cy"]


def test_a_member_set_to_leave_hands_over_as_the_rule_says(make_rotation):
    rotation = make_rotation()
    RotationMember.objects.filter(rotation=rotation, contact__name="Ben").update(left_at=utc(2026, 3, 11))
    names = [s.contact.name for s in selectors.schedule(rotation, utc(2026, 3, 2, 9), utc(2026, 3, 30, 9))]
    assert names == ["Ada", "Ben", "Cy", "Cy", "Ada"]


def test_oncall_now_is_none_before_the_start(make_rotation):
    assert selectors.oncall_now(make_rotation(start_date=date(2026, 3, 2)), utc(2026, 3, 1)) is None


def test_role_contacts_are_the_fixed_holders_or_whoever_is_on_call(staffed, oncall_role):
    cto = Role.objects.get(name="CTO")
    assert [c.name for c in selectors.role_contacts(cto, utc(2026, 3, 1))] == ["Name"]
    at = utc(2026, 3, 4)
    expected = selectors.oncall_now(staffed, at).contact
    assert selectors.role_contacts(oncall_role, at) == [expected]
    a_week_later = selectors.role_contacts(oncall_role, at + timedelta(weeks=1))
    assert a_week_later != [expected] and len(a_week_later) == 1


def test_role_contacts_of_an_empty_rotation_is_nobody(oncall_role):
    assert selectors.role_contacts(oncall_role, utc(2026, 3, 4)) == []


def test_escalation_levels_are_frozen_levels_in_order():
    sev2 = Severity.objects.get(name="SEV2")
    first, second = selectors.escalation_levels(sev2)
    assert (first.number, second.number) == (1, 2)
    assert (first.repeat_every, first.max_repeats) == (timedelta(minutes=5), 2)
    assert (second.after, second.repeat_every, second.max_repeats) == (timedelta(minutes=15), None, 0)
    assert first.how == "Phone call and Slack"
    assert all(isinstance(role, Role) for role in first.roles)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.number = 3  # type: ignore[misc]
    assert selectors.escalation_levels(sev2.pk) == [first, second]


def test_a_severity_without_policy_has_no_levels():
    EscalationPolicy.objects.filter(severity__name="SEV4").delete()
    assert selectors.escalation_levels(Severity.objects.get(name="SEV4")) == []


def test_escalation_table_resolves_roles_to_who_holds_them_at_that_time(staffed):
    at = utc(2026, 3, 4)
    table = {row.severity.name: row for row in selectors.escalation_table(at)}
    assert list(table) == ["SEV1", "SEV2", "SEV3", "SEV4"]
    (level,) = table["SEV1"].levels
    assert [(r.role.name, [c.name for c in r.contacts]) for r in level.roles] == [
        ("On-Call Engineer", [selectors.oncall_now(staffed, at).contact.name]), ("CTO", ["Name"]),
        ("VP Engineering", ["Name"])]
    assert level.when == "Immediately"
    assert level.repeats == "Again every 5 min until acknowledged, up to 3 times"
    assert table["SEV2"].levels[1].when == "After 15 min"
    assert table["SEV4"].levels[0].when == "Next business day, 09:00 UTC"  # the team's zone, as escalation waits


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_the_table_and_the_directory_cost_the_same_queries_whatever_their_size(staffed, make_rotation, make_contact):
    at = utc(2026, 3, 4)
    small = (_count(lambda: selectors.escalation_table(at)), _count(lambda: selectors.contacts_for_directory(at)),
             _count(lambda: selectors.rotation_summaries(at)))
    for n in range(5):
        rotation = make_rotation(name=f"Team {n}", members=[f"M{n}a", f"M{n}b"], start_date=date(2026, 1, 1))
        role = Role.objects.create(name=f"Team {n} on call", kind=Role.Kind.ROTATION, rotation=rotation)
        fixed = Role.objects.create(name=f"Lead {n}")
        fixed.holders.add(make_contact(f"Lead{n}"), make_contact(f"Deputy{n}"))
        Override.objects.create(rotation=rotation, contact=make_contact(f"Cover{n}"), start=at, end=at + timedelta(1))
        level = EscalationLevel.objects.create(policy=EscalationPolicy.objects.get(severity__name="SEV3"),
                                               number=n + 2, after=timedelta(minutes=30 * (n + 1)))
        level.roles.add(role, fixed)
    big = (_count(lambda: selectors.escalation_table(at)), _count(lambda: selectors.contacts_for_directory(at)),
           _count(lambda: selectors.rotation_summaries(at)))
    assert big == small
    assert len(selectors.escalation_table(at)[2].levels) == 6


def test_rotation_summaries_say_now_next_and_the_coming_shifts(make_rotation):
    make_rotation()
    (summary,) = [s for s in selectors.rotation_summaries(utc(2026, 3, 10), days=14) if s.rotation.name == "Platform"]
    assert summary.now.contact.name == "Ben" and summary.next.contact.name == "Cy"
    assert summary.next.start == utc(2026, 3, 16, 9)
    assert [s.contact.name for s in summary.upcoming] == ["Ben", "Cy", "Ada"]


def test_a_role_is_either_fixed_or_held_by_a_rotation(make_rotation):
    rotation = make_rotation()
    with pytest.raises(ValidationError):
        Role(name="Bad", kind=Role.Kind.ROTATION).clean()
    with pytest.raises(ValidationError):
        Role(name="Bad", kind=Role.Kind.FIXED, rotation=rotation).clean()
    Role(name="Good", kind=Role.Kind.ROTATION, rotation=rotation).clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Role.objects.create(name="Bad", kind=Role.Kind.ROTATION)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Role.objects.create(name="Bad", kind=Role.Kind.FIXED, rotation=rotation)


def test_repeats_need_an_interval_and_an_interval_needs_repeats():
    policy = EscalationPolicy.objects.get(severity__name="SEV3")
    for every, repeats in ((None, 2), (timedelta(minutes=5), 0), (timedelta(0), 1)):
        with transaction.atomic(), pytest.raises(IntegrityError):
            EscalationLevel.objects.create(policy=policy, number=9, repeat_every=every, max_repeats=repeats)
    EscalationLevel.objects.create(policy=policy, number=9, repeat_every=timedelta(minutes=5), max_repeats=1)


def test_an_override_ends_after_it_starts(make_rotation, make_contact):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Override.objects.create(rotation=make_rotation(), contact=make_contact("Zed"), start=utc(2026, 3, 2),
                                end=utc(2026, 3, 2))


def test_time_zones_are_zoneinfo_names():
    validate_time_zone("Asia/Kolkata")
    for bad in ("Mars/Olympus", "IST+5", "../etc/passwd", ""):
        with pytest.raises(ValidationError):
            validate_time_zone(bad)
