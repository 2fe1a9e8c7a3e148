"""Responders may preview a mitigation; only commanders approve and execute."""

PREVIEW = "mitigations.preview_mitigation"
EXECUTE = "mitigations.execute_mitigation"


def _has(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(perm))


def can_preview(user) -> bool:
    return _has(user, PREVIEW)


def can_execute(user) -> bool:
    return _has(user, EXECUTE)
