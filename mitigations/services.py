"""Mitigations, safely: preview (a dry run) → confirm by name (+ a second commander on SEV1/SEV2) → execute.

The web process sends only dry runs; the real change and the rollout follow-up
run on a Celery worker. Each step is on the incident's timeline with who and when.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diagnostics.models import Target
from incidents.models import Entry
from incidents.services import incident_touch, timeline_record
from mitigations.actions import ActionError, ActionParamError, Outcome, Progress, get_action
from mitigations.models import MaintenanceManifest, Mitigation, digest
from mitigations.permissions import can_execute, can_preview

log = logging.getLogger(__name__)


class MitigationError(Exception):
    """Refused in the current state (409): busy deployment, missing approval, already confirmed …"""


def _who(user) -> str:
    return f"@{user.get_username()}" if user else "Warroom"


def _target(name_or_target) -> Target:
    target = name_or_target
    if not isinstance(target, Target):
        target = Target.objects.filter(name=name_or_target).first()
        if target is None:
            raise ActionParamError(f"Unknown target {name_or_target!r}")
    if target.kind != Target.Kind.KUBERNETES or not target.deployment:
        raise ActionParamError(f"{target.name} is not a Kubernetes deployment target")
    if not target.enabled:
        raise ActionParamError(f"Target {target.name} is disabled")
    return target


def needs_approval(mitigation: Mitigation) -> bool:
    """Destructive actions on SEV1/SEV2 incidents need a second commander."""
    return get_action(mitigation.action).destructive and mitigation.incident.severity.level <= 2


def _manifest(action: str, target: Target) -> MaintenanceManifest | None:
    if not action.startswith("kubernetes.maintenance_"):
        return None
    manifest = MaintenanceManifest.objects.filter(target=target).order_by("-version").first()
    if manifest is None:
        raise ActionParamError(f"{target.name} has no maintenance manifest: add one in the admin first")
    return manifest


def _note(mitigation: Mitigation, text: str, by, **data) -> None:
    timeline_record(incident=mitigation.incident, kind=Entry.Kind.MITIGATION, by=by, text=text,
                    data={"mitigation": mitigation.pk, "action": mitigation.action, "target": mitigation.target.name,
                          **data})


def _describe(outcome: Outcome) -> str:
    changes = "; ".join(f"{c.what}: {c.before} → {c.after}" for c in outcome.changes)
    return outcome.summary + (f" ({changes})" if changes else "")


def mitigation_request(*, incident, action: str, target, params: dict | None, by) -> Mitigation:
    """Dry-run the action and keep its preview. Nothing changes in the cluster until someone confirms."""
    if not can_preview(by):
        raise PermissionDenied("Your role cannot prepare mitigations. Ask a responder or commander.")
    if not incident.is_open:
        raise MitigationError("The incident is resolved; mitigations run on open incidents.")
    spec = get_action(action)
    target = _target(target)
    params = spec.clean_params(target, params)
    manifest = _manifest(action, target)
    mitigation = Mitigation(incident=incident, action=action, target=target, params=params, requested_by=by,
                            params_digest=digest(action, target.pk, params), manifest=manifest,
                            lock_key=f"{target.pk}:{target.namespace}/{target.deployment}")
    if not spec.changes_cluster:  # rollout status only reads: straight to a worker
        mitigation.status = Mitigation.Status.QUEUED
        mitigation.confirmed_by, mitigation.confirmed_at = by, timezone.now()
        return _queue(mitigation, text=f"{_who(by)} asked to follow the rollout of {target.deployment}.", by=by)
    try:
        preview = spec.preview(target, params, manifest=manifest.yaml if manifest else None)
    except ActionError as exc:
        with transaction.atomic():
            mitigation.status, mitigation.error = Mitigation.Status.FAILED, str(exc)
            mitigation.finished_at = timezone.now()
            mitigation.save()
            _note(mitigation, f"Preview of {spec.title.lower()} on {target.name} failed: {exc}", by, event="preview")
        raise MitigationError(f"Preview failed: {exc}") from exc
    mitigation.preview = preview.as_dict()
    with transaction.atomic():
        if preview.noop:
            mitigation.status, mitigation.finished_at = Mitigation.Status.SUCCEEDED, timezone.now()
            mitigation.outcome = mitigation.preview
        mitigation.save()
        _note(mitigation, f"{_who(by)} previewed {spec.title.lower()} on {target.name}: {_describe(preview)}"
              + (" Nothing to do." if preview.noop else ""), by, event="preview", preview=mitigation.preview)
    return mitigation


@transaction.atomic
def mitigation_change_params(*, mitigation: Mitigation, params: dict | None, by) -> Mitigation:
    """New parameters mean a new preview, and void any approval given for the old ones."""
    mitigation = Mitigation.objects.select_for_update().select_related("target", "incident").get(pk=mitigation.pk)
    if not can_preview(by):
        raise PermissionDenied("Your role cannot prepare mitigations.")
    if mitigation.status != Mitigation.Status.PREVIEWED:
        raise MitigationError(f"It is {mitigation.get_status_display().lower()}; start a new one instead.")
    spec = get_action(mitigation.action)
    params = spec.clean_params(mitigation.target, params)
    try:
        preview = spec.preview(mitigation.target, params,
                               manifest=mitigation.manifest.yaml if mitigation.manifest else None)
    except ActionError as exc:
        raise MitigationError(f"Preview failed: {exc}") from exc
    voided = mitigation.approval_valid or bool(mitigation.approved_by_id)
    mitigation.params, mitigation.preview = params, preview.as_dict()
    mitigation.params_digest = digest(mitigation.action, mitigation.target_id, params)
    mitigation.save(update_fields=["params", "preview", "params_digest"])
    _note(mitigation, f"{_who(by)} changed the parameters: {_describe(preview)}"
          + (" The earlier approval no longer applies." if voided else ""), by, event="params", params=params)
    return mitigation


@transaction.atomic
def mitigation_approve(*, mitigation: Mitigation, by) -> Mitigation:
    """A second commander vouches for these exact parameters, for a limited time."""
    if not can_execute(by):
        raise PermissionDenied("Only commanders approve mitigations.")
    mitigation = Mitigation.objects.select_for_update().select_related("target", "incident").get(pk=mitigation.pk)
    if mitigation.status != Mitigation.Status.PREVIEWED:
        raise MitigationError(f"It is {mitigation.get_status_display().lower()}; nothing to approve.")
    if mitigation.requested_by_id == by.pk:
        raise MitigationError("A second commander must approve: you prepared this one.")
    now = timezone.now()
    mitigation.approved_by, mitigation.approved_at = by, now
    mitigation.approved_digest = mitigation.params_digest
    mitigation.approval_expires_at = now + timedelta(minutes=settings.MITIGATION_APPROVAL_MINUTES)
    mitigation.save(update_fields=["approved_by", "approved_at", "approved_digest", "approval_expires_at"])
    _note(mitigation, f"{_who(by)} approved {mitigation.action} with {mitigation.params or 'no parameters'} "
          f"(valid {settings.MITIGATION_APPROVAL_MINUTES} min).", by, event="approved")
    return mitigation


def mitigation_confirm(*, mitigation: Mitigation, by, confirm: str) -> Mitigation:
    """The commander types the deployment's name; the change goes to a worker once, and only once."""
    if not can_execute(by):
        raise PermissionDenied("Only commanders execute mitigations.")
    with transaction.atomic():
        mitigation = Mitigation.objects.select_for_update().select_related("target", "incident__severity").get(
            pk=mitigation.pk)
        if mitigation.status != Mitigation.Status.PREVIEWED:
            who = f" by {_who(mitigation.confirmed_by)}" if mitigation.confirmed_by_id else ""
            raise MitigationError(f"Already {mitigation.get_status_display().lower()}{who}: it runs once.")
        if (confirm or "").strip() != mitigation.target.deployment:
            raise ValidationError({"confirm": f"Type the deployment name, {mitigation.target.deployment}, to confirm."})
        if needs_approval(mitigation):
            if not mitigation.approved_by_id:
                raise MitigationError(f"{mitigation.incident.severity.name}: a destructive action needs a second "
                                      "commander's approval first.")
            if mitigation.approved_digest != mitigation.params_digest:
                raise MitigationError("The parameters changed after the approval: it no longer applies.")
            if mitigation.approval_expires_at <= timezone.now():
                raise MitigationError("The approval has expired: ask for a new one.")
        mitigation.status = Mitigation.Status.QUEUED
        mitigation.confirmed_by, mitigation.confirmed_at = by, timezone.now()
        approved = f" (approved by {_who(mitigation.approved_by)})" if mitigation.approved_by_id else ""
        return _queue(mitigation, text=f"{_who(by)} confirmed {mitigation.action} on {mitigation.target.deployment}"
                      f"{approved}.", by=by)


def _queue(mitigation: Mitigation, *, text: str, by) -> Mitigation:
    """Take the deployment's one active slot, or say who holds it."""
    from mitigations.tasks import execute_mitigation

    with transaction.atomic():
        try:
            with transaction.atomic():
                mitigation.save()
        except IntegrityError:
            busy = (Mitigation.objects.filter(lock_key=mitigation.lock_key, status__in=["queued", "running"])
                    .select_related("confirmed_by").first())
            what = (f"{busy.action} by {_who(busy.confirmed_by)} is {busy.status} since "
                    f"{timezone.localtime(busy.confirmed_at):%H:%M:%S}") if busy else "another action is running"
            raise MitigationError(f"{mitigation.target.deployment} is busy: {what}. One action at a time.") from None
        _note(mitigation, text, by, event="confirmed")
        transaction.on_commit(lambda: execute_mitigation.delay(mitigation.pk))
    return mitigation


def mitigation_claim(mitigation_id: int) -> bool:
    claimed = Mitigation.objects.filter(pk=mitigation_id, status=Mitigation.Status.QUEUED).update(
        status=Mitigation.Status.RUNNING, started_at=timezone.now())
    return bool(claimed)


def finish(mitigation: Mitigation, status: str, *, error: str = "", text: str) -> Mitigation:
    with transaction.atomic():
        if not Mitigation.objects.filter(pk=mitigation.pk, status=Mitigation.Status.RUNNING).update(
                status=status, error=error[:4000], finished_at=timezone.now()):
            return Mitigation.objects.get(pk=mitigation.pk)
        mitigation.refresh_from_db()
        _note(mitigation, text, None, event="finished", status=status)
    return mitigation


def mitigation_execute(mitigation_id: int) -> Mitigation:
    """The worker's half: the real change, then kubectl's rollout status until it settles."""
    from mitigations.actions.kubernetes import follow

    mitigation = Mitigation.objects.select_related("target", "incident", "manifest").get(pk=mitigation_id)
    spec = get_action(mitigation.action)
    if spec.changes_cluster:
        try:
            outcome = spec.execute(mitigation.target, mitigation.params,
                                   manifest=mitigation.manifest.yaml if mitigation.manifest else None)
        except ActionError as exc:
            return finish(mitigation, Mitigation.Status.FAILED, error=str(exc),
                           text=f"{spec.title} on {mitigation.target.name} failed: {exc}")
        Mitigation.objects.filter(pk=mitigation.pk).update(outcome=outcome.as_dict())
        _note(mitigation, f"Executed: {_describe(outcome)}", None, event="executed",
              before=outcome.before, after=outcome.after)
        if not outcome.follow_rollout:
            return finish(mitigation, Mitigation.Status.SUCCEEDED, text=f"{spec.title} done.")

    def progress(p: Progress) -> None:
        Mitigation.objects.filter(pk=mitigation.pk).update(rollout=vars(p))
        incident_touch(incident_id=mitigation.incident_id)

    try:
        final = follow(mitigation.target, deadline_seconds=settings.MITIGATION_ROLLOUT_SECONDS, on_progress=progress)
    except ActionError as exc:
        return finish(mitigation, Mitigation.Status.FAILED, error=str(exc), text=f"Rollout status unknown: {exc}")
    Mitigation.objects.filter(pk=mitigation.pk).update(rollout=vars(final))
    if final.state == "complete":
        return finish(mitigation, Mitigation.Status.SUCCEEDED, text=f"Rollout complete: {final.message}")
    return finish(mitigation, Mitigation.Status.FAILED, error=final.message, text=f"Rollout failed: {final.message}")


def mitigations_reap() -> int:
    """End mitigations whose worker was lost, so none stays running for ever."""
    limit = timezone.now() - timedelta(seconds=settings.MITIGATION_ROLLOUT_SECONDS + 120)
    stale = Mitigation.objects.filter(status=Mitigation.Status.RUNNING, started_at__lt=limit).select_related("target")
    for mitigation in stale:
        finish(mitigation, Mitigation.Status.FAILED, error="The worker was lost; check the deployment by hand.",
                text=f"{mitigation.action}: no result, the worker was lost. Check the deployment's state.")
    return len(stale)
