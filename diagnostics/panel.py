"""The diagnostics section of the incident page (registered with incidents.extensions)."""

from diagnostics import selectors
from diagnostics.checks import REGISTRY
from diagnostics.playbooks import PLAYBOOKS
from warroom.permissions import Perm, can


def context(request, incident) -> dict:
    runs = list(selectors.runs_for_incident(incident.pk)[: selectors.PANEL_RUNS])
    for run in runs:
        run.spec = REGISTRY.get(run.check_name)
    return {
        "runs": runs,
        "targets": list(selectors.enabled_targets()),
        "checks": sorted(REGISTRY.values(), key=lambda c: c.name),
        "playbooks": PLAYBOOKS.values(),
        "grafana": selectors.grafana_links(incident),
        "triage_due": selectors.triage_clock(incident),
        "can_run": can(request.user, Perm.RUN_CHECK) and incident.is_open,
        "now": selectors.now(),
    }
