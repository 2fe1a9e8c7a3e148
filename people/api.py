"""The directory over the API, read-only: contacts, who is on call, the escalation table."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from people import selectors
from people.models import Contact
from people.serializers import ContactSerializer, OncallSerializer, SeverityRowSerializer
from warroom.permissions import Perm, api_permission

CanRead = api_permission(Perm.VIEW_CONTACTS)  # no write permission: any other method is a 405
ONCALL_DAYS = 14


@extend_schema(responses=ContactSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanRead])
def contacts(request):
    """Every contact, with the roles they hold."""
    rows = Contact.objects.select_related("user").prefetch_related("roles")
    return Response(ContactSerializer(rows, many=True).data)


@extend_schema(responses=OncallSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanRead])
def oncall(request):
    """Each rotation: who is on call now, who is next, and the shifts of the next 14 days."""
    summaries = selectors.rotation_summaries(timezone.now(), days=ONCALL_DAYS)
    return Response(OncallSerializer(summaries, many=True).data)


@extend_schema(responses=SeverityRowSerializer(many=True))
@api_view(["GET"])
@permission_classes([CanRead])
def escalation(request):
    """The escalation table as the page shows it: each severity's levels, roles resolved to contacts now."""
    return Response(SeverityRowSerializer(selectors.escalation_table(timezone.now()), many=True).data)
