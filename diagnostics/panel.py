"""The diagnostics section of the incident page (registered with incidents.extensions): checks, playbooks and their
solutions as buttons, and memory watches with a chart per pod."""

import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from diagnostics import selectors, watches
from diagnostics.checks import REGISTRY
from diagnostics.models import Run
from diagnostics.playbooks import HEAP_SNAPSHOT_COMMAND, PLAYBOOKS, SolutionKind
from incidents.extensions import contacts_for_role
from targets.models import Target
from warroom.permissions import Perm, can

POD_TABLES = ("kubernetes.pods", "kubernetes.top")  # runs whose first column is a pod's name


def scale_up_to(current: int | None, low: int | None, high: int | None) -> int | None:
    """The runbook's "Scale up", prefilled: current replicas + 50 % (rounded up, at least one more), within the
    target's bounds; None when the current count is unknown."""
    if current is None:
        return None
    wanted = max(math.ceil(current * 1.5), current + 1)
    if low is not None:
        wanted = max(wanted, low)
    if high is not None:
        wanted = min(wanted, high)
    return wanted


@dataclass(frozen=True)
class Deployment:
    """A Kubernetes target as the solutions draw it: its scale bounds (the mitigations' limits, read through the
    target's relation) and the current replicas as the latest pods table in this incident counted them."""

    name: str
    deployment: str
    low: int | None
    high: int | None
    current_replicas: int | None
    scale_up_to: int | None


def _deployments(targets: list[Target], runs: list[Run]) -> list[Deployment]:
    out = []
    for t in targets:
        if t.kind != Target.Kind.KUBERNETES or not t.deployment:
            continue
        limits = getattr(t, "scale_limits", None)
        low, high = (limits.min_replicas, limits.max_replicas) if limits else (None, None)
        latest = next((r for r in runs if r.target_id == t.pk and r.check_name == "kubernetes.pods"
                       and r.status == Run.Status.SUCCEEDED), None)
        current = len(latest.rows) if latest else None
        out.append(Deployment(t.name, t.deployment, low, high, current, scale_up_to(current, low, high)))
    return out


def _solutions(contacts: dict[str, list[dict]]) -> list[dict]:
    """Each playbook with solutions, and each solution as the template draws it (with who to call for CALL_ROLE)."""
    return [{"playbook": p, "items": [{"kind": s.kind.value, "label": s.label, "role": s.role,
                                       "contacts": contacts.get(s.role, [])} for s in p.solutions]}
            for p in PLAYBOOKS.values() if p.solutions]


def context(request, incident) -> dict:
    runs = list(selectors.runs_for_incident(incident.pk)[: selectors.PANEL_RUNS])
    for run in runs:
        run.spec = REGISTRY.get(run.check_name)
        run.pod_table = run.check_name in POD_TABLES and run.target.kind == Target.Kind.KUBERNETES
    watch_list = watches.watches_for_incident(incident.pk)
    for watch in watch_list:
        setattr(watch, "report", watches.watch_report(watch))  # noqa: B010 - for the template
    roles = {s.role for p in PLAYBOOKS.values() for s in p.solutions if s.kind == SolutionKind.CALL_ROLE}
    now = timezone.now()
    targets = list(selectors.enabled_targets())
    return {
        "runs": runs,
        "targets": targets,
        "deployments": _deployments(targets, runs),
        "checks": sorted(REGISTRY.values(), key=lambda c: c.name),
        "playbooks": PLAYBOOKS.values(),
        "grafana": selectors.grafana_links(incident),
        "triage_due": selectors.triage_clock(incident),
        "can_run": can(request.user, Perm.RUN_CHECK) and incident.is_open,
        "can_mitigate": can(request.user, Perm.PREVIEW_MITIGATION) and incident.is_open,
        "watches": watch_list,
        "watch_minutes": settings.DIAGNOSTICS_WATCH_SECONDS // 60,
        "watch_max_minutes": settings.DIAGNOSTICS_WATCH_MAX_SECONDS // 60,
        "solutions": _solutions({role: contacts_for_role(role, now) for role in sorted(roles)}),
        "heap_snapshot": HEAP_SNAPSHOT_COMMAND,
        "runbook_url": settings.RUNBOOK_URL,
        "now": selectors.now(),
    }
