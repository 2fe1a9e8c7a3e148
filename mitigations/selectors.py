from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce

from mitigations.models import Mitigation, ScaleLimits
from targets.models import Target

PANEL_MITIGATIONS = 10


def mitigations_for_incident(incident_id: int) -> QuerySet:
    return (Mitigation.objects.filter(incident_id=incident_id)
            .select_related("target", "manifest", "requested_by", "approved_by", "confirmed_by", "cancelled_by"))


def deployment_targets() -> QuerySet:
    """Kubernetes targets to act on, each with the min_replicas and max_replicas its scale limits allow."""
    return (Target.objects.filter(enabled=True, kind=Target.Kind.KUBERNETES).exclude(deployment="")
            .annotate(min_replicas=Coalesce("scale_limits__min_replicas", Value(ScaleLimits.DEFAULT_MIN)),
                      max_replicas=Coalesce("scale_limits__max_replicas", Value(ScaleLimits.DEFAULT_MAX))))
