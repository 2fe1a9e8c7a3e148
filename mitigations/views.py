"""Incident-page buttons for mitigations. Same services and answers as every incident action.

URL names are mitigations:<step> (request, approve, confirm, cancel), as in the API (mitigations-api:<step>).
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from incidents.models import Incident
from incidents.views import after_action
from mitigations import services
from mitigations.actions import ActionParamError
from mitigations.models import Mitigation
from warroom.permissions import Perm, require

# Which form fields become which action's parameters: whole numbers, and names (kept as typed; the action checks).
PARAM_FIELDS = {"kubernetes.rollout_undo": {"to_revision"}, "kubernetes.scale": {"replicas"}}
NAME_FIELDS = {"kubernetes.delete_pod": {"pod"}}


def _params(action: str, post) -> dict:
    params: dict = {}
    for name in PARAM_FIELDS.get(action, ()):
        raw = post.get(name, "").strip()
        if raw:
            if not raw.isdigit():
                raise ActionParamError(f"{name} must be a whole number")
            params[name] = int(raw)
    for name in NAME_FIELDS.get(action, ()):
        params[name] = post.get(name, "").strip()
    return params


def _act(request, page: Incident, call, **kwargs):
    """Call a service; refusals become the page's error box (400 bad input, 409 not now, 403 by raising)."""
    try:
        call(by=request.user, **kwargs)
    except ActionParamError as exc:
        return after_action(request, page, error=str(exc), status=400)
    except ValidationError as exc:
        return after_action(request, page, error=" ".join(exc.messages), status=400)
    except services.MitigationError as exc:
        return after_action(request, page, error=str(exc), status=409)
    return after_action(request, page)


def _incident(request, pk, perm: Perm) -> Incident:
    require(request.user, perm)  # the services check again, with the state rules
    return get_object_or_404(Incident.objects.select_related("severity"), pk=pk)


@require_POST
def request_mitigation(request, pk: int):
    incident = _incident(request, pk, Perm.PREVIEW_MITIGATION)
    action = request.POST.get("action", "")
    try:
        params = _params(action, request.POST)
    except ActionParamError as exc:
        return after_action(request, incident, error=str(exc), status=400)
    return _act(request, incident, services.mitigation_request, incident=incident, action=action,
                target=request.POST.get("target", ""), params=params)


def _mitigation(request, pk: int, mitigation_pk: int) -> tuple[Incident, Mitigation]:
    incident = _incident(request, pk, Perm.EXECUTE_MITIGATION)
    return incident, get_object_or_404(Mitigation, pk=mitigation_pk, incident=incident)


@require_POST
def approve(request, pk: int, mitigation_pk: int):
    incident, mitigation = _mitigation(request, pk, mitigation_pk)
    return _act(request, incident, services.mitigation_approve, mitigation=mitigation)


@require_POST
def confirm(request, pk: int, mitigation_pk: int):
    incident, mitigation = _mitigation(request, pk, mitigation_pk)
    return _act(request, incident, services.mitigation_confirm, mitigation=mitigation,
                confirm=request.POST.get("confirm", ""))


@require_POST
def cancel(request, pk: int, mitigation_pk: int):
    incident, mitigation = _mitigation(request, pk, mitigation_pk)
    return _act(request, incident, services.mitigation_cancel, mitigation=mitigation)
