"""Rotation arithmetic (people/rotations.py) with a fixed clock: every time is given, none is read."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from people.rotations import Cover, Member, Plan, next_after, oncall_at, schedule, turn_at, turn_start


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def plan(*names, zone="UTC", start=date(2026, 3, 2), handoff=time(9, 0), days=7, members=None, overrides=()):
    members = members if members is not None else [Member(n, i) for i, n in enumerate(names, start=1)]
    return Plan(start_date=start, handoff=handoff, time_zone=zone, length_days=days, members=members,
                overrides=overrides)


def who(p: Plan, at: datetime):
    shift = oncall_at(p, at)
    return shift.contact if shift else None


def test_turns_go_round_in_order_and_hand_off_at_the_handoff_time():
    p = plan("A", "B", "C")
    assert [who(p, utc(2026, 3, 2, 9) + timedelta(weeks=w)) for w in range(7)] == list("ABCABCA")
    assert who(p, utc(2026, 3, 9, 8, 59, 59, 999999)) == "A"
    assert who(p, utc(2026, 3, 9, 9)) == "B"


def test_nobody_before_the_first_turn_or_without_members():
    assert who(plan("A", "B"), utc(2026, 3, 2, 8, 59)) is None
    assert who(plan(), utc(2026, 3, 10)) is None
    assert schedule(plan(), utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_turns_of_days():
    p = plan("A", "B", days=3)
    assert [who(p, utc(2026, 3, d, 12)) for d in (2, 4, 5, 7, 8, 11)] == list("AABBAB")


@pytest.mark.parametrize(("zone", "handoff_utc"), [
    ("Asia/Kolkata", utc(2026, 3, 2, 3, 30)),         # UTC+5:30
    ("America/Los_Angeles", utc(2026, 3, 2, 17, 0)),  # PST, UTC-8
    ("Australia/Sydney", utc(2026, 3, 1, 22, 0)),     # AEDT, UTC+11: the day before in UTC
])
def test_the_handoff_is_at_the_local_wall_clock_time_of_the_rotations_zone(zone, handoff_utc):
    p = plan("A", "B", zone=zone)
    assert turn_start(p, 0) == handoff_utc
    assert who(p, handoff_utc - timedelta(seconds=1)) is None
    assert who(p, handoff_utc) == "A"
    assert who(p, handoff_utc + timedelta(weeks=1)) == "B"
    assert turn_start(p, 1).astimezone(ZoneInfo(zone)).time() == time(9, 0)


def test_spring_forward_keeps_the_handoff_at_9_local_and_the_turn_is_an_hour_shorter():
    """New York moves from EST (UTC-5) to EDT (UTC-4) on 8 March 2026."""
    p = plan("A", "B", zone="America/New_York", days=1, start=date(2026, 3, 6))
    shifts = schedule(p, utc(2026, 3, 7, 15), utc(2026, 3, 9, 12))
    assert [(s.contact, s.start, s.end) for s in shifts] == [
        ("B", utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)),  # 23 hours
        ("A", utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)),
    ]
    assert shifts[0].end - shifts[0].start == timedelta(hours=23)
    assert who(p, utc(2026, 3, 8, 12, 59)) == "B" and who(p, utc(2026, 3, 8, 13)) == "A"


def test_fall_back_keeps_the_handoff_at_9_local_and_the_turn_is_an_hour_longer():
    """London moves from BST (UTC+1) to GMT on 25 October 2026; a weekly turn then lasts 7 days and an hour."""
    p = plan("A", "B", zone="Europe/London", start=date(2026, 10, 19))
    first, second = schedule(p, utc(2026, 10, 20), utc(2026, 10, 27))
    assert (first.contact, first.start, first.end) == ("A", utc(2026, 10, 19, 8), utc(2026, 10, 26, 9))
    assert first.end - first.start == timedelta(days=7, hours=1)
    assert second.start.astimezone(ZoneInfo("Europe/London")).time() == time(9, 0)
    assert who(p, utc(2026, 10, 26, 8, 30)) == "A"  # 08:30 GMT: still before the handoff
    assert who(p, utc(2026, 10, 26, 9)) == "B"


def test_a_handoff_in_the_skipped_hour_happens_an_hour_later_by_the_clock():
    p = plan("A", "B", zone="America/New_York", days=1, start=date(2026, 3, 7), handoff=time(2, 30))
    assert turn_start(p, 1) == utc(2026, 3, 8, 7, 30)  # 02:30 EST does not exist: 03:30 EDT
    assert turn_start(p, 1).astimezone(ZoneInfo("America/New_York")).time() == time(3, 30)


def test_a_handoff_in_the_repeated_hour_happens_at_its_first_occurrence():
    p = plan("A", "B", zone="America/New_York", days=1, start=date(2026, 10, 31), handoff=time(1, 30))
    assert turn_start(p, 1) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST an hour later
    assert turn_at(p, utc(2026, 11, 1, 6, 30)) == 1  # 01:30 EST, the second time round: the same turn


def test_turn_at_finds_the_turn_years_later_and_on_either_side_of_each_handoff():
    p = plan("A", "B", "C", zone="America/New_York", days=1, start=date(2026, 1, 1))
    for k in (0, 1, 66, 67, 308, 309, 1000, 1826):
        start = turn_start(p, k)
        assert turn_at(p, start) == k
        assert turn_at(p, start - timedelta(microseconds=1)) == k - 1
    assert who(p, turn_start(p, 1826)) == "ABC"[1826 % 3]


def test_an_override_covers_its_period_and_the_turn_resumes_after_it():
    cover = Cover("Z", utc(2026, 3, 4, 18), utc(2026, 3, 5, 6))
    p = plan("A", "B", overrides=[cover])
    shifts = schedule(p, utc(2026, 3, 2, 9), utc(2026, 3, 9, 9))
    assert [(s.contact, s.start, s.end, s.is_override) for s in shifts] == [
        ("A", utc(2026, 3, 2, 9), utc(2026, 3, 4, 18), False),
        ("Z", utc(2026, 3, 4, 18), utc(2026, 3, 5, 6), True),
        ("A", utc(2026, 3, 5, 6), utc(2026, 3, 9, 9), False),
    ]
    assert oncall_at(p, utc(2026, 3, 5, 0)).is_override
    assert who(p, utc(2026, 3, 5, 6)) == "A"


def test_an_override_across_a_handoff_cuts_both_turns():
    p = plan("A", "B", overrides=[Cover("Z", utc(2026, 3, 9, 0), utc(2026, 3, 10, 0))])
    shifts = schedule(p, utc(2026, 3, 8), utc(2026, 3, 11))
    assert [(s.contact, s.start, s.end) for s in shifts] == [
        ("A", utc(2026, 3, 2, 9), utc(2026, 3, 9, 0)),
        ("Z", utc(2026, 3, 9, 0), utc(2026, 3, 10, 0)),
        ("B", utc(2026, 3, 10, 0), utc(2026, 3, 16, 9)),
    ]


def test_where_overrides_overlap_the_later_one_wins():
    first = Cover("Y", utc(2026, 3, 3), utc(2026, 3, 5))
    later = Cover("Z", utc(2026, 3, 4), utc(2026, 3, 6))
    p = plan("A", overrides=[first, later])
    assert [(s.contact, s.start, s.end) for s in schedule(p, utc(2026, 3, 2, 12), utc(2026, 3, 7))] == [
        ("A", utc(2026, 3, 2, 9), utc(2026, 3, 3)),
        ("Y", utc(2026, 3, 3), utc(2026, 3, 4)),
        ("Z", utc(2026, 3, 4), utc(2026, 3, 6)),
        ("A", utc(2026, 3, 6), utc(2026, 3, 9, 9)),
    ]


def test_an_override_with_nobody_scheduled_still_puts_someone_on_call():
    p = plan(overrides=[Cover("Z", utc(2026, 3, 4), utc(2026, 3, 5))])
    assert who(p, utc(2026, 3, 4, 12)) == "Z" and who(p, utc(2026, 3, 5)) is None


def test_a_member_who_leaves_during_their_turn_hands_the_rest_to_the_next_and_the_order_continues():
    leaves = utc(2026, 3, 11)  # during B's turn (9 to 16 March)
    p = plan(members=[Member("A", 1), Member("B", 2, left_at=leaves), Member("C", 3), Member("D", 4)])
    shifts = schedule(p, utc(2026, 3, 2, 9), utc(2026, 4, 13, 9))
    assert [(s.contact, s.start) for s in shifts] == [
        ("A", utc(2026, 3, 2, 9)),
        ("B", utc(2026, 3, 9, 9)), ("C", leaves),  # C covers the rest of B's turn ...
        ("C", utc(2026, 3, 16, 9)),                # ... and still takes their own
        ("D", utc(2026, 3, 23, 9)),
        ("A", utc(2026, 3, 30, 9)),
        ("C", utc(2026, 4, 6, 9)),                 # B is skipped from now on
    ]
    assert shifts[1].end == leaves


def test_a_member_who_leaves_between_their_turns_is_skipped_without_reshuffling_the_others():
    p = plan(members=[Member("A", 1), Member("B", 2), Member("C", 3, left_at=utc(2026, 3, 10)), Member("D", 4)])
    weeks = [who(p, utc(2026, 3, 2, 12) + timedelta(weeks=w)) for w in range(6)]
    assert weeks == ["A", "B", "D", "A", "B", "D"]  # after B comes D, as before, not A (a modulo would say A)


def test_a_member_who_joins_takes_their_place_in_the_order_from_the_next_handoff():
    p = plan(members=[Member("A", 1), Member("B", 3), Member("N", 2, joined_at=utc(2026, 3, 12))])
    weeks = [who(p, utc(2026, 3, 2, 12) + timedelta(weeks=w)) for w in range(6)]
    assert weeks == ["A", "B", "A", "N", "B", "A"]


def test_when_everyone_has_left_nobody_is_on_call():
    p = plan(members=[Member("A", 1, left_at=utc(2026, 3, 4))])
    assert who(p, utc(2026, 3, 3)) == "A"
    assert who(p, utc(2026, 3, 4)) is None
    assert who(p, utc(2026, 3, 20)) is None


def test_the_history_before_a_change_stays_as_it_was():
    before = plan("A", "B", "C")
    after = plan(members=[Member("A", 1), Member("B", 2), Member("C", 3, left_at=utc(2026, 5, 1))])
    window = (utc(2026, 3, 1), utc(2026, 4, 27))  # up to the turn in which C leaves
    assert schedule(before, *window) == schedule(after, *window)


def test_schedule_returns_whole_shifts_overlapping_the_window_and_nothing_for_an_empty_one():
    p = plan("A", "B")
    shifts = schedule(p, utc(2026, 3, 10), utc(2026, 3, 17))
    assert [(s.contact, s.start, s.end) for s in shifts] == [("B", utc(2026, 3, 9, 9), utc(2026, 3, 16, 9)),
                                                            ("A", utc(2026, 3, 16, 9), utc(2026, 3, 23, 9))]
    assert schedule(p, utc(2026, 3, 10), utc(2026, 3, 10)) == []


def test_next_is_the_shift_after_the_current_one():
    p = plan("A", "B", overrides=[Cover("Z", utc(2026, 3, 5), utc(2026, 3, 6))])
    nxt = next_after(p, utc(2026, 3, 3))
    assert (nxt.contact, nxt.start, nxt.is_override) == ("Z", utc(2026, 3, 5), True)
    nxt = next_after(p, utc(2026, 3, 5, 12))
    assert (nxt.contact, nxt.start) == ("A", utc(2026, 3, 6))
    assert next_after(plan(), utc(2026, 3, 5)) is None
