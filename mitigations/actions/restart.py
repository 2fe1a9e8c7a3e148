"""Restart pods: `kubectl rollout restart deployment/X` (the whole deployment, rolled by its controller) and
`kubectl delete pod P` (one pod, the one that leaks, replaced by its ReplicaSet).

What kubectl decides is kept in pure functions tested on dicts (rolling_bounds, ready_minimum, delete_refusal);
the actions read through the typed client and write with one raw request each, carrying fieldManager (the patch)
and dryRun=All for a preview.

Why neither is *destructive* in the two-commander sense (README, "Two commanders"): both only replace pods by
identical ones from the same pod template (same image, same config, no data touched), and the deployment's own
availability rule bounds the capacity they take away: a rolling restart never has more than maxUnavailable pods
down, and delete_pod is refused whenever it would take the ready pods below that same minimum.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.utils import timezone

from mitigations.actions.base import (
    DRY_RUN,
    Action,
    ActionError,
    ActionParamError,
    Change,
    Outcome,
    deployment_path,
    no_params,
    register,
    session_for,
    unknown_params,
    where,
    writes,
)
from targets.kubernetes.kubectl import is_ready, pods_of

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession
    from targets.kubernetes.kubectl import KubeObject
    from targets.models import Target

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
DEFAULT_SURGE = DEFAULT_UNAVAILABLE = "25%"
_POD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


# --- pure: the deployment's rolling bounds and its ready minimum ------------------------------------------------------

def resolve_int_or_percent(value: int | str | None, total: int, *, round_up: bool) -> int:
    """apimachinery's intstr.GetScaledValueFromIntOrPercent: an int as is, "25%" of total rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            percent = int(text[:-1])
        except ValueError:
            raise ActionError(f"invalid rolling-update value {value!r}") from None
        scaled = percent * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    if text.isdigit():
        return int(text)
    raise ActionError(f"invalid rolling-update value {value!r}")


def rolling_bounds(strategy_type: str | None, max_surge: Any, max_unavailable: Any, replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) in pods, as the deployment controller resolves them
    (deploymentutil.ResolveFenceposts):
    surge rounded up, unavailable rounded down, and both zero means one unavailable. Recreate takes every pod down."""
    if strategy_type == "Recreate":
        return 0, replicas
    surge = resolve_int_or_percent(DEFAULT_SURGE if max_surge is None else max_surge, replicas, round_up=True)
    unavailable = resolve_int_or_percent(DEFAULT_UNAVAILABLE if max_unavailable is None else max_unavailable,
                                         replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def ready_minimum(replicas: int, max_unavailable: int) -> int:
    """The fewest ready pods the deployment accepts during a rollout: replicas − maxUnavailable, at least one
    when it wants any (a Recreate deployment accepts none while rolling, but a hand-deleted pod should still
    leave one serving)."""
    return max(replicas - max_unavailable, 1 if replicas > 0 else 0)


def controller_of(meta: dict | None) -> dict | None:
    """The ownerReference with controller: true (metav1.GetControllerOf), or None."""
    for ref in (meta or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def delete_refusal(*, pod: str, deployment: str, controller: dict | None, replicaset_owner: dict | None,
                   deployment_uid: str | None, pod_ready: bool, ready: int, replicas: int,
                   max_unavailable: int) -> str | None:
    """Why deleting this pod is refused, or None. The pod must be replaced by the deployment's controller (its
    owner a ReplicaSet that the deployment controls), and a ready pod's loss must keep the deployment at or above
    its ready minimum."""
    if controller is None:
        return (f"pod {pod} has no controller (a bare pod): nothing would replace it once deleted. "
                "Refused; delete it with kubectl if you mean to lose it.")
    if controller.get("kind") != "ReplicaSet":
        return (f"pod {pod} is controlled by {controller.get('kind')} {controller.get('name')}, not by "
                f"deployment {deployment}'s ReplicaSet: refused.")
    if replicaset_owner is None or replicaset_owner.get("kind") != "Deployment" or (
            deployment_uid and replicaset_owner.get("uid") != deployment_uid):
        return (f"pod {pod} belongs to ReplicaSet {controller.get('name')}, which deployment {deployment} does not "
                "control: refused.")
    minimum = ready_minimum(replicas, max_unavailable)
    after = ready - 1 if pod_ready else ready
    if after < minimum:
        return (f"deleting pod {pod} would leave {after} ready pod{'' if after == 1 else 's'} of deployment "
                f"{deployment}, below its minimum of {minimum} ({replicas} replicas − maxUnavailable "
                f"{max_unavailable}); {ready} ready now. Refused: scale up first, or wait for the others to be ready.")
    return None


def restart_annotation(at: datetime) -> str:
    """kubectl's value: the time in RFC 3339, seconds, with its offset (time.Now().Format(time.RFC3339))."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def restart_patch(at: datetime) -> dict:
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: restart_annotation(at)}}}}}


def paused_message(name: str) -> str:
    return (f"deployments.apps/{name} can't restart paused deployment (run rollout resume first): resume it with "
            f"'kubectl rollout resume deployment/{name}' and try again")


# --- reading ----------------------------------------------------------------------------------------------------

def _deployment(session: KubeSession, namespace: str, name: str) -> KubeObject:
    return session.call(session.apps.read_namespaced_deployment, name, namespace,
                        doing=f"reading deployment {name} in namespace {namespace}",
                        not_found=f"deployment {name} not found in namespace {namespace}")


def _pods(session: KubeSession, deployment: KubeObject, namespace: str) -> list[KubeObject]:
    listing = session.call(session.core.list_namespaced_pod, namespace,
                           doing=f"listing pods in namespace {namespace}")
    return pods_of(deployment, listing.items or [])


def _bounds(deployment: KubeObject) -> tuple[int, int, int, str]:
    spec = deployment.spec
    replicas = spec.replicas if spec and spec.replicas is not None else 1
    strategy = spec.strategy if spec else None
    kind = (strategy.type if strategy else None) or "RollingUpdate"
    rolling = strategy.rolling_update if strategy else None
    surge, unavailable = rolling_bounds(kind, rolling.max_surge if rolling else None,
                                        rolling.max_unavailable if rolling else None, replicas)
    return replicas, surge, unavailable, kind


@register
class RolloutRestart(Action):
    name = "kubernetes.rollout_restart"
    title = "Restart deployment (rolling)"
    runbook = "kubectl rollout restart deployment/bharatcart-api"
    destructive = False  # same pods again, at most maxUnavailable down: see the module's docstring
    doing = "restart the pods of {deployment}"

    def params_in_words(self, params: dict) -> str:
        return "one by one (rolling)"

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        return no_params(self, raw)

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool,
            now: datetime | None = None) -> Outcome:
        self.clean_params(target, params)
        namespace, name = where(target)
        at = now or timezone.now()
        with session_for(target) as session:
            deployment = _deployment(session, namespace, name)
            if deployment.spec and deployment.spec.paused:
                raise ActionError(paused_message(name))
            pods = _pods(session, deployment, namespace)
            answer = session.request("PATCH", deployment_path(namespace, name), query=writes(dry_run),
                                     body=restart_patch(at), content_type=STRATEGIC_MERGE,
                                     doing=f"restarting deployment {name} in namespace {namespace}",
                                     not_found=f"deployment {name} not found in namespace {namespace}")
        replicas, surge, unavailable, kind = _bounds(deployment)
        template_meta = deployment.spec.template.metadata if deployment.spec and deployment.spec.template else None
        before_at = ((template_meta.annotations if template_meta else None) or {}).get(RESTARTED_AT)
        after_at = (((((answer or {}).get("spec") or {}).get("template") or {}).get("metadata") or {})
                    .get("annotations") or {}).get(RESTARTED_AT)
        names = [p.metadata.name for p in pods]
        strategy = (f"Recreate: all {replicas} pods down at once" if kind == "Recreate" else
                    f"at most {unavailable} unavailable and {surge} extra at a time, at least "
                    f"{max(replicas - unavailable, 0)} of {replicas} serving")
        summary = (f"Restart deployment {name}: replace {len(names)} pod{'' if len(names) == 1 else 's'}"
                   f"{' (' + ', '.join(names) + ')' if names else ''}; {strategy}")
        return Outcome(summary, changes=[Change(f"annotation {RESTARTED_AT}", before_at, after_at)],
                       objects=[f"Deployment {namespace}/{name}"] + [f"Pod {namespace}/{n}" for n in names],
                       before={"restartedAt": before_at, "pods": names, "replicas": replicas},
                       after={"restartedAt": after_at, "maxSurge": surge, "maxUnavailable": unavailable,
                              "strategy": kind},
                       follow_rollout=not dry_run)


@register
class DeletePod(Action):
    name = "kubernetes.delete_pod"
    title = "Delete one pod (its ReplicaSet replaces it)"
    runbook = "kubectl delete pod <pod>"
    destructive = False  # refused below the deployment's ready minimum: see the module's docstring
    doing = "delete a pod of {deployment}"

    def params_in_words(self, params: dict) -> str:
        return f"(pod {params.get('pod')})"

    def confirm_word(self, target: Target, params: dict) -> str:
        return str(params.get("pod") or "")

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        raw = raw or {}
        unknown_params(self, raw, {"pod"})
        pod = raw.get("pod")
        if not isinstance(pod, str) or not _POD_NAME.match(pod):
            raise ActionParamError(f"{self.name}: pod must be a pod's name (lower-case letters, digits, '-' and "
                                   "'.'), as in the pods table")
        return {"pod": pod}

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        pod_name = self.clean_params(target, params)["pod"]
        namespace, name = where(target)
        pod_path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod_name, safe='')}"
        with session_for(target) as session:
            deployment = _deployment(session, namespace, name)
            pod = session.request("GET", pod_path, doing=f"reading pod {pod_name} in namespace {namespace}",
                                  not_found=f"pod {pod_name} not found in namespace {namespace}")
            meta = pod.get("metadata") or {}
            controller = controller_of(meta)
            rs_owner = None
            if controller and controller.get("kind") == "ReplicaSet":
                rs = session.request(
                    "GET", f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/replicasets/"
                    f"{quote(controller.get('name') or '', safe='')}",
                    doing=f"reading replica set {controller.get('name')} in namespace {namespace}",
                    not_found=f"replica set {controller.get('name')} not found in namespace {namespace}")
                rs_owner = controller_of(rs.get("metadata"))
            pods = _pods(session, deployment, namespace)
            replicas, _surge, unavailable, _kind = _bounds(deployment)
            ready_pods = [p.metadata.name for p in pods if is_ready(p) and not p.metadata.deletion_timestamp]
            pod_ready = pod_name in ready_pods
            if meta.get("deletionTimestamp"):
                return Outcome(f"pod {pod_name} is already terminating", objects=[f"Pod {namespace}/{pod_name}"],
                               noop=True)
            refusal = delete_refusal(pod=pod_name, deployment=name, controller=controller, replicaset_owner=rs_owner,
                                     deployment_uid=deployment.metadata.uid if deployment.metadata else None,
                                     pod_ready=pod_ready, ready=len(ready_pods), replicas=replicas,
                                     max_unavailable=unavailable)
            if refusal:
                raise ActionError(refusal)
            query = [("dryRun", DRY_RUN)] if dry_run else []  # DELETE takes no fieldManager
            body = {"kind": "DeleteOptions", "apiVersion": "v1",
                    "preconditions": {"uid": meta.get("uid")} if meta.get("uid") else None}
            session.request("DELETE", pod_path, query=query, body=body, content_type="application/json",
                            doing=f"deleting pod {pod_name} in namespace {namespace}",
                            not_found=f"pod {pod_name} not found in namespace {namespace}")
        after_ready = len(ready_pods) - (1 if pod_ready else 0)
        owner = (controller or {}).get("name")
        return Outcome(f"Delete pod {pod_name} of deployment {name}; ReplicaSet {owner} replaces it "
                       f"({after_ready} of {replicas} ready meanwhile, minimum "
                       f"{ready_minimum(replicas, unavailable)})",
                       changes=[Change(f"pod {pod_name}", "running" if pod_ready else "not ready", "deleted"),
                                Change("ready pods", len(ready_pods), after_ready)],
                       objects=[f"Pod {namespace}/{pod_name}"],
                       before={"pod": pod_name, "ready": len(ready_pods), "replicas": replicas},
                       after={"ready": after_ready, "minimum": ready_minimum(replicas, unavailable)},
                       follow_rollout=not dry_run)
