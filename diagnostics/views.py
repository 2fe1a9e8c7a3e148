"""Buttons on the incident page: run a check, run triage, run a playbook. Answers like every incident action."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from diagnostics import services, watches
from diagnostics.checks import ParamError
from diagnostics.forms import RunForm
from diagnostics.models import MemoryWatch
from incidents.models import Incident
from incidents.views import after_action
from warroom.permissions import Perm, require


def _incident(request, pk: int) -> Incident:
    require(request.user, Perm.RUN_CHECK)
    return get_object_or_404(Incident, pk=pk)


def _start(request, incident, start, **kwargs):
    if not incident.is_open:
        return after_action(request, incident, error="The incident is resolved; checks run on open incidents.",
                            status=409)
    try:
        start(incident=incident, by=request.user, **kwargs)
    except ParamError as exc:
        return after_action(request, incident, error=str(exc), status=400)
    return after_action(request, incident)


@require_POST
def run_check(request, pk: int):
    incident = _incident(request, pk)
    form = RunForm(request.POST)
    if not form.is_valid():
        text = " ".join(f"{f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items())
        return after_action(request, incident, error=text, status=400)
    data = form.cleaned_data
    return _start(request, incident, services.run_request, check=data["check"], target=data["target"],
                  params=data["params"])


@require_POST
def triage(request, pk: int):
    return _start(request, _incident(request, pk), services.triage_start)


@require_POST
def playbook(request, pk: int, slug: str):
    return _start(request, _incident(request, pk), services.playbook_start, slug=slug)


@require_POST
def watch_start(request, pk: int):
    """Watch memory: from the pods table or the High memory usage playbook (the target and minutes in the form)."""
    incident = _incident(request, pk)
    try:
        watches.watch_start(incident=incident, target=request.POST.get("target", ""), by=request.user,
                            minutes=request.POST.get("minutes") or None)
    except ParamError as exc:
        return after_action(request, incident, error=str(exc), status=400)
    except watches.WatchError as exc:
        return after_action(request, incident, error=str(exc), status=409)
    return after_action(request, incident)


@require_POST
def watch_cancel(request, pk: int, watch_pk: int):
    incident = _incident(request, pk)
    watch = get_object_or_404(MemoryWatch.objects.select_related("target", "incident"), pk=watch_pk,
                              incident=incident)
    try:
        watches.watch_cancel(watch=watch, by=request.user)
    except watches.WatchError as exc:
        return after_action(request, incident, error=str(exc), status=409)
    return after_action(request, incident)
