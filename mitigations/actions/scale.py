"""Scale a deployment: `kubectl scale deployment/X --replicas=N`, within the target's ScaleLimits, whoever asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mitigations.actions.base import (
    DRY_RUN,
    FIELD_MANAGER,
    Action,
    ActionParamError,
    Change,
    Outcome,
    is_int,
    register,
    session_for,
    unknown_params,
    where,
)
from mitigations.models import ScaleLimits
from targets.kubernetes.errors import ClusterError

if TYPE_CHECKING:
    from targets.models import Target

MERGE_PATCH = "application/merge-patch+json"
CONFLICT_RETRIES = 2  # a 409 on scale is retried at most this many times (re-read, re-patch)


def replica_bounds(target: Target) -> tuple[int, int]:
    return ScaleLimits.of(target)


def clean_replicas(target: Target, value: Any, action: str = "kubernetes.scale") -> int:
    """An int within the target's [min_replicas, max_replicas]: scaling past them is refused, whoever asks."""
    low, high = replica_bounds(target)
    if not is_int(value):
        raise ActionParamError(f"{action}: replicas must be a whole number between {low} and {high}")
    if not low <= value <= high:
        raise ActionParamError(f"{action}: replicas must be between {low} and {high} for target "
                               f"{target.name or target.deployment} (got {value})")
    return value


@register
class Scale(Action):
    name = "kubernetes.scale"
    title = "Scale deployment"
    runbook = "kubectl scale deployment/bharatcart-api --replicas=10"
    destructive = False
    doing = "scale {deployment}"

    def params_in_words(self, params: dict) -> str:
        replicas = params.get("replicas")
        return f"to {replicas} replica{'' if replicas == 1 else 's'}"

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        raw = raw or {}
        unknown_params(self, raw, {"replicas"})
        if "replicas" not in raw:
            low, high = replica_bounds(target)
            raise ActionParamError(f"{self.name}: replicas is required (between {low} and {high})")
        return {"replicas": clean_replicas(target, raw["replicas"], self.name)}

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        replicas = self.clean_params(target, params)["replicas"]
        namespace, name = where(target)
        objects = [f"Deployment {namespace}/{name}"]
        with session_for(target) as session:
            for attempt in range(CONFLICT_RETRIES + 1):
                scale = session.call(session.apps.read_namespaced_deployment_scale, name, namespace,
                                     doing=f"reading the scale of deployment {name} in namespace {namespace}",
                                     not_found=f"deployment {name} not found in namespace {namespace}")
                current = scale.spec.replicas if scale.spec else None
                before = {"replicas": current, "running": scale.status.replicas if scale.status else None}
                if current == replicas:
                    return Outcome(f"deployment {name} already wants {replicas} replicas", objects=objects,
                                   noop=True, before=before, after=before)
                try:
                    answer = session.call(
                        session.apps.patch_namespaced_deployment_scale, name, namespace,
                        {"spec": {"replicas": replicas}}, dry_run=DRY_RUN if dry_run else None,
                        field_manager=FIELD_MANAGER, _content_type=MERGE_PATCH,
                        doing=f"scaling deployment {name} in namespace {namespace}",
                        not_found=f"deployment {name} not found in namespace {namespace}")
                    break
                except ClusterError as exc:  # only a conflict is retried: someone else changed it meanwhile
                    if exc.status != 409 or attempt == CONFLICT_RETRIES:
                        raise
        after = answer.spec.replicas if answer.spec else None
        return Outcome(f"Scale {name} from {current} to {after} replicas",
                       changes=[Change("replicas", current, after)], objects=objects,
                       before=before, after={"replicas": after}, follow_rollout=not dry_run)
