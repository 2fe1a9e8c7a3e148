"""The metrics' arithmetic on hand-made incidents with known answers, and the range's rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from postmortems.metrics import incident_metrics, median, months_between, nearest_rank, parse_range
from tests.postmortems.metrics_data import action_item, at, incident

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
NOW = at("2026-03-15T12:00:00")


def compute(start=JAN, end=dt.date(2026, 3, 31), now=NOW):
    return incident_metrics(start=start, end=end, now=now)


# ----------------------------------------------------------------------------------- median and p90, by hand

def test_the_median_of_an_odd_count_is_the_middle_value():
    assert median([600, 60, 120]) == 120


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    assert median([40, 10, 30, 20]) == 25


def test_no_values_have_no_median_and_no_p90():
    assert median([]) is None and nearest_rank([], 90) is None


@pytest.mark.parametrize(("values", "p90"), [
    ([7], 7),                                  # n=1: ⌈0.9⌉ = 1
    ([1, 2, 3], 3),                            # ⌈2.7⌉ = 3
    (list(range(1, 11)), 9),                   # ⌈9⌉ = 9: an exact rank is not rounded up
    (list(range(1, 12)), 10),                  # ⌈9.9⌉ = 10
    (list(range(20, 0, -1)), 18),              # ⌈18⌉ = 18, whatever the input order
    (list(range(1, 22)), 19),                  # ⌈18.9⌉ = 19
])
def test_p90_is_the_nearest_rank(values, p90):
    assert nearest_rank(values, 90) == p90


def test_a_percent_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        nearest_rank([1], 0)


# ----------------------------------------------------------------------------------- MTTA, MTTR over incidents

def test_mtta_and_mttr_per_severity_per_month(runbook):
    for ack, resolve in ((60, 3600), (120, 7200), (600, 1800)):
        incident("SEV2", "2026-01-10T10:00:00", ack=ack, resolve=resolve)
    for ack in (10, 20, 30, 40):
        incident("SEV3", "2026-02-10T10:00:00", ack=ack)

    m = compute()
    jan, feb = m.months[0], m.months[1]
    sev2 = jan.by_severity["SEV2"]
    assert (sev2.count, sev2.mtta.median, sev2.mtta.p90) == (3, 120, 600)
    assert (sev2.mttr.median, sev2.mttr.p90, sev2.mttr.excluded) == (3600, 7200, 0)
    sev3 = feb.by_severity["SEV3"]
    assert (sev3.count, sev3.mtta.median, sev3.mtta.p90) == (4, 25, 40)  # even count; ⌈3.6⌉ = 4
    assert (sev3.mttr.measured, sev3.mttr.excluded, sev3.mttr.median) == (0, 4, None)  # none resolved
    assert jan.by_severity["SEV1"].count == 0 and jan.by_severity["SEV1"].mtta.median is None
    # the whole range and all severities: 60, 120, 600, 10, 20, 30, 40 → sorted 10 20 30 40 60 120 600
    assert (m.total.count, m.total.mtta.median, m.total.mtta.p90) == (7, 40, 600)  # ⌈6.3⌉ = 7
    assert (m.by_severity["SEV2"].mtta.median, m.by_severity["SEV3"].mtta.median) == (120, 25)
    assert jan.total.mtta.median == 120 and feb.total.mtta.median == 25


def test_an_unacknowledged_incident_is_left_out_of_mtta_but_counted(runbook):
    incident("SEV1", "2026-01-05T00:00:00", ack=300, resolve=900)
    incident("SEV1", "2026-01-06T00:00:00")  # never acknowledged

    sev1 = compute().months[0].by_severity["SEV1"]
    assert sev1.count == 2
    assert (sev1.mtta.measured, sev1.mtta.excluded, sev1.mtta.median, sev1.mtta.p90) == (1, 1, 300, 300)
    assert (sev1.mttr.measured, sev1.mttr.excluded, sev1.mttr.median) == (1, 1, 900)


def test_every_month_of_the_range_is_there_even_without_incidents(runbook):
    m = compute(start=dt.date(2025, 11, 20), end=dt.date(2026, 2, 3))
    assert [month.month for month in m.months] == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), JAN, FEB]
    assert m.severities == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert all(month.total.count == 0 for month in m.months)


def test_months_are_counted_in_the_projects_time_zone(runbook, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in winter
    incident("SEV2", "2026-01-31T22:59:59", ack=1)  # 23:59:59 on 31 January in Berlin
    incident("SEV2", "2026-01-31T23:00:00", ack=1)  # 00:00 on 1 February in Berlin
    incident("SEV2", "2025-12-31T23:00:00", ack=1)  # 00:00 on 1 January in Berlin: the range's first moment

    m = compute(end=dt.date(2026, 2, 28))
    assert [month.total.count for month in m.months] == [2, 1]
    assert compute(end=dt.date(2026, 1, 31)).total.count == 2  # the last moment of the range's last day is in
    with timezone.override("Asia/Tokyo"):  # a viewer's zone, were one activated, does not move the months
        assert [month.total.count for month in compute(end=dt.date(2026, 2, 28)).months] == [2, 1]


def test_months_in_summer_time_start_two_hours_before_utc(runbook, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+2 in summer
    incident("SEV2", "2026-06-30T21:59:59", ack=1)  # 23:59:59 on 30 June in Berlin
    incident("SEV2", "2026-06-30T22:00:00", ack=1)  # 00:00 on 1 July in Berlin
    m = compute(start=dt.date(2026, 6, 1), end=dt.date(2026, 7, 31))
    assert [month.total.count for month in m.months] == [1, 1]
    assert compute(start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 1)).total.count == 1


def test_the_month_boundary_in_utc(runbook, settings):
    settings.TIME_ZONE = "UTC"
    incident("SEV2", "2026-01-31T23:59:59", ack=1)
    incident("SEV2", "2026-02-01T00:00:00", ack=1)
    assert [month.total.count for month in compute(end=dt.date(2026, 2, 28)).months] == [1, 1]


def test_incidents_outside_the_range_are_not_counted(runbook):
    incident("SEV2", "2025-12-31T23:59:59", ack=1)
    incident("SEV2", "2026-04-01T00:00:00", ack=1)
    incident("SEV2", "2026-01-01T00:00:00", ack=1)
    assert compute().total.count == 1


# ----------------------------------------------------------------------------------- SLA breaches

def test_a_breach_is_a_second_after_the_deadline_not_at_it(runbook):
    incident("SEV2", "2026-01-10T10:00:00", ack=901, due=900)   # a second late: breached
    incident("SEV2", "2026-01-11T10:00:00", ack=900, due=900)   # at the deadline: on time
    incident("SEV2", "2026-01-12T10:00:00", ack=899, due=900)   # early: on time
    assert compute().months[0].by_severity["SEV2"].breaches == 1


def test_an_unacknowledged_incident_past_its_deadline_is_a_breach_and_one_not_yet_due_is_not(runbook):
    incident("SEV1", "2026-03-15T11:00:00", due=3599)  # due a second before now: breached
    incident("SEV1", "2026-03-15T11:00:00", due=3600)  # due exactly now: not yet
    incident("SEV1", "2026-03-15T11:30:00", due=3600)  # due in half an hour
    assert compute().months[2].by_severity["SEV1"].breaches == 1
    # the same incidents, seen a second later: the one due exactly then is breached too
    assert compute(now=NOW + dt.timedelta(seconds=1)).months[2].by_severity["SEV1"].breaches == 2


def test_breaches_agree_with_the_incidents_own_rule(runbook):
    late = incident("SEV3", "2026-02-01T10:00:00", ack=3000, due=1800)
    on_time = incident("SEV3", "2026-02-02T10:00:00", ack=60, due=1800)
    stale = incident("SEV3", "2026-02-03T10:00:00", due=1800)  # long past due, long before NOW
    assert (late.sla_breached, on_time.sla_breached, stale.sla_breached) == (True, False, True)
    feb = compute().months[1]
    assert (feb.by_severity["SEV3"].breaches, feb.total.breaches) == (2, 2)
    assert compute().total.breaches == 2


# ----------------------------------------------------------------------------------- action items

def test_action_items_opened_and_done_per_month_and_overdue_now(runbook, commander):
    action_item(commander, created="2026-01-05T09:00:00", done="2026-02-10T09:00:00")
    action_item(commander, created="2026-01-20T09:00:00", due=dt.date(2026, 3, 14))  # overdue since yesterday
    action_item(commander, created="2026-02-01T00:00:00", due=dt.date(2026, 3, 15))  # due today: not overdue
    action_item(commander, created="2025-06-01T00:00:00", due=dt.date(2025, 7, 1))   # before the range, overdue
    action_item(commander, created="2025-06-01T00:00:00", done="2025-08-01T00:00:00", due=dt.date(2025, 7, 1))

    m = compute()
    assert [(month.actions_opened, month.actions_done) for month in m.months] == [(2, 0), (1, 1), (0, 0)]
    assert (m.actions_opened, m.actions_done, m.actions_overdue) == (3, 1, 2)
    assert compute(now=at("2026-03-16T00:00:00")).actions_overdue == 3  # the next day, today's is overdue


# ----------------------------------------------------------------------------------- constant queries

def test_the_metrics_take_six_queries_whatever_the_data(runbook, commander, django_assert_num_queries):
    with django_assert_num_queries(6):
        compute()
    for day in range(1, 29):
        incident("SEV2", f"2026-02-{day:02d}T10:00:00", ack=day * 10, resolve=day * 100)
        incident("SEV4", f"2026-03-{day:02d}T10:00:00")
        action_item(commander, created=f"2026-01-{day:02d}T10:00:00", done=f"2026-02-{day:02d}T10:00:00")
    with django_assert_num_queries(6):
        m = compute()
    assert m.total.count == 56 and m.actions_done == 28


# ----------------------------------------------------------------------------------- the range

TODAY = dt.date(2026, 3, 15)


def test_the_default_range_is_the_last_twelve_calendar_months():
    assert parse_range(None, None, today=TODAY) == (dt.date(2025, 4, 1), TODAY)
    assert parse_range("", "", today=TODAY) == (dt.date(2025, 4, 1), TODAY)
    assert len(months_between(*parse_range(None, None, today=TODAY))) == 12


def test_a_missing_from_is_twelve_months_before_to():
    assert parse_range(None, "2024-06-30", today=TODAY) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))


@pytest.mark.parametrize(("raw_from", "raw_to", "field", "words"), [
    ("yesterday", None, "from", "not a date"),
    ("2026-02-30", None, "from", "not a date"),
    (None, "2026-13-01", "to", "not a date"),
    ("1969-12-31", "1970-02-01", "from", "Dates run from 1970-01-01"),
    (None, "9999-12-31", "to", "Dates run from"),
    ("2026-03-02", "2026-03-01", "from", "starts (2026-03-02) after it ends (2026-03-01)"),
])
def test_bad_ranges_are_refused_with_a_message(raw_from, raw_to, field, words):
    with pytest.raises(ValidationError) as refused:
        parse_range(raw_from, raw_to, today=TODAY)
    assert words in " ".join(refused.value.message_dict[field])


def test_a_range_of_one_day_is_fine():
    assert parse_range("2026-03-01", "2026-03-01", today=TODAY) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))


def test_the_range_may_span_five_years_and_not_a_day_more():
    assert parse_range("2021-03-15", "2026-03-15", today=TODAY) == (dt.date(2021, 3, 15), dt.date(2026, 3, 15))
    with pytest.raises(ValidationError) as refused:
        parse_range("2021-03-14", "2026-03-15", today=TODAY)
    assert "at most 5 years" in refused.value.message_dict["from"][0]


def test_five_years_before_a_leap_day_is_the_28th_of_february():
    assert parse_range("2023-02-28", "2028-02-29", today=TODAY)[0] == dt.date(2023, 2, 28)
    with pytest.raises(ValidationError):
        parse_range("2023-02-27", "2028-02-29", today=TODAY)
