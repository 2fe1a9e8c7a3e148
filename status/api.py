"""The external services over the API, read-only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from status import selectors
from status.models import Provider
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
