"""Kubernetes mitigations: the runbook's kubectl lines (rollout undo, scale, apply/delete maintenance mode, rollout
status), each previewed with a server-side dry run (dryRun=All) and executed with fieldManager=warroom.

kubectl's algorithms (rollback.go's revision choice, template and annotation rules; rollout_status.go's decision)
are pure functions over plain dicts as the API sends them, so they are tested on JSON fixtures. A rollback sends
back the old ReplicaSet's template as the server gave it (raw JSON, not the client's models), so that fields this
client version does not know are not dropped from the pod template. Calls go through targets.kubernetes.client's
KubeSession: the target's timeout on every call, failures turned into ClusterErrors naming the API server.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import yaml

from mitigations.actions.base import Action, ActionError, ActionParamError, Change, Outcome, Progress, register
from targets.errors import TargetError
from targets.kubernetes import kubectl
from targets.kubernetes.errors import ClusterError
from targets.kubernetes.kubectl import owned_replicasets, revision_of, rollout_status, selector_string

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession

# The kubernetes client costs a web worker ~25 MiB; it is imported on use (see targets.kubernetes).

FIELD_MANAGER = "warroom"
DRY_RUN = "All"
HASH_LABEL = "pod-template-hash"  # appsv1.DefaultDeploymentUniqueLabelKey
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
CONFLICT_RETRIES = 2  # a 409 on scale is retried at most this many times (re-read, re-patch)
# rollback.go's annotationsToSkip: kept from the deployment, never copied from the ReplicaSet.
ANNOTATIONS_TO_SKIP = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


# --- talking to the API server -----------------------------------------------------------------------------------

def _session(target) -> KubeSession:
    from targets.kubernetes.client import KubeSession

    return KubeSession(target)


@contextmanager
def _as_action_error() -> Iterator[None]:
    """The target's failure (already a message for people) becomes this interface's ActionError."""
    try:
        yield
    except TargetError as exc:
        raise ActionError(str(exc)) from exc


def _writes(dry_run: bool) -> list[tuple[str, str]]:
    """The query every change carries: who made it, and for a preview that nothing may be persisted."""
    return [("fieldManager", FIELD_MANAGER)] + ([("dryRun", DRY_RUN)] if dry_run else [])


def _where(target) -> tuple[str, str]:
    if not target.deployment:
        raise ActionError(f"Target {target.name or '(unnamed)'} names no deployment")
    return target.namespace or "default", target.deployment


def _deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/deployments/{quote(name, safe='')}"


def _no_params(action: Action, raw: dict | None) -> dict:
    if raw:
        raise ActionParamError(f"{action.name} takes no parameters (got {', '.join(sorted(map(str, raw)))})")
    return {}


def _unknown(action: Action, raw: dict, known: set[str]) -> None:
    extra = sorted(set(map(str, raw)) - known)
    if extra:
        raise ActionParamError(f"{action.name}: unknown parameter {', '.join(extra)}; "
                               f"it takes {', '.join(sorted(known))}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- rollout undo: kubectl's rollback.go, pure ---------------------------------------------------------------------

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


# --- scale: pure -------------------------------------------------------------------------------------------------

def replica_bounds(target) -> tuple[int, int]:
    return target.min_replicas, target.max_replicas


def clean_replicas(target, value: Any, action: str = "kubernetes.scale") -> int:
    """An int within the target's [min_replicas, max_replicas]: scaling past them is refused, whoever asks."""
    low, high = replica_bounds(target)
    if not _is_int(value):
        raise ActionParamError(f"{action}: replicas must be a whole number between {low} and {high}")
    if not low <= value <= high:
        raise ActionParamError(f"{action}: replicas must be between {low} and {high} for target "
                               f"{target.name or target.deployment} (got {value})")
    return value


# --- maintenance manifest: pure ----------------------------------------------------------------------------------

class Kind(NamedTuple):
    api_version: str
    plural: str
    namespaced: bool

    @property
    def api_path(self) -> str:
        return f"/api/{self.api_version}" if "/" not in self.api_version else f"/apis/{self.api_version}"


KINDS: dict[str, Kind] = {
    "ConfigMap": Kind("v1", "configmaps", True),
    "Service": Kind("v1", "services", True),
    "Ingress": Kind("networking.k8s.io/v1", "ingresses", True),
    "Deployment": Kind("apps/v1", "deployments", True),
}


@dataclass
class ManifestObject:
    kind: str
    name: str
    namespace: str | None
    body: dict  # the document, with the namespace filled in: what server-side apply receives

    @property
    def path(self) -> str:
        info = KINDS[self.kind]
        where = f"/namespaces/{quote(self.namespace, safe='')}" if info.namespaced and self.namespace else ""
        return f"{info.api_path}{where}/{info.plural}/{quote(self.name, safe='')}"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def parse_manifest(text: str | None, default_namespace: str) -> list[ManifestObject]:
    """The objects of a maintenance manifest (one or more YAML documents), namespaced to the target by default;
    anything kubectl apply would choke on, or that this app does not know how to apply, is an ActionParamError."""
    if not text or not text.strip():
        raise ActionParamError("The maintenance manifest is empty: there is nothing to apply")
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ActionParamError(f"The maintenance manifest is not valid YAML{line}: {problem}") from None
    objects: list[ManifestObject] = []
    seen: set[str] = set()
    for number, doc in enumerate(documents, 1):
        if doc is None:  # an empty document, e.g. a trailing '---'
            continue
        obj = _manifest_object(number, doc, default_namespace)
        if obj.label in seen:
            raise ActionParamError(f"Manifest document {number}: {obj.label} appears twice")
        seen.add(obj.label)
        objects.append(obj)
    if not objects:
        raise ActionParamError("The maintenance manifest holds no objects")
    return objects


def _manifest_object(number: int, doc: Any, default_namespace: str) -> ManifestObject:
    where = f"Manifest document {number}"
    if not isinstance(doc, dict):
        raise ActionParamError(f"{where} is not a Kubernetes object (a mapping with apiVersion, kind, metadata)")
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if not kind or not api_version:
        raise ActionParamError(f"{where} has no {'kind' if not kind else 'apiVersion'}")
    if kind not in KINDS:
        raise ActionParamError(f"{where}: kind {kind} is not supported; supported kinds: {', '.join(sorted(KINDS))}")
    info = KINDS[kind]
    if api_version != info.api_version:
        raise ActionParamError(f"{where}: {kind} must be apiVersion {info.api_version}, not {api_version}")
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise ActionParamError(f"{where} ({kind}) has no metadata.name")
    name = meta["name"]
    if not isinstance(name, str) or not _DNS_SUBDOMAIN.match(name):
        raise ActionParamError(f"{where}: {kind} name {name!r} is not a valid Kubernetes name")
    namespace = (meta.get("namespace") or default_namespace) if info.namespaced else None
    if namespace is not None and (not isinstance(namespace, str) or not _DNS_LABEL.match(namespace)):
        raise ActionParamError(f"{where}: namespace {namespace!r} is not a valid namespace name")
    body = copy.deepcopy(doc)
    if namespace is not None:
        body["metadata"]["namespace"] = namespace
    return ManifestObject(kind, name, namespace, body)


def other_managers(obj: dict) -> list[str]:
    """Field managers other than warroom on the object itself (status writers left out): if there are any, the
    object was there before maintenance mode or is shared, and deleting it would remove more than we added."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    return sorted({e.get("manager") or "(unnamed)" for e in entries
                   if not e.get("subresource") and e.get("manager") != FIELD_MANAGER})


def refuse_to_delete(objects: Iterable[ManifestObject], namespace: str, deployment: str) -> None:
    """The way back must never delete the very deployment the target is about."""
    for obj in objects:
        if obj.kind == "Deployment" and obj.name == deployment and obj.namespace == namespace:
            raise ActionParamError(f"The maintenance manifest names the target's own deployment {namespace}/"
                                   f"{deployment}: turning maintenance mode off would delete it. Keep it out of "
                                   "the manifest.")


# --- rollout status: pure ----------------------------------------------------------------------------------------

def progress_of(deployment) -> Progress:
    """kubectl rollout status's decision (kubectl.rollout_status) with its counts: updated and available
    replicas out of the desired ones."""
    state, sentence = rollout_status(deployment)
    spec, status = deployment.spec, deployment.status
    name = deployment.metadata.name if deployment.metadata else ""
    return Progress(state=state, message=f"deployment {name}: {sentence}",
                    updated=(status.updated_replicas if status else None) or 0,
                    available=(status.available_replicas if status else None) or 0,
                    total=(spec.replicas if spec else None) or 0)


def _seen(p: Progress) -> tuple:
    return p.updated, p.available, p.total, p.message


def _read_deployment(session: KubeSession, namespace: str, name: str):
    return session.call(session.apps.read_namespaced_deployment, name, namespace,
                        doing=f"reading deployment {name} in namespace {namespace}",
                        not_found=f"deployment {name} not found in namespace {namespace}")


def follow(target, *, deadline_seconds: float, on_progress: Callable[[Progress], None],
           interval: float = 1.0) -> Progress:
    """Poll the deployment until kubectl rollout status would stop: complete, failed (progress deadline exceeded)
    or, when our own deadline passes first, failed with a message saying so. on_progress hears of every change of
    counts or message. A failed read ends it with an ActionError: the caller records that the state is unknown."""
    namespace, name = _where(target)
    deadline = time.monotonic() + deadline_seconds
    last: Progress | None = None
    with _as_action_error(), _session(target) as session:
        while True:
            progress = progress_of(_read_deployment(session, namespace, name))
            if last is None or _seen(progress) != _seen(last):
                on_progress(progress)
            last = progress
            if progress.state != "progressing":
                return progress
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                final = Progress("failed", f"deployment {name}: the rollout did not finish within the "
                                 f"{deadline_seconds:g} s deadline; last seen: {progress.message}",
                                 progress.updated, progress.available, progress.total)
                on_progress(final)
                return final
            time.sleep(min(interval, remaining))


# --- the actions -----------------------------------------------------------------------------------------------------

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

    def clean_params(self, target, raw: dict | None) -> dict:
        raw = raw or {}
        _unknown(self, raw, {"to_revision"})
        to_revision = raw.get("to_revision")
        if to_revision is not None and (not _is_int(to_revision) or to_revision < 1):
            raise ActionParamError(f"{self.name}: to_revision must be a revision number (1 or more), or empty for "
                                   "the previous revision")
        return {"to_revision": to_revision}

    def preview(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, params, dry_run=True)

    def execute(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, params, dry_run=False)

    def _run(self, target, params: dict, *, dry_run: bool) -> Outcome:
        to_revision = self.clean_params(target, params)["to_revision"]
        namespace, name = _where(target)
        path = _deployment_path(namespace, name)
        with _as_action_error(), _session(target) as session:
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
            answer = session.request("PATCH", path, query=_writes(dry_run), body=plan.patch, content_type=JSON_PATCH,
                          doing=f"rolling back deployment {name} in namespace {namespace}",
                          not_found=f"deployment {name} not found in namespace {namespace}")
        after_images = container_images(((answer or {}).get("spec") or {}).get("template"))
        return Outcome(f"Roll back {name} from revision {plan.current} to {plan.revision}",
                       changes=[Change("revision", plan.current, plan.revision),
                                *image_changes(before_images, after_images)],
                       objects=objects, before=before, after={"revision": plan.revision, "images": after_images},
                       follow_rollout=not dry_run)


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

    def clean_params(self, target, raw: dict | None) -> dict:
        raw = raw or {}
        _unknown(self, raw, {"replicas"})
        if "replicas" not in raw:
            low, high = replica_bounds(target)
            raise ActionParamError(f"{self.name}: replicas is required (between {low} and {high})")
        return {"replicas": clean_replicas(target, raw["replicas"], self.name)}

    def preview(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, params, dry_run=True)

    def execute(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, params, dry_run=False)

    def _run(self, target, params: dict, *, dry_run: bool) -> Outcome:
        replicas = self.clean_params(target, params)["replicas"]
        namespace, name = _where(target)
        objects = [f"Deployment {namespace}/{name}"]
        with _as_action_error(), _session(target) as session:
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


class _Maintenance(Action):
    destructive = True

    def clean_params(self, target, raw: dict | None) -> dict:
        return _no_params(self, raw)

    def preview(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, manifest, dry_run=True)

    def execute(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._run(target, manifest, dry_run=False)

    def _run(self, target, manifest: str | None, *, dry_run: bool) -> Outcome:
        raise NotImplementedError

    @staticmethod
    def _read(session: KubeSession, obj: ManifestObject) -> dict | None:
        """The object as the server has it, or None when it does not exist."""
        try:
            return session.request("GET", obj.path, doing=f"reading {obj.label}")
        except ClusterError as exc:
            if exc.status == 404:
                return None
            raise

    @staticmethod
    def _partial(done: list[str], obj: ManifestObject, exc: ClusterError, verb: str) -> ActionError:
        """A failure half-way says what was already done, so nobody has to guess the cluster's state."""
        already = f"; already {verb}: {', '.join(done)}" if done else ""
        return ActionError(f"{exc} (while on {obj.label}{already})")


@register
class MaintenanceOn(_Maintenance):
    name = "kubernetes.maintenance_on"
    title = "Turn maintenance mode on"
    doing = "turn maintenance mode on for {deployment}"
    runbook = "kubectl apply -f k8s/maintenance-mode.yaml"

    def _run(self, target, manifest: str | None, *, dry_run: bool) -> Outcome:
        objects = parse_manifest(manifest, target.namespace or "default")
        with _as_action_error(), _session(target) as session:
            existing = {obj.label: self._read(session, obj) is not None for obj in objects}  # all before any change
            applied: list[str] = []
            for obj in objects:
                try:
                    session.request("PATCH", obj.path, query=[*_writes(dry_run), ("force", True)], body=obj.body,
                         content_type=APPLY_PATCH, doing=f"applying {obj.label}")
                except ClusterError as exc:
                    raise self._partial(applied, obj, exc, "applied") from exc
                applied.append(obj.label)
        changes = [Change(o.label, "present" if existing[o.label] else "absent",
                          "update" if existing[o.label] else "create") for o in objects]
        created = sum(not v for v in existing.values())
        return Outcome(f"Turn maintenance mode on: apply {len(objects)} objects ({created} new, "
                       f"{len(objects) - created} updated)", changes=changes, objects=[o.label for o in objects],
                       before={k: "present" if v else "absent" for k, v in existing.items()},
                       after={label: "applied" for label in applied})


@register
class MaintenanceOff(_Maintenance):
    name = "kubernetes.maintenance_off"
    title = "Turn maintenance mode off"
    doing = "turn maintenance mode off for {deployment}"
    runbook = "kubectl delete -f k8s/maintenance-mode.yaml"

    def _run(self, target, manifest: str | None, *, dry_run: bool) -> Outcome:
        namespace, deployment = _where(target)
        objects = parse_manifest(manifest, namespace)
        refuse_to_delete(objects, namespace, deployment)
        with _as_action_error(), _session(target) as session:
            present: dict[str, bool] = {}
            for obj in objects:  # all checked before anything is deleted
                current = self._read(session, obj)
                present[obj.label] = current is not None
                shared = other_managers(current or {})
                if shared:
                    raise ActionError(f"{obj.label} is also managed by {', '.join(shared)}: it was there before "
                                      "maintenance mode or is shared, so deleting it would remove more than "
                                      "maintenance mode added. Restore it from its own manifest instead.")
            deleted: list[str] = []
            for obj in objects:
                if not present[obj.label]:
                    continue
                try:
                    session.request("DELETE", obj.path, query=[("propagationPolicy", "Background")]
                         + ([("dryRun", DRY_RUN)] if dry_run else []), doing=f"deleting {obj.label}")
                except ClusterError as exc:
                    if exc.status == 404:  # gone meanwhile: just as well
                        present[obj.label] = False
                        continue
                    raise self._partial(deleted, obj, exc, "deleted") from exc
                deleted.append(obj.label)
        changes = [Change(o.label, "present" if present[o.label] else "absent",
                          "delete" if present[o.label] else "absent") for o in objects]
        return Outcome(f"Turn maintenance mode off: delete {len(deleted)} of {len(objects)} objects"
                       + (" (the others are already absent)" if len(deleted) < len(objects) else ""),
                       changes=changes, objects=[o.label for o in objects], noop=not deleted,
                       before={k: "present" if v else "absent" for k, v in present.items()},
                       after={o.label: "deleted" if o.label in deleted else "absent" for o in objects})


@register
class RolloutStatus(Action):
    name = "kubernetes.rollout_status"
    title = "Follow the rollout"
    doing = "follow the rollout of {deployment}"
    runbook = "kubectl rollout status deployment/bharatcart-api"
    changes_cluster = False

    def clean_params(self, target, raw: dict | None) -> dict:
        return _no_params(self, raw)

    def preview(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._now(target)

    def execute(self, target, params: dict, *, manifest: str | None = None) -> Outcome:
        return self._now(target)

    def _now(self, target) -> Outcome:
        """The state right now; follow_rollout says whether there is anything left to follow."""
        namespace, name = _where(target)
        with _as_action_error(), _session(target) as session:
            progress = progress_of(_read_deployment(session, namespace, name))
        state = vars(progress)
        return Outcome(progress.message, objects=[f"Deployment {namespace}/{name}"], before=state, after=state,
                       follow_rollout=progress.state == "progressing")
