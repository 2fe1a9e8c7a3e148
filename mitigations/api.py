"""Mitigations over the API: request (with its preview), approve, confirm, cancel, follow."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from incidents.models import Incident
from mitigations import selectors, services
from mitigations.actions import ActionParamError
from mitigations.models import Mitigation
from mitigations.serializers import (
    ConfirmSerializer,
    MitigationRequestSerializer,
    MitigationSerializer,
    ParamsSerializer,
)
from warroom.api import Conflict
from warroom.permissions import Perm, api_permission

# Declared here like every API; the services check again (with the state rules), so a caller can't skip them.
CanPrepare = api_permission(Perm.VIEW_INCIDENT, Perm.PREVIEW_MITIGATION)
CanExecute = api_permission(Perm.VIEW_INCIDENT, Perm.EXECUTE_MITIGATION)


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except ActionParamError as exc:
        raise serializers.ValidationError(str(exc)) from exc
    except services.MitigationError as exc:
        raise Conflict(str(exc)) from exc
    except PermissionDenied as exc:
        raise Forbidden(str(exc) or None) from exc


def _mitigation(pk: int) -> Mitigation:
    return get_object_or_404(Mitigation.objects.select_related("target", "incident__severity"), pk=pk)


def _data(mitigation: Mitigation, code=status.HTTP_200_OK) -> Response:
    mitigation = Mitigation.objects.select_related(
        "target", "requested_by", "approved_by", "confirmed_by", "cancelled_by", "manifest").get(pk=mitigation.pk)
    return Response(MitigationSerializer(mitigation).data, status=code)


@extend_schema(methods=["GET"], responses=MitigationSerializer(many=True))
@extend_schema(methods=["POST"], request=MitigationRequestSerializer, responses={201: MitigationSerializer})
@api_view(["GET", "POST"])
@permission_classes([CanPrepare])
def incident_mitigations(request, pk: int):
    """POST dry-runs the action and answers with its preview; nothing changes until it is confirmed."""
    incident = get_object_or_404(Incident.objects.select_related("severity"), pk=pk)
    if request.method == "GET":
        return Response(MitigationSerializer(selectors.mitigations_for_incident(incident.pk)[:100], many=True).data)
    data = MitigationRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    mitigation = _call(services.mitigation_request, incident=incident, by=request.user, **data.validated_data)
    return _data(mitigation, status.HTTP_201_CREATED)


@extend_schema(methods=["PATCH"], request=ParamsSerializer, responses=MitigationSerializer)
@extend_schema(methods=["GET"], responses=MitigationSerializer)
@api_view(["GET", "PATCH"])
@permission_classes([CanPrepare])
def mitigation_detail(request, pk: int):
    """PATCH new params: a new preview, and any approval for the old params is void."""
    mitigation = _mitigation(pk)
    if request.method == "GET":
        return _data(mitigation)
    data = ParamsSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    mitigation = _call(services.mitigation_change_params, mitigation=mitigation, by=request.user,
                       params=data.validated_data["params"])
    return _data(mitigation)


@extend_schema(request=None, responses=MitigationSerializer)
@api_view(["POST"])
@permission_classes([CanExecute])
def approve(request, pk: int):
    mitigation = _call(services.mitigation_approve, mitigation=_mitigation(pk), by=request.user)
    return _data(mitigation)


@extend_schema(request=ConfirmSerializer, responses={202: MitigationSerializer})
@api_view(["POST"])
@permission_classes([CanExecute])
def confirm(request, pk: int):
    data = ConfirmSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    mitigation = _call(services.mitigation_confirm, mitigation=_mitigation(pk), by=request.user,
                       confirm=data.validated_data["confirm"])
    return _data(mitigation, status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses=MitigationSerializer)
@api_view(["POST"])
@permission_classes([CanExecute])
def cancel(request, pk: int):
    """Only before a worker starts it: 409 once it runs or has ended."""
    mitigation = _call(services.mitigation_cancel, mitigation=_mitigation(pk), by=request.user)
    return _data(mitigation)
