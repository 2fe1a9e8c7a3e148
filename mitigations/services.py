"""Mitigations, safely: preview (a dry run) → confirm by name (+ a second commander on SEV1/SEV2) → execute.

The web process sends only dry runs; the real change and the rollout follow-up
run on a Celery worker. Each step is on the incident's timeline with who and when.
Who may take which step is decided by the check_… functions here, which the writes
and the incident page's panel both call, so a button shows exactly when its write would pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import Action as Audit
from audit.services import record as audit_record
from incidents.services import incident_touch, timeline_record
from mitigations.actions import REGISTRY, ActionError, ActionParamError, Outcome, Progress, get_action
from mitigations.apps import MITIGATION_ENTRY
from mitigations.models import ACTIVE, CANCELLABLE, MaintenanceManifest, Mitigation, digest
from targets.kubernetes.kubectl import RolloutState
from targets.models import Target
from warroom.outbox import enqueue, held
from warroom.permissions import Perm, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from incidents.models import Incident

# Severity levels at or below this (SEV1, SEV2) need two commanders for a destructive action.
APPROVAL_SEVERITY_LEVEL = 2


class MitigationError(Exception):
    """Refused in the current state (409): busy deployment, missing approval, already confirmed …"""


def _who(user: User | None) -> str:
    return f"@{user.get_username()}" if user else "Warroom"


def _target(name_or_target: Target | str) -> Target:
    if isinstance(name_or_target, Target):
        target = name_or_target
    else:
        found = Target.objects.filter(name=name_or_target).first()
        if found is None:
            raise ActionParamError(f"Unknown target {name_or_target!r}")
        target = found
    if target.kind != Target.Kind.KUBERNETES or not target.deployment:
        raise ActionParamError(f"{target.name} is not a Kubernetes deployment target")
    if not target.enabled:
        raise ActionParamError(f"Target {target.name} is disabled")
    return target


def needs_approval(mitigation: Mitigation) -> bool:
    """Destructive actions on SEV1/SEV2 incidents need a second commander. An unknown action counts as destructive."""
    spec = REGISTRY.get(mitigation.action)
    destructive = spec.destructive if spec else True
    return destructive and mitigation.incident.severity.level <= APPROVAL_SEVERITY_LEVEL


def in_words(mitigation: Mitigation) -> str:
    """What a mitigation does, as a sentence's object: "roll back bharatcart-api to the previous revision".

    Every text mitigations write (timeline, panel, errors) names an action this way, never by its code or params.
    """
    spec = REGISTRY.get(mitigation.action)
    deployment = mitigation.target.deployment
    if spec is None:
        return f"an unknown action on {deployment}"
    params = spec.params_in_words(mitigation.params or {})
    manifest = f" with maintenance manifest v{mitigation.manifest.version}" if mitigation.manifest is not None else ""
    return " ".join(filter(None, [spec.doing.format(deployment=deployment), params])) + manifest


def confirm_word(mitigation: Mitigation) -> str:
    """What the commander types to confirm it: the deployment's name, or the pod's for deleting one pod."""
    spec = REGISTRY.get(mitigation.action)
    return spec.confirm_word(mitigation.target, mitigation.params or {}) if spec else mitigation.target.deployment


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- who may take which step: asked by the writes below and by the panel ---------------------------------------------

def check_approve(mitigation: Mitigation, by: User, *, now: datetime | None = None) -> None:
    """A second commander, not the one who prepared it, vouches for these exact parameters."""
    require(by, Perm.EXECUTE_MITIGATION)
    if mitigation.status != Mitigation.Status.PREVIEWED:
        raise MitigationError(f"It is {mitigation.get_status_display().lower()}; nothing to approve.")
    if not needs_approval(mitigation):
        raise MitigationError(f"{mitigation.incident.severity.name}: this action needs no approval; "
                              "a commander can execute it.")
    if mitigation.requested_by_id == by.pk:
        raise MitigationError("You prepared this: another commander must approve it.")
    if mitigation.approval_valid_at(now or timezone.now()):
        raise MitigationError(f"Already approved by {_who(mitigation.approved_by)} until "
                              f"{timezone.localtime(mitigation.approval_expires_at):%H:%M}.")


def check_execute(mitigation: Mitigation, by: User, *, now: datetime | None = None) -> None:
    """On SEV1/SEV2 a destructive action takes two people: whoever approved it cannot also execute it."""
    require(by, Perm.EXECUTE_MITIGATION)
    if mitigation.status != Mitigation.Status.PREVIEWED:
        who = f" by {_who(mitigation.confirmed_by)}" if mitigation.confirmed_by_id else ""
        raise MitigationError(f"Already {mitigation.get_status_display().lower()}{who}: it runs once.")
    if needs_approval(mitigation):
        if not mitigation.approved_by_id:
            raise MitigationError(f"{mitigation.incident.severity.name}: a destructive action needs a second "
                                  "commander's approval first.")
        if mitigation.approved_digest != mitigation.params_digest:
            raise MitigationError("The parameters changed after the approval: it no longer applies.")
        if mitigation.approval_expired(now or timezone.now()):
            raise MitigationError("The approval has expired: ask for a new one.")
        if mitigation.approved_by_id == by.pk:
            raise MitigationError("You approved this: another commander must execute it.")


def check_cancel(mitigation: Mitigation, by: User, *, now: datetime | None = None) -> None:
    """Only before a worker starts it: a change under way is followed to its end, never cut half-way."""
    require(by, Perm.EXECUTE_MITIGATION)
    if mitigation.status == Mitigation.Status.RUNNING:
        raise MitigationError("It is running: a change under way cannot be cancelled. Follow it to its end, "
                              "then undo it if needed.")
    if mitigation.status not in CANCELLABLE:
        raise MitigationError(f"It already ended ({mitigation.get_status_display().lower()}): nothing to cancel.")


@dataclass(frozen=True)
class Allowed:
    """The steps one person may take on one mitigation now, and a sentence for each step they may not."""

    approve: bool = False
    execute: bool = False
    cancel: bool = False
    reasons: tuple[str, ...] = ()


def mitigation_allowed_actions(mitigation: Mitigation, user: User, *, now: datetime | None = None) -> Allowed:
    """Ask the same checks the writes use; only steps that make sense in its state are asked about."""
    now = now or timezone.now()
    steps = {}
    if mitigation.status == Mitigation.Status.PREVIEWED:
        if needs_approval(mitigation) and not mitigation.approval_valid_at(now):
            steps["approve"] = check_approve
        steps["execute"] = check_execute
    if mitigation.status in CANCELLABLE:
        steps["cancel"] = check_cancel
    allowed, reasons = {}, []
    for step, check in steps.items():
        try:
            check(mitigation, user, now=now)
        except (PermissionDenied, MitigationError) as exc:
            if str(exc) not in reasons:
                reasons.append(str(exc))
        else:
            allowed[step] = True
    return Allowed(**allowed, reasons=tuple(reasons))


# --- the writes ------------------------------------------------------------------------------------------------------


def _manifest(action: str, target: Target) -> MaintenanceManifest | None:
    if not action.startswith("kubernetes.maintenance_"):
        return None
    manifest = MaintenanceManifest.objects.filter(target=target).order_by("-version").first()
    if manifest is None:
        raise ActionParamError(f"{target.name} has no maintenance manifest: add one in the admin first")
    return manifest


def _note(mitigation: Mitigation, text: str, by: User | None, **data: Any) -> None:
    timeline_record(incident=mitigation.incident, kind=MITIGATION_ENTRY, by=by, text=text,
                    data={"mitigation": mitigation.pk, "action": mitigation.action, "target": mitigation.target.name,
                          **data})


def _audit(action: Audit, mitigation: Mitigation, by: User, **details: Any) -> None:
    """Who took the step, from where (the audit log): inside the step's transaction, so both stand or neither."""
    audit_record(action, by=by, target=mitigation, incident=mitigation.incident_id, action=mitigation.action,
                 target_name=mitigation.target.name, params=mitigation.params, status=mitigation.status, **details)


def _value(value: Any) -> str:
    return "none" if value is None else str(value)


def _describe(outcome: Outcome) -> str:
    changes = "; ".join(f"{c.what}: {_value(c.before)} → {_value(c.after)}" for c in outcome.changes)
    return outcome.summary + (f" ({changes})" if changes else "")


def mitigation_request(*, incident: Incident, action: str, target: Target | str, params: dict | None,
                       by: User) -> Mitigation:
    """Dry-run the action and keep its preview. Nothing changes in the cluster until someone confirms."""
    require(by, Perm.PREVIEW_MITIGATION)
    if not incident.is_open:
        raise MitigationError("The incident is resolved; mitigations run on open incidents.")
    spec = get_action(action)
    target = _target(target)
    params = spec.clean_params(target, params)
    manifest = _manifest(action, target)
    mitigation = Mitigation(incident=incident, action=action, target=target, params=params, requested_by=by,
                            params_digest=digest(action, target.pk, params), manifest=manifest,
                            # watching is not acting: only a change takes the deployment's one slot
                            lock_key=f"{target.pk}:{target.namespace}/{target.deployment}" if spec.changes_cluster
                            else "")
    if not spec.changes_cluster:  # rollout status only reads: straight to a worker
        mitigation.status = Mitigation.Status.QUEUED
        mitigation.confirmed_by, mitigation.confirmed_at = by, timezone.now()
        return _queue(mitigation, text=f"{_who(by)} asked to {in_words(mitigation)}.", by=by,
                      audit=Audit.MITIGATION_PREPARE)
    try:
        preview = spec.preview(target, params, manifest=manifest.yaml if manifest else None)
    except ActionError as exc:
        with transaction.atomic():
            mitigation.status, mitigation.error = Mitigation.Status.FAILED, str(exc)
            mitigation.finished_at = timezone.now()
            mitigation.save()
            _note(mitigation, f"The preview of {_who(by)}'s request to {in_words(mitigation)} failed: {exc}", by,
                  event="preview")
            _audit(Audit.MITIGATION_PREPARE, mitigation, by, error=str(exc))
        raise MitigationError(f"Preview failed: {exc}") from exc
    mitigation.preview = preview.as_dict()
    with transaction.atomic():
        if preview.noop:
            mitigation.status, mitigation.finished_at = Mitigation.Status.SUCCEEDED, timezone.now()
            mitigation.outcome = mitigation.preview
        mitigation.save()
        _note(mitigation, f"{_who(by)} previewed how to {in_words(mitigation)}: {_describe(preview)}."
              + (" Nothing to do." if preview.noop else ""), by, event="preview", preview=mitigation.preview)
        _audit(Audit.MITIGATION_PREPARE, mitigation, by)
    return mitigation


def _not_previewed(mitigation: Mitigation) -> MitigationError:
    return MitigationError(f"It is {mitigation.get_status_display().lower()}; start a new one instead.")


def mitigation_change_params(*, mitigation: Mitigation, params: dict | None, by: User) -> Mitigation:
    """New parameters mean a new preview, and void any approval given for the old ones.

    The dry run is a network call, so it runs before the row is locked; under the lock we then make sure
    nobody confirmed, cancelled or changed it meanwhile.
    """
    require(by, Perm.PREVIEW_MITIGATION)
    seen = Mitigation.objects.select_related("target", "manifest").get(pk=mitigation.pk)
    if seen.status != Mitigation.Status.PREVIEWED:
        raise _not_previewed(seen)
    spec = get_action(seen.action)
    params = spec.clean_params(seen.target, params)
    try:
        preview = spec.preview(seen.target, params, manifest=seen.manifest.yaml if seen.manifest else None)
    except ActionError as exc:
        raise MitigationError(f"Preview failed: {exc}") from exc
    with transaction.atomic():
        mitigation = Mitigation.objects.select_for_update(of=("self",)).select_related(
            "target", "incident", "manifest").get(pk=seen.pk)
        if mitigation.status != Mitigation.Status.PREVIEWED:
            raise _not_previewed(mitigation)
        if mitigation.params_digest != seen.params_digest:
            raise MitigationError("Someone else changed the parameters meanwhile: look at the new preview first.")
        voided = bool(mitigation.approved_by_id)
        mitigation.params, mitigation.preview = params, preview.as_dict()
        mitigation.params_digest = digest(mitigation.action, mitigation.target_id, params)
        mitigation.save(update_fields=["params", "preview", "params_digest"])
        _note(mitigation, f"{_who(by)} changed it to {in_words(mitigation)}: {_describe(preview)}."
              + (" The earlier approval no longer applies." if voided else ""), by, event="params", params=params)
        _audit(Audit.MITIGATION_CHANGE, mitigation, by, approval_voided=voided)
    return mitigation


@transaction.atomic
def mitigation_approve(*, mitigation: Mitigation, by: User) -> Mitigation:
    """A second commander vouches for these exact parameters, for a limited time."""
    mitigation = Mitigation.objects.select_for_update(of=("self",)).select_related(
        "target", "incident__severity", "manifest", "approved_by").get(pk=mitigation.pk)
    now = timezone.now()
    check_approve(mitigation, by, now=now)
    mitigation.approved_by, mitigation.approved_at = by, now
    mitigation.approved_digest = mitigation.params_digest
    mitigation.approval_expires_at = now + timedelta(minutes=settings.MITIGATION_APPROVAL_MINUTES)
    mitigation.save(update_fields=["approved_by", "approved_at", "approved_digest", "approval_expires_at"])
    _note(mitigation, f"{_who(by)} approved: {in_words(mitigation)}, valid for "
          f"{settings.MITIGATION_APPROVAL_MINUTES} min.", by, event="approved")
    _audit(Audit.MITIGATION_APPROVE, mitigation, by, approval_expires_at=mitigation.approval_expires_at)
    return mitigation


def mitigation_confirm(*, mitigation: Mitigation, by: User, confirm: str) -> Mitigation:
    """The commander types the deployment's name; the change goes to a worker once, and only once."""
    with transaction.atomic():
        mitigation = Mitigation.objects.select_for_update(of=("self",)).select_related(
            "target", "incident__severity", "manifest", "approved_by", "confirmed_by").get(pk=mitigation.pk)
        check_execute(mitigation, by)
        word = confirm_word(mitigation)
        if (confirm or "").strip() != word:
            what = "the deployment name" if word == mitigation.target.deployment else "the pod's name"
            raise ValidationError({"confirm": f"Type {what}, {word}, to confirm."})
        mitigation.status = Mitigation.Status.QUEUED
        mitigation.confirmed_by, mitigation.confirmed_at = by, timezone.now()
        approved = f" (approved by {_who(mitigation.approved_by)})" if mitigation.approved_by_id else ""
        return _queue(mitigation, text=f"{_who(by)} confirmed: {in_words(mitigation)}{approved}.", by=by,
                      audit=Audit.MITIGATION_EXECUTE)


def _queue(mitigation: Mitigation, *, text: str, by: User, audit: Audit) -> Mitigation:
    """Take the deployment's one active slot, or say who holds it."""
    from mitigations.tasks import execute_mitigation

    with transaction.atomic():
        try:
            with transaction.atomic():
                mitigation.save()
        except IntegrityError:
            busy = (Mitigation.objects.filter(lock_key=mitigation.lock_key, status__in=ACTIVE)
                    .select_related("target", "manifest", "confirmed_by").first())
            what = (f"{in_words(busy)}, confirmed by {_who(busy.confirmed_by)}, is "
                    f"{busy.get_status_display().lower()} since {timezone.localtime(busy.confirmed_at):%H:%M:%S}"
                    ) if busy else "another action is running"
            raise MitigationError(f"{mitigation.target.deployment} is busy: {what}. One action at a time.") from None
        _note(mitigation, text, by, event="confirmed")
        _audit(audit, mitigation, by, approved_by=mitigation.approved_by.get_username() if mitigation.approved_by
               else None)
        enqueue(execute_mitigation, [mitigation.pk], queue=settings.MITIGATION_QUEUE)
    return mitigation


def mitigation_cancel(*, mitigation: Mitigation, by: User) -> Mitigation:
    """Stop a previewed or queued mitigation before a worker starts it.

    A conditional UPDATE, like the worker's claim: whichever of the two lands first wins, the other finds
    the status moved on and does nothing.
    """
    check_cancel(mitigation, by)
    with transaction.atomic():
        if not Mitigation.objects.filter(pk=mitigation.pk, status__in=CANCELLABLE).update(
                status=Mitigation.Status.CANCELLED, cancelled_by=by, finished_at=timezone.now()):
            current = Mitigation.objects.get(pk=mitigation.pk)
            check_cancel(current, by)  # says why: a worker took it, or someone ended it, meanwhile
            raise MitigationError(f"It is {current.get_status_display().lower()}: nothing to cancel.")
        mitigation = Mitigation.objects.select_related("target", "incident", "manifest").get(pk=mitigation.pk)
        _note(mitigation, f"{_who(by)} cancelled: {in_words(mitigation)}. Nothing was changed.", by,
              event="cancelled")
        _audit(Audit.MITIGATION_CANCEL, mitigation, by)
    return mitigation


def manifest_add(*, target: Target, yaml: str, note: str = "", by: User | None) -> MaintenanceManifest:
    """Append the target's next maintenance-manifest version.

    The target's row is locked while the next number is read and written, so two saves at once get
    consecutive versions instead of one of them failing on the (target, version) constraint.
    """
    with transaction.atomic():
        Target.objects.select_for_update().get(pk=target.pk)
        latest = MaintenanceManifest.objects.filter(target=target).order_by("-version").first()
        return MaintenanceManifest.objects.create(target=target, yaml=yaml, note=note, created_by=by,
                                                  version=(latest.version if latest else 0) + 1)


def mitigation_claim(mitigation_id: int, *, task_id: str = "", worker: str = "") -> bool:
    """Queued → running, once. A change is never made twice: the same task id again while running means the worker
    that took it died mid-change (killed, out of memory) and the broker handed the message on; it ends as failed,
    outcome unknown, and people look at the cluster."""
    claimed = Mitigation.objects.filter(pk=mitigation_id, status=Mitigation.Status.QUEUED).update(
        status=Mitigation.Status.RUNNING, started_at=timezone.now(), task_id=task_id, worker=worker)
    if not claimed and task_id:
        lost = (Mitigation.objects.filter(pk=mitigation_id, status=Mitigation.Status.RUNNING, task_id=task_id)
                .select_related("target", "manifest").first())
        if lost is not None:
            mitigation_lost(lost)
    return bool(claimed)


def mitigation_lost(mitigation: Mitigation) -> Mitigation:
    """End a mitigation whose worker died. What it did is unknown, so it is not run again: the timeline says so."""
    where = f" ({mitigation.worker})" if mitigation.worker else ""
    if not get_action(mitigation.action).changes_cluster:
        return mitigation_finish(mitigation, status=Mitigation.Status.FAILED,
                                 error=f"The worker{where} was lost; check the deployment by hand.",
                                 text=f"{_sentence(in_words(mitigation))}: no result, the worker was lost. "
                                 "Check the deployment's state.")
    summary = mitigation.outcome.get("summary") or "as previewed"
    done = (f"the change was made ({summary}) but its rollout was not followed to the end" if mitigation.outcome
            else "the change may or may not have reached the cluster")
    return mitigation_finish(
        mitigation, status=Mitigation.Status.FAILED,
        error=f"Outcome unknown, worker lost — check the cluster: the worker{where} was lost while running it; "
              f"{done}. It was not run again.",
        text=f"{_sentence(in_words(mitigation))}: outcome unknown, the worker was lost — check the cluster. "
             f"{_sentence(done)}; it was not run again.")


def mitigation_finish(mitigation: Mitigation, *, status: str, error: str = "", text: str) -> Mitigation:
    """End a running mitigation once: a reaper and the worker may both try; the first wins."""
    with transaction.atomic():
        if not Mitigation.objects.filter(pk=mitigation.pk, status=Mitigation.Status.RUNNING).update(
                status=status, error=error[:4000], finished_at=timezone.now()):
            return Mitigation.objects.get(pk=mitigation.pk)
        mitigation.refresh_from_db()
        _note(mitigation, text, None, event="finished", status=status)
    return mitigation


def mitigation_execute(mitigation_id: int) -> Mitigation:
    """The worker's half: the real change, then kubectl's rollout status until it settles."""
    from mitigations.actions.rollout import follow

    mitigation = Mitigation.objects.select_related("target", "incident", "manifest").get(pk=mitigation_id)
    spec = get_action(mitigation.action)
    if spec.changes_cluster:
        try:
            outcome = spec.execute(mitigation.target, mitigation.params,
                                   manifest=mitigation.manifest.yaml if mitigation.manifest else None)
        except ActionError as exc:
            return mitigation_finish(mitigation, status=Mitigation.Status.FAILED, error=str(exc),
                                     text=f"{_sentence(in_words(mitigation))} failed: {exc}")
        Mitigation.objects.filter(pk=mitigation.pk).update(outcome=outcome.as_dict())
        _note(mitigation, f"Executed: {_describe(outcome)}", None, event="executed",
              before=outcome.before, after=outcome.after)
        if not outcome.follow_rollout:
            return mitigation_finish(mitigation, status=Mitigation.Status.SUCCEEDED,
                                     text=f"{_sentence(in_words(mitigation))}: done.")

    def progress(p: Progress) -> None:
        Mitigation.objects.filter(pk=mitigation.pk).update(rollout=vars(p))
        incident_touch(incident_id=mitigation.incident_id)

    try:
        final = follow(mitigation.target, deadline_seconds=settings.MITIGATION_ROLLOUT_SECONDS, on_progress=progress)
    except ActionError as exc:
        return mitigation_finish(mitigation, status=Mitigation.Status.FAILED, error=str(exc),
                                 text=f"Rollout status unknown: {exc}")
    Mitigation.objects.filter(pk=mitigation.pk).update(rollout=vars(final))
    if final.state == RolloutState.COMPLETE:
        return mitigation_finish(mitigation, status=Mitigation.Status.SUCCEEDED,
                                 text=f"Rollout complete: {final.message}")
    return mitigation_finish(mitigation, status=Mitigation.Status.FAILED, error=final.message,
                             text=f"Rollout failed: {final.message}")


def mitigation_expire(*, mitigation_id: int, now: datetime | None = None) -> bool:
    """End a queued mitigation no worker took (its message was lost, or no worker runs), freeing its deployment.

    Conditional, like the worker's claim: a worker that takes it at this very moment keeps it.
    """
    wait = settings.MITIGATION_QUEUE_TIMEOUT
    error = (f"No worker picked this up within {wait} s, so nothing was changed: is the Celery worker running? "
             "Confirm it again once it is.")
    with transaction.atomic():
        if not Mitigation.objects.filter(pk=mitigation_id, status=Mitigation.Status.QUEUED).update(
                status=Mitigation.Status.FAILED, error=error, finished_at=now or timezone.now()):
            return False
        mitigation = Mitigation.objects.select_related("target", "incident", "manifest").get(pk=mitigation_id)
        _note(mitigation, f"{_sentence(in_words(mitigation))}: failed, no worker picked it up within {wait} s. "
              "Nothing was changed; the deployment is free again.", None, event="finished",
              status=Mitigation.Status.FAILED)
    return True


def mitigations_reap(*, now: datetime | None = None) -> int:
    """Beat's sweep: nothing holds a deployment for ever, neither a lost worker nor a message nobody picked up."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.MITIGATION_HARD_LIMIT + settings.WORKER_LOST_GRACE)
    stale = list(Mitigation.objects.filter(status=Mitigation.Status.RUNNING, started_at__lt=limit).select_related(
        "target", "manifest"))
    for mitigation in stale:
        mitigation_lost(mitigation)
    wait = timedelta(seconds=settings.MITIGATION_QUEUE_TIMEOUT)
    from mitigations.tasks import execute_mitigation

    unclaimed = Mitigation.objects.filter(status=Mitigation.Status.QUEUED, confirmed_at__lte=now - wait).exclude(
        pk__in=held(execute_mitigation, since=now - wait))
    reaped = sum(mitigation_expire(mitigation_id=pk, now=now) for pk in unclaimed.values_list("pk", flat=True))
    return len(stale) + reaped
