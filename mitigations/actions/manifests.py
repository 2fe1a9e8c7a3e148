"""Maintenance mode on and off: `kubectl apply -f k8s/maintenance-mode.yaml` (server-side apply, fieldManager
warroom) and `kubectl delete -f` of the same manifest, which is parsed and checked here before anything is sent.

The way back deletes only what maintenance mode added: an object another manager also holds, or the target's own
deployment, is refused.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import yaml

from mitigations.actions.base import (
    DRY_RUN,
    FIELD_MANAGER,
    Action,
    ActionError,
    ActionParamError,
    Change,
    Outcome,
    no_params,
    register,
    session_for,
    where,
    writes,
)
from targets.kubernetes.errors import ClusterError

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession
    from targets.models import Target

APPLY_PATCH = "application/apply-patch+yaml"
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


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


class _Maintenance(Action):
    destructive = True

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        return no_params(self, raw)

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

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        objects = parse_manifest(manifest, target.namespace or "default")
        with session_for(target) as session:
            existing = {obj.label: self._read(session, obj) is not None for obj in objects}  # all before any change
            applied: list[str] = []
            for obj in objects:
                try:
                    session.request("PATCH", obj.path, query=[*writes(dry_run), ("force", True)], body=obj.body,
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

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        namespace, deployment = where(target)
        objects = parse_manifest(manifest, namespace)
        refuse_to_delete(objects, namespace, deployment)
        with session_for(target) as session:
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
