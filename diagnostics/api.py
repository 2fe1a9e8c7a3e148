"""Diagnostics over the API: targets, checks, runs, triage and playbooks."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from diagnostics import selectors, services, watches
from diagnostics.checks import REGISTRY, ParamError
from diagnostics.models import Run
from diagnostics.playbooks import PLAYBOOKS
from diagnostics.serializers import (
    CheckSerializer,
    MemoryWatchSerializer,
    PlaybookSerializer,
    RunRequestSerializer,
    RunSerializer,
    TargetSerializer,
)
from incidents.models import Incident
from warroom.api import Conflict
from warroom.permissions import Perm, api_permission

CanView = api_permission(Perm.VIEW_INCIDENT)
CanRunOrView = api_permission(Perm.VIEW_INCIDENT, Perm.RUN_CHECK)  # reading needs view; starting a run, run_check


def _ok_to_start(incident: Incident) -> None:
    if not incident.is_open:
        raise Conflict("The incident is resolved; checks run on open incidents.")


def _started(runs, request, **extra) -> Response:
    data = RunSerializer(runs, many=True, context={"request": request}).data
    return Response({**extra, "runs": data}, status=status.HTTP_202_ACCEPTED)


def _bad(exc: ParamError):
    raise serializers.ValidationError(str(exc)) from exc


@extend_schema(responses=TargetSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanView])
def targets(request):
    return Response(TargetSerializer(selectors.enabled_targets(), many=True).data)


@extend_schema(responses=CheckSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanView])
def checks(request):
    return Response(CheckSerializer(sorted(REGISTRY.values(), key=lambda c: c.name), many=True).data)


@extend_schema(responses=PlaybookSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanView])
def playbooks(request):
    return Response(PlaybookSerializer(PLAYBOOKS.values(), many=True).data)


@extend_schema(methods=["GET"], responses=RunSerializer(many=True))
@extend_schema(methods=["POST"], request=RunRequestSerializer, responses={202: RunSerializer})
@api_view(["GET", "POST"])
@permission_classes([CanRunOrView])
def incident_runs(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    if request.method == "GET":
        runs = selectors.runs_for_incident(incident.pk)[:200]
        return Response(RunSerializer(runs, many=True, context={"request": request}).data)
    data = RunRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    _ok_to_start(incident)
    try:
        run = services.run_request(incident=incident, by=request.user, **data.validated_data)
    except ParamError as exc:
        _bad(exc)
    return Response(RunSerializer(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(responses=RunSerializer)
@api_view(["GET"])
@permission_classes([CanView])
def run_detail(request, pk: int):
    run = get_object_or_404(Run.objects.select_related("target", "requested_by"), pk=pk)
    return Response(RunSerializer(run, context={"request": request}).data)


@extend_schema(request=None, responses={202: RunSerializer(many=True)})
@api_view(["POST"])
@permission_classes([CanRunOrView])
def triage(request, pk: int):
    """The runbook's triage checks on every enabled target, in parallel on the workers."""
    incident = get_object_or_404(Incident, pk=pk)
    _ok_to_start(incident)
    try:
        runs = services.triage_start(incident=incident, by=request.user)
    except ParamError as exc:
        _bad(exc)
    return _started(runs, request)


@extend_schema(request=None, responses={202: RunSerializer(many=True)})
@api_view(["POST"])
@permission_classes([CanRunOrView])
def run_playbook(request, pk: int, slug: str):
    incident = get_object_or_404(Incident, pk=pk)
    _ok_to_start(incident)
    try:
        playbook, runs = services.playbook_start(incident=incident, slug=slug, by=request.user)
    except ParamError as exc:
        if slug not in PLAYBOOKS:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        _bad(exc)
    return _started(runs, request, playbook=playbook.title, solution=playbook.solution)


@extend_schema(responses=MemoryWatchSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanView])
def incident_memory_watches(request, pk: int):
    """The incident's memory watches, each pod's samples and trend: what the post-mortem can draw on."""
    incident = get_object_or_404(Incident, pk=pk)
    found = watches.watches_for_incident(incident.pk, limit=None)
    for watch in found:
        setattr(watch, "report", watches.watch_report(watch))  # noqa: B010 - read by the serializer
    return Response(MemoryWatchSerializer(found, many=True).data)
