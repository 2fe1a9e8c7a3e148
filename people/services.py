"""Writes of the people app. Contacts, rotations, overrides and policies are edited in the admin (which logs each
change with its author); the calendar token is the one thing a person changes from a page."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from people.models import CalendarToken
from people.models.directory import new_calendar_token
from warroom.permissions import Perm, can, require


def calendar_token_regenerate(*, by: User) -> CalendarToken:
    """A new secret for `by`'s calendar-feed URLs (the first one, or a replacement that cuts off every old link)."""
    require(by, Perm.VIEW_CONTACTS)
    token, created = CalendarToken.objects.get_or_create(user=by)
    if not created:
        token.token, token.created_at = new_calendar_token(), timezone.now()
        token.save(update_fields=["token", "created_at"])
    return token


def calendar_token_user(*, user_pk: int, token: str) -> User | AnonymousUser:
    """Whose feed URL this is: its owner if the token is theirs and they may still read contacts, else anonymous."""
    row = CalendarToken.objects.select_related("user").filter(user_id=user_pk).first()
    # compare_digest takes as long whatever the guess, so the token cannot be found a character at a time.
    if row is None or not secrets.compare_digest(row.token.encode(), token.encode()):
        return AnonymousUser()
    return row.user if can(row.user, Perm.VIEW_CONTACTS) else AnonymousUser()
