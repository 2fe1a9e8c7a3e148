"""How a contact reads on a page: their own clock, so nobody is phoned at 3 a.m. by surprise."""

import datetime as dt
import zoneinfo

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def their_time(contact, now: dt.datetime | None = None) -> str:
    """'Tue 03:12' in the contact's time zone (blank if it is not a zone this machine knows)."""
    try:
        zone = zoneinfo.ZoneInfo(contact.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return (now or timezone.now()).astimezone(zone).strftime("%a %H:%M")
