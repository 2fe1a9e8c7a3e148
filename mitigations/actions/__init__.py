"""The runbook's mitigation steps. Importing this package registers them."""

from mitigations.actions import manifests, restart, rollback, rollout, scale  # noqa: F401 - registers the actions
from mitigations.actions.base import REGISTRY, Action, ActionError, ActionParamError, Change, Outcome, Progress


def get_action(name: str) -> Action:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ActionParamError(f"Unknown action {name!r}; choose one of {', '.join(sorted(REGISTRY))}") from None


__all__ = ["REGISTRY", "Action", "ActionError", "ActionParamError", "Change", "Outcome", "Progress", "get_action"]
