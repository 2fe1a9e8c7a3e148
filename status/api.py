"""The external services over the API (read-only), and an incident's public status updates."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from incidents.models import Incident
from status import selectors, services
from status.models import Component, ComponentStatus, Impact, Provider, PublicStatus, PublicUpdate
from warroom.permissions import Perm, api_permission


class ProviderSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    state_display = serializers.CharField(source="get_state_display")

    class Meta:
        model = Provider
        fields = ["id", "name", "kind", "kind_display", "url", "status_page_url", "support_contact", "components",
                  "state", "state_display", "description", "detail", "error", "read_at"]


@extend_schema(responses=ProviderSerializer(many=True))
@api_view(["GET"])
@permission_classes([api_permission(Perm.VIEW_INCIDENT)])
def external_services(request):
    """The providers the runbook checks, each with its last reading ("unknown" with the error when it failed)."""
    return Response(ProviderSerializer(selectors.providers(), many=True).data)


class PublicUpdateSerializer(serializers.ModelSerializer):
    """A public update as the commander sees it in the API (who wrote it is internal: not here either)."""

    title = serializers.CharField(source="public_incident.title")
    impact = serializers.CharField(source="public_incident.impact")

    class Meta:
        model = PublicUpdate
        fields = ["id", "title", "impact", "status", "body", "created_at"]


class PublicUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False, allow_blank=True, default="")
    use_incident_title = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=PublicStatus.choices)
    impact = serializers.ChoiceField(choices=Impact.choices)
    components = serializers.ListField(child=serializers.SlugRelatedField(slug_field="name",
                                                                          queryset=Component.objects.all()),
                                       required=False, default=list)
    component_status = serializers.ChoiceField(choices=ComponentStatus.choices, required=False,
                                               default=ComponentStatus.DEGRADED_PERFORMANCE)
    body = serializers.CharField(max_length=services.BODY_MAX)


@extend_schema(methods=["GET"], responses=PublicUpdateSerializer(many=True))
@extend_schema(methods=["POST"], request=PublicUpdateInputSerializer, responses={201: PublicUpdateSerializer})
@api_view(["GET", "POST"])
@permission_classes([api_permission(Perm.VIEW_INCIDENT, Perm.MANAGE_INCIDENT)])
def status_updates(request, pk: int):
    """The incident's public updates, newest first; POST posts one to the status page (components by name)."""
    incident = get_object_or_404(Incident, pk=pk)
    if request.method == "GET":
        rows = PublicUpdate.objects.filter(public_incident__incident=incident).select_related("public_incident")
        return Response(PublicUpdateSerializer(rows, many=True).data)
    data = PublicUpdateInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    title = incident.title if values["use_incident_title"] else values["title"]
    try:
        update = services.status_update_post(incident=incident, title=title, body=values["body"],
                                             impact=values["impact"], status=values["status"],
                                             components=list(values["components"]),
                                             component_status=values["component_status"], by=request.user)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc
    return Response(PublicUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
