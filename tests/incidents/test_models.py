"""What an incident says about itself: open or closed, and when its response is due."""

import datetime as dt

import pytest

from incidents import sla
from incidents.models import Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["investigating", "mitigating", "monitoring", "resolved"])
def test_only_a_resolved_incident_is_closed(make_incident, status):
    assert make_incident(status=status).is_open is (status != Status.RESOLVED)


def test_a_new_incident_is_open(make_incident):
    assert make_incident().is_open is True


def test_a_calendar_with_no_business_day_is_refused_not_looped_over(settings):
    settings.BUSINESS_DAYS = []
    with pytest.raises(ValueError, match="No business day in the next year"):
        sla.next_business_day_end(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
