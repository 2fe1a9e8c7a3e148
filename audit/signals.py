"""Sign-ins, refused sign-ins and sign-outs, from Django's own signals: the login page and the admin's alike."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from audit.lockout import refusal
from audit.models import Action
from audit.services import record


def logged_in(sender, request, user, **kwargs) -> None:
    record(Action.LOGIN, by=user, target=user, request=request)


def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out while signed out changes nothing
        record(Action.LOGOUT, by=user, target=user, request=request)


def login_failed(sender, credentials, request=None, **kwargs) -> None:
    """The name tried, never the password (nor any other credential: only the username field is read)."""
    tried = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    locked = request is not None and refusal(request) is not None  # refused unchecked (audit/lockout.py)
    record(Action.LOGIN_LOCKED if locked else Action.LOGIN_FAILED, by=None, actor_name=str(tried), request=request)


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="audit_login_failed")
