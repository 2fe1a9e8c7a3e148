"""Reads that pages and the API share."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from incidents.models import Incident


def incidents_filtered(*, q="", severity=None, status="", since=None, until=None, open_only=False) -> QuerySet:
    incidents = Incident.objects.for_history()
    if open_only:
        incidents = incidents.open()
    if q:
        incidents = incidents.filter(Q(title__icontains=q) | Q(war_room__icontains=q) | Q(summary__icontains=q))
    if severity:
        incidents = incidents.filter(severity=severity)
    if status:
        incidents = incidents.filter(status=status)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if since:
        incidents = incidents.filter(declared_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        incidents = incidents.filter(declared_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min,
                                                                         tzinfo=zone))
    return incidents


def dashboard_token() -> str:
    """Changes whenever any incident changes: one indexed MAX, so an idle poll is cheap."""
    latest = Incident.objects.aggregate(latest=Max("updated_at"))["latest"]
    return latest.isoformat() if latest else "0"


def incident_version(pk: int) -> int | None:
    return Incident.objects.filter(pk=pk).values_list("version", flat=True).first()


def assignable_users() -> QuerySet:
    """People who can see incidents, for the role pickers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__codename="view_incident"))
        .distinct()
        .order_by("username")
        .only("username", "first_name", "last_name")
    )
