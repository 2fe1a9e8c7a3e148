"""Credentials inside URLs, masked: the one helper for debug pages, check output and target URLs.

Neutral ground (no app imports), so that warroom, diagnostics and targets can all use it.
"""

import re

MASK = "****"

# scheme://userinfo@ — everything between :// and @ (user:password, or a bare token) is a credential.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/@]+)@")


def mask_url_credentials(text: str, *, mask: str = MASK, keep_user: bool = False) -> str:
    """Every URL in `text` with its credentials replaced by `mask`.

    keep_user=True keeps a user name ahead of a password (postgres://app:****@db), which helps whoever reads
    it tell one target from another; a bare token (https://token@host) is masked either way.
    """
    if not text:
        return text

    def masked(match: re.Match) -> str:
        user, colon, _password = match["userinfo"].partition(":")
        kept = f"{user}:" if keep_user and colon else ""
        return f"{match['scheme']}{kept}{mask}@"

    return _USERINFO.sub(masked, text)


def mask_url_password(text: str, *, mask: str = MASK) -> str:
    """Only passwords masked (postgres://app:****@db); a bare user name stays, for showing a target's own URL."""
    if not text:
        return text

    def masked(match: re.Match) -> str:
        user, colon, _password = match["userinfo"].partition(":")
        return f"{match['scheme']}{user}:{mask}@" if colon else match[0]

    return _USERINFO.sub(masked, text)


# --- Every log record, whatever logger made it --------------------------------------------------------------------
# Libraries log what their peers said at DEBUG (psycopg's and redis-py's connection errors, urllib3's request lines),
# and a peer may quote the password it was sent. So the one place that sees every record — the record factory —
# masks the secrets Warroom knows: those in its settings, read at each record (tests change them), and those read
# while it runs (a target's password or token, a kubeconfig token), remembered here as they are read.

MIN_SECRET = 8  # shorter values would mask ordinary words; no configured secret is this short
_remembered: set[str] = set()


def remember(*secrets: str | None) -> None:
    """Secrets read at run time, masked in every log record from now on in this process."""
    _remembered.update(s for s in secrets if s and len(s) >= MIN_SECRET)


def _url_secrets(url: str) -> list[str]:
    """A URL's password, and for a URL that is itself the credential (a webhook), its path too."""
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    return [url, parts.path, unquote(parts.password or "")]


def configured_secrets() -> set[str]:
    """The secrets in the settings: keys, tokens, passwords, the webhooks' URLs, the services' URL passwords."""
    from django.conf import settings

    found = [settings.SECRET_KEY, getattr(settings, "EMAIL_HOST_PASSWORD", ""),
             getattr(settings, "SLACK_BOT_TOKEN", ""), getattr(settings, "SLACK_SIGNING_SECRET", ""),
             getattr(settings, "NOTIFY_WEBHOOK_SECRET", "")]
    for name in ("SLACK_WEBHOOK_URL", "NOTIFY_WEBHOOK_URL"):
        if url := getattr(settings, name, ""):
            found += _url_secrets(url)
    for name in ("CELERY_BROKER_URL", "LIVE_REDIS_URL", "DATABASE_URL"):
        if url := getattr(settings, name, ""):
            found.append(_url_secrets(url)[2])
    found += [db.get("PASSWORD") or "" for db in settings.DATABASES.values()]
    return {s for s in found if s and len(s) >= MIN_SECRET}


def redact(text: str) -> str:
    """Text with every known secret (configured or remembered), and any credential in a URL, masked."""
    if not text:
        return text
    for secret in sorted(configured_secrets() | _remembered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return mask_url_credentials(text, keep_user=True)


def install_log_redaction() -> None:
    """Every LogRecord made from now on has its message and traceback redacted (idempotent)."""
    import logging

    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call logs what it can; the handler reports the format error as usual
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
