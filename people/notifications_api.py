"""Notifications over the API: who was told about an incident, how it went, and the next escalation step."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from incidents.models import Incident
from people.models import Notification
from people.notifications_panel import notifications_for, upcoming
from warroom.permissions import Perm, api_permission

CanView = api_permission(Perm.VIEW_INCIDENT)


class NotificationSerializer(serializers.ModelSerializer):
    """A contact's name only (their addresses are the directory's, behind its own permission); never a secret."""

    contact = serializers.CharField(source="contact.name")

    class Meta:
        model = Notification
        fields = ["id", "contact", "channel", "status", "event", "severity", "level", "round", "attempts",
                  "last_error", "created_at", "not_before", "finished_at"]


class NextStepSerializer(serializers.Serializer):
    level = serializers.IntegerField(source="step.level.number")
    round = serializers.IntegerField(source="step.round")
    due_at = serializers.DateTimeField(source="step.due")
    seconds_left = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    def get_seconds_left(self, obj) -> int:
        return max(0, int(obj.left.total_seconds()))

    def get_contacts(self, obj) -> list[str]:
        return [c.name for c in obj.contacts]


class IncidentNotificationsSerializer(serializers.Serializer):
    notifications = NotificationSerializer(many=True)
    next = NextStepSerializer(allow_null=True)


@extend_schema(responses=IncidentNotificationsSerializer)
@api_view(["GET"])
@permission_classes([CanView])
def incident_notifications(request, pk: int):
    incident = get_object_or_404(Incident.objects.select_related("severity"), pk=pk)
    data = {"notifications": notifications_for(incident.pk), "next": upcoming(incident, timezone.now())}
    return Response(IncidentNotificationsSerializer(data).data)
