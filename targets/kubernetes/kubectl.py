"""kubectl's algorithms, as pure functions: which ReplicaSets a deployment owns and their revisions, which revision
`rollout undo` goes back to, rollout status's decision, which pod `kubectl logs deployment/X` reads, label
selectors, and quantities.

They read an object the way the server sent it (a JSON dict, camelCase) or as the client's model (snake_case
attributes), so both the checks (typed reads) and the actions (raw JSON, to keep every field) use the same ones.
Tested on JSON fixtures; sources: kubectl's polymorphichelpers/rollback.go and rollout_status.go, podutils.ByLogging.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
class RolloutState(StrEnum):
    """What `kubectl rollout status` concludes."""

    COMPLETE = "complete"
    PROGRESSING = "progressing"
    FAILED = "failed"


COMPLETE, PROGRESSING, FAILED = RolloutState.COMPLETE, RolloutState.PROGRESSING, RolloutState.FAILED

# A client model (V1Deployment, V1Pod, V1ReplicaSet...) or the same object as the server's JSON dict: the
# functions here take either, so the alias is Any.
KubeObject = Any


def parse_quantity(quantity: str | int | float) -> Decimal:
    """"250m" is 0.25 and "128Mi" is 134217728, as the API server reads them."""
    from kubernetes.utils import parse_quantity as parse  # the client is imported on use (see the package)

    return parse(quantity)


# --- metadata, for dicts and models alike ----------------------------------------------------------------------

def _metadata(obj: KubeObject) -> dict[str, Any]:
    if isinstance(obj, dict):
        meta = obj.get("metadata") or {}
        return {"uid": meta.get("uid"), "annotations": meta.get("annotations") or {},
                "owners": [(ref.get("uid"), bool(ref.get("controller"))) for ref in meta.get("ownerReferences") or []]}
    meta = obj.metadata
    if meta is None:
        return {"uid": None, "annotations": {}, "owners": []}
    return {"uid": meta.uid, "annotations": meta.annotations or {},
            "owners": [(ref.uid, bool(ref.controller)) for ref in meta.owner_references or []]}


# --- revisions: rollout history and undo ------------------------------------------------------------------------

def revision_of(obj: KubeObject) -> int | None:
    """The deployment controller's revision number on a Deployment or ReplicaSet, if it has a readable one."""
    value = _metadata(obj)["annotations"].get(REVISION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def controlled_by(obj: KubeObject, uid: str | None) -> bool:
    """Whether obj's controller owner reference points at uid (metav1.IsControlledBy, as kubectl uses)."""
    return bool(uid) and any(controller and owner == uid for owner, controller in _metadata(obj)["owners"])


def owned_replicasets(deployment: KubeObject, replicasets: Iterable[KubeObject]) -> list[KubeObject]:
    """The deployment's own ReplicaSets by controller reference, newest revision first (kubectl's
    GetAllReplicaSets): another deployment's, an orphan with the same labels, or one without a readable revision
    never count."""
    uid = _metadata(deployment)["uid"]
    own = [rs for rs in replicasets if controlled_by(rs, uid) and revision_of(rs) is not None]
    return sorted(own, key=lambda rs: revision_of(rs) or 0, reverse=True)


def choose_revision(history: Sequence[KubeObject], to_revision: int | None) -> KubeObject | None:
    """rollback.go's deploymentRevision over owned_replicasets(): the ReplicaSet of to_revision, or (None) the
    second-newest one; None when there is no such revision."""
    if to_revision is None:
        return history[1] if len(history) >= 2 else None
    return next((rs for rs in history if revision_of(rs) == to_revision), None)


# --- rollout status ---------------------------------------------------------------------------------------------

def rollout_status(deployment: KubeObject) -> tuple[RolloutState, str]:
    """kubectl rollout status's decision (rollout_status.go) on the client's model: complete, progressing or
    failed, and its sentence."""
    meta, spec, status = deployment.metadata, deployment.spec, deployment.status
    generation = (meta.generation if meta else None) or 0
    observed = (status.observed_generation if status else None) or 0
    if generation > observed:
        return PROGRESSING, "waiting for the deployment spec update to be observed"
    for cond in (status.conditions or []) if status else []:
        if cond.type == "Progressing" and cond.reason == "ProgressDeadlineExceeded":
            return FAILED, "rollout exceeded its progress deadline"
    updated = (status.updated_replicas if status else None) or 0
    replicas = (status.replicas if status else None) or 0
    available = (status.available_replicas if status else None) or 0
    if spec is not None and spec.replicas is not None and updated < spec.replicas:
        return PROGRESSING, f"rollout in progress: {updated} of {spec.replicas} new replicas have been updated"
    if replicas > updated:
        return PROGRESSING, f"rollout in progress: {replicas - updated} old replicas are pending termination"
    if available < updated:
        return PROGRESSING, f"rollout in progress: {available} of {updated} updated replicas are available"
    return COMPLETE, "successfully rolled out"


# --- label selectors --------------------------------------------------------------------------------------------

def _selector(selector: KubeObject) -> tuple[dict[str, str], list[tuple[str, str, list[str]]]]:
    """matchLabels and matchExpressions (key, operator, values) of a LabelSelector, dict or model."""
    if isinstance(selector, dict):
        expressions = selector.get("matchExpressions") or []
        return (selector.get("matchLabels") or {},
                [(r.get("key"), r.get("operator"), r.get("values") or []) for r in expressions])
    return (selector.match_labels or {},
            [(r.key, r.operator, r.values or []) for r in selector.match_expressions or []])


def selector_matches(selector: KubeObject | None, labels: dict[str, str] | None) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against labels; an empty selector matches nothing,
    as for a Deployment (whose selector the API server requires to be non-empty)."""
    labels = labels or {}
    if selector is None:
        return False
    match_labels, expressions = _selector(selector)
    if not (match_labels or expressions):
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for key, operator, values in expressions:
        present = key in labels
        ok = {"In": present and labels.get(key) in set(values), "NotIn": not present or labels[key] not in values,
              "Exists": present, "DoesNotExist": not present}.get(operator, False)
        if not ok:
            return False
    return True


def selector_string(selector: KubeObject) -> str:
    """The same selector as a labelSelector query string, so a real API server filters before we do."""
    match_labels, expressions = _selector(selector)
    parts = [f"{key}={value}" for key, value in sorted(match_labels.items())]
    for key, operator, values in expressions:
        joined = ",".join(sorted(values))
        parts.append({"In": f"{key} in ({joined})", "NotIn": f"{key} notin ({joined})",
                      "Exists": key, "DoesNotExist": f"!{key}"}.get(operator, key))
    return ",".join(parts)


# --- pods: whose, ready, and which one `kubectl logs deployment/X` reads ------------------------------------------

def pods_of(deployment: KubeObject, pods: Iterable[KubeObject]) -> list[KubeObject]:
    """The deployment's pods by its selector, matched here because not every server (kmock) filters by label."""
    selector = deployment.spec.selector if deployment.spec else None
    return sorted((p for p in pods if selector_matches(selector, p.metadata.labels)), key=lambda p: p.metadata.name)


def condition(pod: KubeObject, kind: str) -> KubeObject | None:
    for cond in (pod.status.conditions or []) if pod.status else []:
        if cond.type == kind:
            return cond
    return None


def is_ready(pod: KubeObject) -> bool:
    cond = condition(pod, "Ready")
    return cond is not None and cond.status == "True"


def _time_key(moment: datetime | None) -> tuple[int, float]:
    """Earlier first and a missing time last, as kubectl's afterOrZero orders them."""
    return (0, moment.timestamp()) if moment else (1, 0.0)


def logging_key(pod: KubeObject) -> tuple[Any, ...]:
    """kubectl's podutils.ByLogging as a sort key: the smallest key is the pod `kubectl logs deployment/X` reads.

    Assigned to a node first; Running, then Unknown, then Pending (any other phase counts as Running, as Go's map
    default does); ready first; ready for longer first; more restarts first; older first.
    """
    ready = is_ready(pod)
    cond = condition(pod, "Ready")
    ready_since = _time_key(cond.last_transition_time if ready and cond else None) if ready else (1, 0.0)
    phase = (pod.status.phase if pod.status else None) or ""
    restarts = max((cs.restart_count or 0 for cs in (pod.status.container_statuses or [])), default=0) \
        if pod.status else 0
    return (0 if pod.spec and pod.spec.node_name else 1, {"Running": 0, "Unknown": 1, "Pending": 2}.get(phase, 0),
            0 if ready else 1, ready_since, -restarts, _time_key(pod.metadata.creation_timestamp))


def pick_log_pod(pods: Sequence[KubeObject]) -> KubeObject | None:
    """The pod kubectl would read for `kubectl logs deployment/X`, or None when there are none."""
    return min(pods, key=logging_key, default=None)


def default_container(pod: KubeObject) -> str | None:
    """kubectl's default: the default-container annotation when it names a container, else the first one."""
    names = [c.name for c in (pod.spec.containers or [])] if pod.spec else []
    annotated = (pod.metadata.annotations or {}).get(DEFAULT_CONTAINER)
    return annotated if annotated in names else (names[0] if names else None)
