"""What every mitigation action is: one run() that a preview sends as a server-side dry run and an execution for
real, both recorded; and what the Kubernetes actions share (the session, the write query, the parameters' rules).

A target's failure (a refused secret, a cluster down, timing out or denying: targets.TargetError) becomes an
ActionError here, in the preview and execute wrappers, and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from targets.errors import TargetError

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession
    from targets.models import Target

FIELD_MANAGER = "warroom"
DRY_RUN = "All"


class ActionError(Exception):
    """The action cannot be done (paused deployment, unknown revision, API refused, timed out …); says why."""


class ActionParamError(ValueError):
    """Bad params for an action (the API answers 400 with this message)."""


@dataclass
class Change:
    """One line of 'what would change': e.g. ("image api", "shop:1.4", "shop:1.3")."""

    what: str
    before: Any
    after: Any


@dataclass
class Outcome:
    """What a preview or an execution found and did."""

    summary: str  # one line for people, e.g. "Roll back bharatcart-api from revision 7 to 6"
    changes: list[Change] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # e.g. ["Ingress default/shop", "ConfigMap default/maint"]
    noop: bool = False  # nothing to do (e.g. already at that revision); not an error
    before: dict = field(default_factory=dict)  # state snapshot before (revision, images, replicas …)
    after: dict = field(default_factory=dict)  # state snapshot after (from the API's answer)
    follow_rollout: bool = False  # whether a rollout status follow should run after executing it

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Progress:
    """A rollout status observation, as kubectl rollout status reports it."""

    state: str  # a targets.kubernetes.kubectl.RolloutState
    message: str
    updated: int = 0
    available: int = 0
    total: int = 0


class Action:
    name: ClassVar[str]  # e.g. "kubernetes.rollout_undo"
    title: ClassVar[str]  # e.g. "Roll back deployment"
    runbook: ClassVar[str]  # e.g. "kubectl rollout undo deployment/X"
    destructive: ClassVar[bool] = False  # on SEV1/SEV2 needs a second commander's approval
    changes_cluster: ClassVar[bool] = True  # False for rollout_status: nothing to preview or confirm
    doing: ClassVar[str]  # what it does to {deployment}, in words, e.g. "roll back {deployment}"

    def params_in_words(self, params: dict) -> str:
        """The parameters as a person says them ("to 10 replicas"); empty when the action takes none."""
        words = ", ".join(f"{key.replace('_', ' ')} {'none' if value is None else value}"
                          for key, value in sorted(params.items()))
        return f"with {words}" if words else ""

    def confirm_word(self, target: Target, params: dict) -> str:
        """What the commander types to confirm: the deployment's name, or what the action names (a pod)."""
        return target.deployment

    def clean_params(self, target: Target, raw: dict | None) -> dict:
        """Known params, typed, within the target's bounds; ActionParamError otherwise."""
        raise NotImplementedError

    def preview(self, target: Target, params: dict, *, manifest: str | None = None) -> Outcome:
        """The same request as execute(), sent with dryRun=All: shows what would change, changes nothing."""
        with target_errors():
            return self.run(target, params, manifest=manifest, dry_run=True)

    def execute(self, target: Target, params: dict, *, manifest: str | None = None) -> Outcome:
        """The real request (fieldManager=warroom). Never retried blindly."""
        with target_errors():
            return self.run(target, params, manifest=manifest, dry_run=False)

    def run(self, target: Target, params: dict, *, manifest: str | None = None, dry_run: bool) -> Outcome:
        """What the action does; with dry_run, every write carries dryRun=All."""
        raise NotImplementedError


REGISTRY: dict[str, Action] = {}


def register(cls: type[Action]) -> type[Action]:
    if cls.name in REGISTRY:
        raise ValueError(f"Two actions are called {cls.name}")
    REGISTRY[cls.name] = cls()
    return cls


@contextmanager
def target_errors() -> Iterator[None]:
    """The target's failure, already a message for people, becomes this interface's ActionError."""
    try:
        yield
    except TargetError as exc:
        raise ActionError(str(exc)) from exc


# --- what the Kubernetes actions share -------------------------------------------------------------------------------

def session_for(target: Target) -> KubeSession:
    """The target's cluster session; the client (~25 MiB) is imported on use, in workers, not in web processes."""
    from targets.kubernetes.client import KubeSession

    return KubeSession(target)


def writes(dry_run: bool) -> list[tuple[str, str]]:
    """The query every change carries: who made it, and for a preview that nothing may be persisted."""
    return [("fieldManager", FIELD_MANAGER)] + ([("dryRun", DRY_RUN)] if dry_run else [])


def where(target: Target) -> tuple[str, str]:
    """The target's namespace and deployment."""
    if not target.deployment:
        raise ActionError(f"Target {target.name or '(unnamed)'} names no deployment")
    return target.namespace or "default", target.deployment


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/deployments/{quote(name, safe='')}"


def no_params(action: Action, raw: dict | None) -> dict:
    if raw:
        raise ActionParamError(f"{action.name} takes no parameters (got {', '.join(sorted(map(str, raw)))})")
    return {}


def unknown_params(action: Action, raw: dict, known: set[str]) -> None:
    extra = sorted(set(map(str, raw)) - known)
    if extra:
        raise ActionParamError(f"{action.name}: unknown parameter {', '.join(extra)}; "
                               f"it takes {', '.join(sorted(known))}")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
