"""The mitigations section of the incident page (registered with incidents.extensions)."""

from django.conf import settings

from mitigations import selectors
from mitigations.actions import REGISTRY
from mitigations.permissions import can_execute, can_preview


def context(request, incident) -> dict:
    mitigations = list(selectors.mitigations_for_incident(incident.pk)[: selectors.PANEL_MITIGATIONS])
    for m in mitigations:
        spec = REGISTRY.get(m.action)
        m.spec = spec
        m.needs_approval = bool(spec and spec.destructive and incident.severity.level <= 2)
    return {
        "mitigations": mitigations,
        "targets": list(selectors.deployment_targets()),
        "can_preview": can_preview(request.user) and incident.is_open,
        "can_execute": can_execute(request.user),
        "user_id": request.user.pk,
        "dba_contact": settings.DBA_CONTACT,
        "approval_minutes": settings.MITIGATION_APPROVAL_MINUTES,
    }
