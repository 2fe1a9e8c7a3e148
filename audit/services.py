"""Recording in the audit log: the one way in, for every app (`record`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from audit.context import current, origin_of
from audit.models import Action, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest


def _clean(text: str, limit: int) -> str:
    return str(text).replace("\x00", "")[:limit]  # PostgreSQL refuses NUL in text


def _json(value: Any) -> Any:
    """What JSON can hold (dates as ISO text, as Django's encoder writes them), without NUL: jsonb refuses it."""
    return _no_nul(json.loads(DjangoJSONEncoder().encode(value)))


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    return value


def record(action: Action, /, *, by: User | AnonymousUser | None, target: models.Model | None = None,
           request: HttpRequest | None = None, actor_name: str = "", **details: Any) -> AuditEvent:
    """Write one event: who (`by`), what, on what, when, and from where (the request given, or the current one's).

    Call it inside the transaction of the change it records, so a rolled-back change leaves no event and an event
    that cannot be written rolls the change back.
    """
    origin = origin_of(request) if request is not None else current()
    actor = by if by is not None and by.is_authenticated else None
    event = AuditEvent(
        action=action, actor=actor, actor_name=_clean(actor.get_username() if actor else actor_name, 150),
        ip=origin.ip, user_agent=origin.user_agent,
        details={_clean(k, 100): _json(v) for k, v in details.items()})
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = _clean(str(target.pk), 64)
        event.target_repr = _clean(str(target), 200)
    event.save()
    return event
