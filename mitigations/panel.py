"""The mitigations section of the incident page (registered with incidents.extensions).

Which buttons a person sees, and why the others are missing, is asked of the services: the rules live there once.
"""

from django.conf import settings
from django.utils import timezone

from mitigations import selectors, services
from mitigations.actions import REGISTRY
from warroom.permissions import Perm, can


def context(request, incident) -> dict:
    mitigations = list(selectors.mitigations_for_incident(incident.pk)[: selectors.PANEL_MITIGATIONS])
    now = timezone.now()
    for m in mitigations:
        m.incident = incident  # the page's own: no query per mitigation for its severity
        m.spec = REGISTRY.get(m.action)
        m.in_words = services.in_words(m)
        m.confirm_word = services.confirm_word(m)
        m.needs_approval = services.needs_approval(m)
        m.allowed = services.mitigation_allowed_actions(m, request.user, now=now)
    return {
        "mitigations": mitigations,
        "targets": list(selectors.deployment_targets()),
        "can_preview": can(request.user, Perm.PREVIEW_MITIGATION) and incident.is_open,
        "dba_contact": settings.DBA_CONTACT,
        "approval_minutes": settings.MITIGATION_APPROVAL_MINUTES,
    }
