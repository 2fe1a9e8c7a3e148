"""Sign-in attempts limited per name tried and per client address, counted from the audit log's refused sign-ins.

One rule for every web process (the log is in PostgreSQL), for the login page and the admin's alike: `LockoutBackend`
(Django's ModelBackend, the only one in AUTHENTICATION_BACKENDS) refuses before it looks at the password (no timing
oracle), by raising PermissionDenied, which makes Django's `authenticate()` stop and send `user_login_failed`;
audit/signals.py records that as `auth.login_locked` (a refused attempt, not a failure: it does not lengthen the lock).

A name is locked once it has WARROOM_LOGIN_MAX_FAILURES failures within WARROOM_LOGIN_LOCKOUT_SECONDS, counted since
its last successful sign-in (knowing the password clears the name's own count); an address once it has
WARROOM_LOGIN_MAX_FAILURES_PER_IP within the same window, never cleared by a success (one account of his own must not
let an attacker reset his address's count). The window slides: the lock lifts when the oldest counted failure is
older than the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.utils import timezone

from audit.context import current, origin_of
from audit.models import Action, AuditEvent

REFUSED = "_warroom_login_refused"  # the request attribute that carries a refusal to the form and the audit signal


@dataclass(frozen=True)
class Lockout:
    by: str  # "name" or "address"
    until: datetime

    def message(self, now: datetime | None = None) -> str:
        minutes = max(1, math.ceil((self.until - (now or timezone.now())).total_seconds() / 60))
        what = "this username" if self.by == "name" else "your address"
        return (f"Too many failed sign-ins for {what}: sign-in is refused for {minutes} more "
                f"minute{'s' if minutes != 1 else ''}. Nothing was checked; wait, then try again.")


def _lifted_at(failures, limit: int, window: timedelta) -> datetime | None:
    """When the limit-th most recent failure leaves the window, if there are that many in it."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    return times[-1] + window if len(times) >= limit else None


def lockout(username: str, ip: str | None, now: datetime | None = None) -> Lockout | None:
    """The lock on this name or address now, if any (the one that lasts longer)."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    since = now - window
    failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED, at__gt=since, at__lte=now)
    locks = []
    if username:
        last_in = AuditEvent.objects.filter(action=Action.LOGIN, actor_name=username, at__gt=since,
                                            at__lte=now).aggregate(last=Max("at"))["last"]
        mine = failed.filter(actor_name=username)
        if last_in is not None:
            mine = mine.filter(at__gt=last_in)
        until = _lifted_at(mine, settings.LOGIN_MAX_FAILURES, window)
        if until is not None:
            locks.append(Lockout("name", until))
    if ip:
        until = _lifted_at(failed.filter(ip=ip), settings.LOGIN_MAX_FAILURES_PER_IP, window)
        if until is not None:
            locks.append(Lockout("address", until))
    return max(locks, key=lambda lock: lock.until, default=None)


class LockoutBackend(ModelBackend):
    """ModelBackend, but a locked name or address is refused (PermissionDenied) before the password is looked at."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        ip = origin_of(request).ip if request is not None else current().ip
        lock = lockout(str(username or ""), ip)
        if lock is not None:
            if request is not None:
                setattr(request, REFUSED, lock)
            raise PermissionDenied(lock.message())
        return super().authenticate(request, username=username, password=password, **kwargs)


def refusal(request) -> Lockout | None:
    return getattr(request, REFUSED, None)
