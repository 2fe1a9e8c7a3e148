"""The response clock: when an incident of a given severity must be acknowledged."""

import datetime as dt
import zoneinfo

from django.conf import settings

from incidents.models import Severity


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() in settings.BUSINESS_DAYS and day not in settings.HOLIDAYS


def next_business_day_end(moment: dt.datetime) -> dt.datetime:
    """The close of business on the first business day after moment's local date."""
    zone = _zone()
    day = moment.astimezone(zone).date() + dt.timedelta(days=1)
    for _ in range(366):
        if is_business_day(day):
            closing = settings.BUSINESS_HOURS[1]
            return dt.datetime.combine(day, closing, tzinfo=zone).astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    raise ValueError("No business day in the next year: check WARROOM_BUSINESS_DAYS and WARROOM_HOLIDAYS")


def response_due(severity: Severity, declared_at: dt.datetime) -> dt.datetime:
    if severity.response == Severity.Response.NEXT_BUSINESS_DAY:
        return next_business_day_end(declared_at)
    return declared_at + dt.timedelta(minutes=severity.response_minutes)
