"""Roll back a deployment: `kubectl rollout undo deployment/X [--to-revision=N]`, as kubectl does it.

rollback.go's rules (which revision, the template without its hash label, the annotations kept and copied, a
paused deployment refused, nothing sent when the template already matches) are pure functions over plain dicts as
the API sends them, tested on JSON fixtures. The old ReplicaSet's template goes back as the server gave it (raw
JSON, not the client's models), so that fields this client version does not know are not dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mitigations.actions.base import (
    Action,
    ActionError,
    ActionParamError,
    Change,
    Outcome,
    deployment_path,
    is_int,
    register,
    session_for,
    unknown_params,
    where,
    writes,
)
from targets.kubernetes import kubectl
from targets.kubernetes.kubectl import owned_replicasets, revision_of, selector_string

if TYPE_CHECKING:
    from targets.models import Target

HASH_LABEL = "pod-template-hash"  # appsv1.DefaultDeploymentUniqueLabelKey
JSON_PATCH = "application/json-patch+json"
# rollback.go's annotationsToSkip: kept from the deployment, never copied from the ReplicaSet.
ANNOTATIONS_TO_SKIP = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})


def choose_revision(deployment: dict, replicasets: Iterable[dict], to_revision: int | None) -> dict:
    """deploymentRevision: the ReplicaSet of to_revision, or (None) the second-newest revision there is; when
    there is none, kubectl's own words."""
    rs = kubectl.choose_revision(owned_replicasets(deployment, replicasets), to_revision)
    if rs is not None:
        return rs
    if to_revision is None:
        raise ActionError(f'no rollout history found for deployment "{_name(deployment)}"')
    raise ActionError(f"unable to find specified revision {to_revision} in history")


def without_hash(template: dict) -> dict:
    """A copy of a pod template without the pod-template-hash label, which only ReplicaSets carry."""
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:  # an empty map is omitted in Go's JSON (omitempty)
            del template["metadata"]["labels"]
    return template


def _semantic(value: Any, key: str = "") -> Any:
    """A value as apimachinery's semantic DeepEqual sees it: null, empty maps and lists as absent; quantities by
    their amount ("0.5" is "500m")."""
    if isinstance(value, dict):
        if key in ("requests", "limits", "overhead"):
            return {k: _quantity(v) for k, v in value.items() if v is not None}
        cleaned = {k: _semantic(v, k) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _quantity(value: Any) -> Any:
    try:
        return kubectl.parse_quantity(value)
    except (ValueError, TypeError):
        return value


def equal_ignoring_hash(template1: dict, template2: dict) -> bool:
    """rollback.go's equalIgnoreHash: the same pod template but for the pod-template-hash label."""
    return _semantic(without_hash(template1)) == _semantic(without_hash(template2))


def rollback_annotations(deployment: dict, replicaset: dict) -> dict[str, str]:
    """The deployment's annotations after the rollback, as kubectl computes them: the skip-listed ones kept from the
    deployment, every other one from the ReplicaSet (so the deployment's others are dropped, as with kubectl)."""
    current = (deployment.get("metadata") or {}).get("annotations") or {}
    annotations = {k: v for k, v in current.items() if k in ANNOTATIONS_TO_SKIP}
    for k, v in ((replicaset.get("metadata") or {}).get("annotations") or {}).items():
        if k not in ANNOTATIONS_TO_SKIP:
            annotations[k] = v
    return annotations


def rollback_patch(template: dict, annotations: dict[str, str]) -> list[dict]:
    """getDeploymentPatch: a JSON patch replacing the pod template and the annotations."""
    return [{"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations}]


def paused_message(name: str) -> str:
    return (f"you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume "
            f"deployment/{name}' and try again")


@dataclass
class RollbackPlan:
    """What `kubectl rollout undo` would do: the revisions, the template and the patch, or nothing (noop)."""

    name: str
    current: int | None
    revision: int | None
    noop: bool
    template: dict
    patch: list[dict]


def plan_rollback(deployment: dict, replicasets: Iterable[dict], to_revision: int | None) -> RollbackPlan:
    """rollback.go's order: find the revision (unknown one: error), refuse a paused deployment, skip when the
    template already matches, else build the patch from the ReplicaSet's template without its hash label."""
    name = _name(deployment)
    rs = choose_revision(deployment, replicasets, to_revision)
    if (deployment.get("spec") or {}).get("paused"):
        raise ActionError(paused_message(name))
    revision = revision_of(rs)
    current = revision_of(deployment)
    rs_template = (rs.get("spec") or {}).get("template") or {}
    if equal_ignoring_hash(rs_template, (deployment.get("spec") or {}).get("template") or {}):
        return RollbackPlan(name, current, revision, True, without_hash(rs_template), [])
    template = without_hash(rs_template)
    return RollbackPlan(name, current, revision, False, template,
                        rollback_patch(template, rollback_annotations(deployment, rs)))


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def container_images(template: dict | None) -> dict[str, str]:
    """Image per container of a pod template; init containers marked, since a rollback may change them too."""
    spec = (template or {}).get("spec") or {}
    images = {c.get("name", ""): c.get("image", "") for c in spec.get("containers") or []}
    images.update({f"{c.get('name', '')} (init)": c.get("image", "") for c in spec.get("initContainers") or []})
    return images


def image_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """One line per container, in the current order then any new ones; a removed container goes to None."""
    names = list(before) + [n for n in after if n not in before]
    return [Change(f"image {n}", before.get(n), after.get(n)) for n in names]


@register
class RolloutUndo(Action):
    name = "kubernetes.rollout_undo"
    title = "Roll back deployment"
    runbook = "kubectl rollout undo deployment/bharatcart-api"
    destructive = True
    doing = "roll back {deployment}"

    def params_in_words(self, params: dict) -> str:
        revision = params.get("to_revision")
        return "to the previous revision" if revision is None else f"to revision {revision}"

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        raw = raw or {}
        unknown_params(self, raw, {"to_revision"})
        to_revision = raw.get("to_revision")
        if to_revision is not None and (not is_int(to_revision) or to_revision < 1):
            raise ActionParamError(f"{self.name}: to_revision must be a revision number (1 or more), or empty for "
                                   "the previous revision")
        return {"to_revision": to_revision}

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        to_revision = self.clean_params(target, params)["to_revision"]
        namespace, name = where(target)
        path = deployment_path(namespace, name)
        with session_for(target) as session:
            deployment = session.request("GET", path, doing=f"reading deployment {name} in namespace {namespace}",
                              not_found=f"deployment {name} not found in namespace {namespace}")
            selector = (deployment.get("spec") or {}).get("selector")
            query = [("labelSelector", selector_string(selector))] if selector else []
            listing = session.request("GET", f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/replicasets",
                           query=query, doing=f"listing replica sets in namespace {namespace}")
            plan = plan_rollback(deployment, listing.get("items") or [], to_revision)
            before_images = container_images((deployment.get("spec") or {}).get("template"))
            before = {"revision": plan.current, "images": before_images}
            objects = [f"Deployment {namespace}/{name}"]
            if plan.noop:
                return Outcome(f"deployment {name} already matches revision {plan.revision}: skipped rollback "
                               f"(current template already matches revision {plan.revision})",
                               objects=objects, noop=True, before=before, after=before)
            answer = session.request("PATCH", path, query=writes(dry_run), body=plan.patch, content_type=JSON_PATCH,
                          doing=f"rolling back deployment {name} in namespace {namespace}",
                          not_found=f"deployment {name} not found in namespace {namespace}")
        after_images = container_images(((answer or {}).get("spec") or {}).get("template"))
        return Outcome(f"Roll back {name} from revision {plan.current} to {plan.revision}",
                       changes=[Change("revision", plan.current, plan.revision),
                                *image_changes(before_images, after_images)],
                       objects=objects, before=before, after={"revision": plan.revision, "images": after_images},
                       follow_rollout=not dry_run)
