"""The runbook's checks, one module per kind of target. Importing this package registers them all."""

from diagnostics.checks import http, kubernetes, postgres, redis  # noqa: F401 - registers the checks
from diagnostics.checks.base import REGISTRY, Check, CheckError, ParamError, Result


def get_check(name: str) -> Check:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParamError(f"Unknown check {name!r}; choose one of {', '.join(sorted(REGISTRY))}") from None


__all__ = ["REGISTRY", "Check", "CheckError", "ParamError", "Result", "get_check"]
