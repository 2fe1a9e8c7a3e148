"""warroom.redact: credentials inside URLs."""

import pytest

from warroom.redact import mask_url_credentials, mask_url_password


@pytest.mark.parametrize(("text", "masked"), [
    ("postgres://app:s3cret@db:5432/x", "postgres://****@db:5432/x"),
    ("see https://tok3n@api.example.com/v1 now", "see https://****@api.example.com/v1 now"),
    ("redis://:pw@cache:6379/0 and http://u:p@h/", "redis://****@cache:6379/0 and http://****@h/"),
    ("https://example.com/a@b", "https://example.com/a@b"),  # an @ in the path is not a credential
    ("no url here", "no url here"),
])
def test_every_credential_in_a_url_is_masked(text, masked):
    assert mask_url_credentials(text) == masked


def test_keep_user_keeps_the_name_but_never_a_bare_token():
    assert mask_url_credentials("postgres://app:s3cret@db/x", keep_user=True) == "postgres://app:****@db/x"
    assert mask_url_credentials("https://tok3n@h/", keep_user=True) == "https://****@h/"
    assert mask_url_credentials("x://app:pw@h", mask="[hidden]") == "x://[hidden]@h"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgres://app:s3cret@db:5432/shop", "postgres://app:****@db:5432/shop"),
    ("postgres://app@db:5432/shop", "postgres://app@db:5432/shop"),
    ("redis://:s3cret@cache:6379/0", "redis://:****@cache:6379/0"),
    ("https://host/health", "https://host/health"),
    ("see postgres://a:b@x and redis://:c@y", "see postgres://a:****@x and redis://:****@y"),
])
def test_a_targets_url_is_shown_with_its_password_masked_and_its_user_kept(url, shown):
    assert mask_url_password(url) == shown
