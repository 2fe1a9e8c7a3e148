"""Where a target's password or token may come from, and the one scrubber that keeps it out of every message.

Anyone who can edit targets chooses the host a worker connects to, so the reference to its secret is fenced:
an environment variable named WARROOM_TARGET_*, or a file under settings.TARGETS_SECRET_DIR. Otherwise a
target could name SECRET_KEY or DATABASE_URL and have the worker send it to a host of the editor's choosing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings

from targets.errors import TargetError
from warroom.redact import MASK, mask_url_credentials

ENV_PREFIX = "WARROOM_TARGET_"
_ENV_NAME = re.compile(rf"^{ENV_PREFIX}[A-Za-z0-9_]+$")


class SecretRefused(TargetError):
    """A secret reference outside the fence, or one that cannot be read: the run fails saying which and why."""


def env_problem(name: str) -> str | None:
    """Why this environment variable may not be a target's secret, or None when it may."""
    if _ENV_NAME.match(name):
        return None
    return f"{name!r} is not allowed: a target's secret must be in an environment variable named {ENV_PREFIX}…"


def secret_path(path: str) -> Path:
    """The file a secret_file reference names, resolved (symlinks and '..' followed); relative means under the
    secret directory. Raises SecretRefused when the resolved file is not inside that directory."""
    base = Path(settings.TARGETS_SECRET_DIR).resolve()
    resolved = (base / path).resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise SecretRefused(f"{path!r} is not allowed: a target's secret file must be inside {base}")
    return resolved


def file_problem(path: str) -> str | None:
    try:
        secret_path(path)
    except SecretRefused as exc:
        return str(exc)
    return None


def read_secret(*, env: str, file: str, environ: Mapping[str, str]) -> str | None:
    """The secret a target names, read only from inside the fence; None when it names none or the variable is
    unset. A reference outside the fence is refused here too, so a row saved before the rule cannot leak."""
    if env:
        if problem := env_problem(env):
            raise SecretRefused(f"secret_env {problem}")
        return environ.get(env)
    if file:
        path = secret_path(file)
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise SecretRefused(f"secret_file {file!r} cannot be read: {exc.strerror}") from None
    return None


def scrub(text: str, *secrets: str | None) -> str:
    """Text with every given secret, and any password written into a URL, replaced by ****.

    The one scrubber for everything a check produces (errors, summaries, rows, crash tracebacks) before it is
    stored, shown or logged."""
    if not text:
        return text
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return mask_url_credentials(text, keep_user=True)
