"""The incident page's "Status page" section and the dashboard's banner of degraded providers."""

from incidents.models import Status
from status import selectors
from status.forms import StatusUpdateForm
from status.models import Component, PublicIncident
from warroom.permissions import Perm, can


def context(request, incident) -> dict:
    public = (PublicIncident.objects.filter(incident=incident).prefetch_related("updates", "components").first())
    can_post = can(request.user, Perm.MANAGE_INCIDENT)
    initial = {}
    if public:
        initial = {"title": public.title, "impact": public.impact, "status": public.status,
                   "components": list(public.components.all())}
    return {
        "public": public,
        **(_providers() if incident.is_open else {"degraded": [], "providers": []}),
        "can_post": can_post,
        "form": StatusUpdateForm(initial=initial, incident=incident) if can_post else None,
        "components": list(Component.objects.all()) if can_post else [],  # one query, for commanders only
        # The resolution step: the runbook's "update status page" comes with resolving.
        "resolving": incident.status == Status.MONITORING,
    }


def _providers() -> dict:
    """Every provider in one query: the degraded ones as a banner, all of them (the runbook's table) folded."""
    providers = list(selectors.providers())
    return {"degraded": [p for p in providers if p.is_degraded], "providers": providers}


def dashboard_context(request) -> dict:
    return _providers()
