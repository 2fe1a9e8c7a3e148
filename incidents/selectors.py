"""Reads that pages and the API share."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Max, Q, QuerySet
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from incidents.models import Incident, IncidentQuerySet, Role, Severity
from incidents.services import ROLE_NEEDS
from warroom.permissions import Perm


def incidents_filtered(*, q: str = "", severity: Severity | int | None = None, status: str = "",
                       since: dt.date | None = None, until: dt.date | None = None,
                       is_open: bool | None = None) -> IncidentQuerySet:
    """The incident list's filter, newest first: the history page and the API's list both use it."""
    incidents = Incident.objects.for_history()
    if is_open is not None:
        incidents = incidents.open() if is_open else incidents.closed()
    if q:
        incidents = incidents.filter(Q(title__icontains=q) | Q(war_room__icontains=q) | Q(summary__icontains=q))
    if severity:
        incidents = incidents.filter(severity=severity)
    if status:
        incidents = incidents.filter(status=status)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if since:
        incidents = incidents.filter(declared_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until and until < dt.date.max:  # the calendar's last day has no next day: no upper bound then
        incidents = incidents.filter(declared_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min,
                                                                         tzinfo=zone))
    return incidents


def dashboard_token() -> str:
    """Changes whenever any incident changes: one indexed MAX, so an idle poll is cheap."""
    latest = Incident.objects.aggregate(latest=Max("updated_at"))["latest"]
    return latest.isoformat() if latest else "0"


def incident_version(pk: int) -> int | None:
    return Incident.objects.filter(pk=pk).values_list("version", flat=True).first()


def session_may_view(user_id: int, session_key: str | None) -> bool:
    """A live stream's periodic check: the session still signs this user in (no logout, same password) and
    they may still view incidents. Two queries, whatever the user's groups."""
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    if not session_key or store.get(SESSION_KEY) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).filter(_holders(Perm.VIEW_INCIDENT)).first()
    return user is not None and constant_time_compare(store.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def _holders(perm: Perm) -> Q:
    """People holding a permission, as user.has_perm sees it: superuser, own permission or a group's."""
    app_label, codename = perm.codename.split(".")
    return (
        Q(is_superuser=True)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
        | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    )


def assignable_users(role: str | None = None) -> QuerySet:
    """People who can act in a role (services.ROLE_NEEDS); without a role, those who can hold any of them."""
    needed = {ROLE_NEEDS[Role(role)]} if role else set(ROLE_NEEDS.values())
    eligible = Q()
    for perm in needed:
        eligible |= _holders(perm)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(eligible)
        .distinct()
        .order_by("username")
        .only("username", "first_name", "last_name")
    )

