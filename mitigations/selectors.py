from django.db.models import QuerySet

from mitigations.models import Mitigation
from targets.models import Target

PANEL_MITIGATIONS = 10


def mitigations_for_incident(incident_id: int) -> QuerySet:
    return (Mitigation.objects.filter(incident_id=incident_id)
            .select_related("target", "manifest", "requested_by", "approved_by", "confirmed_by", "cancelled_by"))


def deployment_targets() -> QuerySet:
    return Target.objects.filter(enabled=True, kind=Target.Kind.KUBERNETES).exclude(deployment="")
