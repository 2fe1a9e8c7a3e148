"""Follow a rollout: `kubectl rollout status deployment/X`, after a change or on its own (it reads, never writes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mitigations.actions.base import (
    Action,
    Outcome,
    Progress,
    no_params,
    register,
    session_for,
    target_errors,
    where,
)
from targets.kubernetes.kubectl import FAILED, PROGRESSING, rollout_status

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession
    from targets.kubernetes.kubectl import KubeObject
    from targets.models import Target


def progress_of(deployment: KubeObject) -> Progress:
    """kubectl rollout status's decision (kubectl.rollout_status) with its counts: updated and available
    replicas out of the desired ones."""
    state, sentence = rollout_status(deployment)
    spec, status = deployment.spec, deployment.status
    name = deployment.metadata.name if deployment.metadata else ""
    return Progress(state=state, message=f"deployment {name}: {sentence}",
                    updated=(status.updated_replicas if status else None) or 0,
                    available=(status.available_replicas if status else None) or 0,
                    total=(spec.replicas if spec else None) or 0)


def _seen(p: Progress) -> tuple[int, int, int, str]:
    return p.updated, p.available, p.total, p.message


def read_deployment(session: KubeSession, namespace: str, name: str) -> KubeObject:
    return session.call(session.apps.read_namespaced_deployment, name, namespace,
                        doing=f"reading deployment {name} in namespace {namespace}",
                        not_found=f"deployment {name} not found in namespace {namespace}")


def follow(target: Target, *, deadline_seconds: float, on_progress: Callable[[Progress], None],
           interval: float = 1.0) -> Progress:
    """Poll the deployment until kubectl rollout status would stop: complete, failed (progress deadline exceeded)
    or, when our own deadline passes first, failed with a message saying so. on_progress hears of every change of
    counts or message. A failed read ends it with an ActionError: the caller records that the state is unknown."""
    namespace, name = where(target)
    deadline = time.monotonic() + deadline_seconds
    last: Progress | None = None
    with target_errors(), session_for(target) as session:
        while True:
            progress = progress_of(read_deployment(session, namespace, name))
            if last is None or _seen(progress) != _seen(last):
                on_progress(progress)
            last = progress
            if progress.state != PROGRESSING:
                return progress
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                final = Progress(FAILED, f"deployment {name}: the rollout did not finish within the "
                                 f"{deadline_seconds:g} s deadline; last seen: {progress.message}",
                                 progress.updated, progress.available, progress.total)
                on_progress(final)
                return final
            time.sleep(min(interval, remaining))


@register
class RolloutStatus(Action):
    name = "kubernetes.rollout_status"
    title = "Follow the rollout"
    doing = "follow the rollout of {deployment}"
    runbook = "kubectl rollout status deployment/bharatcart-api"
    changes_cluster = False

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        return no_params(self, raw)

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        """The state right now, for a preview and an execution alike (it only reads); follow_rollout says whether
        there is anything left to follow."""
        namespace, name = where(target)
        with session_for(target) as session:
            progress = progress_of(read_deployment(session, namespace, name))
        state = vars(progress)
        return Outcome(progress.message, objects=[f"Deployment {namespace}/{name}"], before=state, after=state,
                       follow_rollout=progress.state == PROGRESSING)
