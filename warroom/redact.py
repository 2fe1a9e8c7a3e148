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
