"""The incident API, for scripts, alerts and bots. Same services, same permission check as the pages."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from incidents import selectors, services
from incidents.announcement import announcement_text
from incidents.models import Entry, Incident, Severity
from incidents.serializers import (
    AnnouncementSerializer,
    EntrySerializer,
    IncidentCreateSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    NoteSerializer,
    RoleSerializer,
    SeveritySerializer,
    TransitionSerializer,
)
from warroom.api import Conflict
from warroom.permissions import Perm, api_permission

# Reading needs VIEW_INCIDENT; a note (POST timeline) ADD_NOTE; every other write MANAGE_INCIDENT.
IncidentPermission = api_permission(Perm.VIEW_INCIDENT, Perm.MANAGE_INCIDENT, timeline=Perm.ADD_NOTE)


class SeverityViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Severity.objects.all()
    serializer_class = SeveritySerializer
    lookup_field = "name"
    lookup_value_regex = "[A-Za-z0-9_-]+"  # anything else is an unknown URL (404), never a query
    pagination_class = None
    permission_classes = [IncidentPermission]


def _call(service, **kwargs):
    """Services refuse with TransitionError (409) or ValidationError (400, via the exception handler)."""
    try:
        return service(**kwargs)
    except services.TransitionError as exc:
        raise Conflict(str(exc)) from exc


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    permission_classes = [IncidentPermission]
    queryset = Incident.objects.for_history()

    def get_queryset(self):
        if self.action != "list":
            return super().get_queryset()
        filters = IncidentFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.incidents_filtered(status=data.get("status", ""), severity=data.get("severity"),
                                            is_open=data.get("open"))

    @extend_schema(parameters=[IncidentFilterSerializer])
    def list(self, request, *args, **kwargs):
        """Incidents, newest first; filter by status, severity and open/closed."""
        return super().list(request, *args, **kwargs)

    def _respond(self, incident, code=status.HTTP_200_OK):
        incident = Incident.objects.with_people().get(pk=incident.pk)
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def create(self, request):
        """Open an incident; it stays `detected` (and its clock runs) until someone acknowledges it."""
        data = IncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = _call(services.incident_declare, by=request.user, **data.validated_data)
        return self._respond(incident, status.HTTP_201_CREATED)

    @extend_schema(request=IncidentUpdateSerializer, responses=IncidentSerializer)
    def partial_update(self, request, pk=None, format=None):
        incident = self.get_object()
        data = IncidentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        severity, reason = changes.pop("severity", None), changes.pop("reason", "")
        with transaction.atomic():
            if severity is not None:
                incident = _call(services.incident_change_severity, incident=incident, severity=severity,
                                 by=request.user, reason=reason)
            if changes:
                incident = _call(services.incident_update, incident=incident, by=request.user, **changes)
        return self._respond(incident)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, format=None):
        incident = _call(services.incident_acknowledge, incident=self.get_object(), by=request.user)
        return self._respond(incident)

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = _call(services.incident_transition, incident=self.get_object(), by=request.user,
                         to=data.validated_data["status"], reason=data.validated_data["reason"],
                         expected_status=data.validated_data["expected_status"])
        return self._respond(incident)

    @extend_schema(request=RoleSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None, format=None):
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = _call(services.incident_assign_role, incident=self.get_object(), by=request.user,
                         **data.validated_data)
        return self._respond(incident)

    @extend_schema(methods=["GET"], responses=EntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=NoteSerializer, responses={201: EntrySerializer})
    @action(detail=True, methods=["get", "post"])
    def timeline(self, request, pk=None, format=None):
        """The append-only timeline; POST adds a note. Entries are never edited or deleted."""
        incident = self.get_object()
        if request.method == "GET":
            entries = incident.entries.for_timeline()
            page = self.paginate_queryset(entries)
            return self.get_paginated_response(EntrySerializer(page, many=True).data)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            entry = services.timeline_note(incident=incident, by=request.user, text=data.validated_data["text"],
                                           options=data.validated_data.get("options"))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AnnouncementSerializer)
    @action(detail=True, methods=["get"])
    def announcement(self, request, pk=None, format=None):
        """The runbook's Slack announcement, ready to paste."""
        return Response({"text": announcement_text(self.get_object())})


@extend_schema(methods=["POST"], request=None, responses=EntrySerializer)
@extend_schema(methods=["DELETE"], request=None, responses={200: EntrySerializer})  # the line, now unstarred
@api_view(["POST", "DELETE"])
@permission_classes([api_permission(Perm.VIEW_INCIDENT, Perm.ADD_NOTE)])
def entry_star(request, pk: int, entry_pk: int):
    """POST stars a timeline line for the post-mortem, DELETE removes the star; each is itself put on the timeline.

    Starring a starred line (or unstarring a plain one) changes nothing; allowed after resolution too.
    """
    entry = get_object_or_404(Entry.objects.select_related("incident"), pk=entry_pk, incident_id=pk)
    service = services.entry_star if request.method == "POST" else services.entry_unstar
    _call(service, entry=entry, by=request.user)
    return Response(EntrySerializer(Entry.objects.for_timeline().get(pk=entry.pk)).data)
