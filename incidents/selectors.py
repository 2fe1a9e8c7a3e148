"""Reads that pages and the API share."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
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


def sessions_may_view(
    watchers: Iterable[tuple[int, str | None]], *, now: dt.datetime | None = None
) -> set[tuple[int, str | None]]:
    """The live streams' periodic check, for all of a process's open streams at once: the (user id, session key)
    pairs whose session still signs that user in (no logout, same password) and who may still view incidents.
    Two queries, whatever the number of streams or the users' groups."""
    watchers = list(watchers)
    keys = {key for _, key in watchers if key}
    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    decoded: dict[str, dict] = {}
    if keys and hasattr(store_class, "get_model_class"):  # database-backed sessions: one query, decoded as Django does
        rows = store_class.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=now or timezone.now()
        ).values_list("session_key", "session_data")
        decoded = {key: store_class().decode(data) for key, data in rows}
    else:
        for key in keys:
            store: SessionBase = store_class(key)
            decoded[key] = {name: store.get(name) for name in (SESSION_KEY, HASH_SESSION_KEY)}
    user_ids = {int(session.get(SESSION_KEY) or 0) for session in decoded.values()} - {0}
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True)
        .filter(_holders(Perm.VIEW_INCIDENT)).distinct().only("pk", "password")
    } if user_ids else {}
    allowed: set[tuple[int, str | None]] = set()
    for user_id, session_key in watchers:
        session = decoded.get(session_key or "")
        user = users.get(user_id)
        if session is None or user is None or session.get(SESSION_KEY) != str(user_id):
            continue
        if constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            allowed.add((user_id, session_key))
    return allowed


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

