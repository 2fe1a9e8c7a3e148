"""iCalendar feeds of on-call shifts: one per rotation and one per person, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import icalendar

from people import selectors
from people.models import Contact, Rotation
from people.rotations import Shift

PAST, FUTURE = timedelta(days=30), timedelta(days=180)  # what a calendar app shows: the last month, the next half-year


def _calendar(name: str, events: Iterable[tuple[Rotation, Shift[Contact]]], at: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Warroom//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for rotation, shift in events:
        event = icalendar.Event()
        kind = "override" if shift.is_override else "turn"
        event.add("uid", f"warroom-rotation{rotation.pk}-contact{shift.contact.pk}-{kind}-"
                         f"{shift.start:%Y%m%dT%H%M%SZ}@warroom")
        event.add("dtstamp", at)
        event.add("dtstart", shift.start)  # aware UTC datetimes: written with a trailing Z
        event.add("dtend", shift.end)
        cover = " (covering)" if shift.is_override else ""
        event.add("summary", f"On call: {shift.contact.name}{cover} · {rotation.name}")
        event.add("description", f"Handoff at {rotation.handoff_time:%H:%M} {rotation.time_zone}.")
        calendar.add_component(event)
    return calendar.to_ical()


def rotation_calendar(rotation: Rotation, at: datetime) -> bytes:
    shifts = selectors.schedule(rotation, at - PAST, at + FUTURE)
    return _calendar(f"On call: {rotation.name}", ((rotation, s) for s in shifts), at)


def contact_calendar(contact: Contact, at: datetime) -> bytes:
    return _calendar(f"On call: {contact.name}", selectors.shifts_of_contact(contact, at - PAST, at + FUTURE), at)
