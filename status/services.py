"""Writes: a provider's reading (from the workers) and a commander's public update (from the incident page).

Reading a provider is an idempotent per-provider update, not a request → claim → finish run: a read has no
side effect outside its own row, and the next minute's beat reads again, so a lost worker costs one minute
of freshness (the page shows how old the reading is) and needs no reaper. Two reads of one provider may
overlap (a slow provider, a late worker): the stored one is the one that *started* last, by a conditional
UPDATE (`read_at` older than ours), so a slow old read never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident
from incidents.services import timeline_record
from status import providers as reading
from status import selectors
from status.apps import STATUS_PAGE_ENTRY
from status.models import (
    Component,
    ComponentStatus,
    Impact,
    Provider,
    ProviderKind,
    ProviderState,
    PublicIncident,
    PublicStatus,
    PublicUpdate,
)
from warroom.permissions import Perm, require

log = logging.getLogger(__name__)
TITLE_MAX, BODY_MAX = 200, 2000


def provider_read(*, provider_id: int, now: dt.datetime | None = None) -> ProviderState | None:
    """Read one provider and store its state (or "unknown" and why); None when a newer read was stored first."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return None
    started = now or timezone.now()
    fields: dict = {"read_at": started, "error": "", "detail": {}}
    try:
        if provider.kind == ProviderKind.STATUSPAGE_V2:
            result = reading.parse_summary(reading.fetch(reading.summary_url(provider.url),
                                                         timeout=provider.timeout_seconds),
                                           watch=[str(c) for c in provider.components or []])
        elif provider.kind == ProviderKind.FEED:
            result = reading.parse_feed(reading.fetch(provider.url, timeout=provider.timeout_seconds), now=started)
        else:
            result = reading.Reading(ProviderState.NOT_READ, "")
        fields |= {"state": result.state, "description": result.description[:300], "detail": result.detail}
    except reading.ReadError as exc:
        fields |= {"state": ProviderState.UNKNOWN, "description": "", "error": reading.scrubbed(str(exc), provider.url)}
    except Exception as exc:  # an unforeseen failure is still an "unknown" reading, never a stuck one
        log.exception("Reading provider %s failed", provider.name)
        fields |= {"state": ProviderState.UNKNOWN, "description": "",
                   "error": reading.scrubbed(f"unexpected error: {type(exc).__name__}", provider.url)}
    stored = Provider.objects.filter(Q(read_at__isnull=True) | Q(read_at__lt=started), pk=provider_id).update(**fields)
    return fields["state"] if stored else None


def providers_read_all() -> list[int]:
    """For beat: the ids of the providers to read now (kind "none" is never read: it keeps "not read")."""
    return list(Provider.objects.readable().values_list("pk", flat=True))


def _clean(*, title: str, body: str, impact: str, status: str, component_status: str) -> dict:
    errors: dict[str, list[str]] = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = ["Give the public title: what users see, not the internal one."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"At most {TITLE_MAX} characters."]
    if not body:
        errors["body"] = ["Write the update the public reads."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"At most {BODY_MAX} characters."]
    for name, value, enum in (("impact", impact, Impact), ("status", status, PublicStatus),
                              ("component_status", component_status, ComponentStatus)):
        if value not in enum.values:
            errors[name] = [f"Choose one of: {', '.join(enum.values)}."]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "body": body}


@transaction.atomic
def status_update_post(*, incident: Incident, title: str, body: str, impact: str, status: str,
                       components: list[Component], component_status: str = ComponentStatus.DEGRADED_PERFORMANCE,
                       by: User, now: dt.datetime | None = None) -> PublicUpdate:
    """Tell the public: create or update the incident's public record, add an update, set the affected components.

    Resolving sets the affected components back to operational (unless another current public incident still
    names them). The update is also a timeline entry; the public page's cache is cleared once this commits.
    """
    require(by, Perm.MANAGE_INCIDENT)
    cleaned = _clean(title=title, body=body, impact=impact, status=status, component_status=component_status)
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)  # one public record per incident
    public = PublicIncident.objects.filter(incident=incident).first() or PublicIncident(incident=incident,
                                                                                         created_at=now)
    previous = set(public.components.all()) if public.pk else set()
    public.title, public.impact, public.status, public.updated_at = cleaned["title"], impact, status, now
    public.resolved_at = now if status == PublicStatus.RESOLVED else None
    public.save()
    public.components.set(components)
    update = PublicUpdate.objects.create(public_incident=public, status=status, body=cleaned["body"], by=by,
                                         created_at=now)
    if status == PublicStatus.RESOLVED:
        still = set(Component.objects.filter(public_incidents__in=PublicIncident.objects.current()
                                             .exclude(pk=public.pk)))
        _components_set(set(components) | previous, ComponentStatus.OPERATIONAL, now=now, keep=still)
    else:
        _components_set(set(components), ComponentStatus(component_status), now=now)
    names = ", ".join(c.name for c in components) or "no component"
    timeline_record(incident=incident, kind=STATUS_PAGE_ENTRY, by=by,
                    text=f"Status page: {PublicStatus(status).label} · impact {Impact(impact).label.lower()} · "
                         f"{names} — “{cleaned['title']}”: {cleaned['body']}",
                    data={"public_incident": public.pk, "update": update.pk, "status": status, "impact": impact,
                          "components": [c.pk for c in components]})
    transaction.on_commit(selectors.public_forget)
    return update


def _components_set(components: set[Component], status: ComponentStatus, *, now: dt.datetime,
                    keep: set[Component] | None = None) -> None:
    ids = [c.pk for c in components if c not in (keep or set())]
    Component.objects.filter(pk__in=ids).exclude(status=status).update(status=status, updated_at=now)
