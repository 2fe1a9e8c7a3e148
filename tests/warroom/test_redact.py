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


# --- every log record (warroom.redact.install_log_redaction, installed by the warroom app) --------------------------

def test_a_log_record_has_configured_and_remembered_secrets_masked_in_its_message_and_traceback(settings, caplog):
    import logging

    from warroom.redact import remember

    settings.EMAIL_HOST_PASSWORD = "smtp-pw-12345678"
    settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.com/hook/abcdefgh12345678"
    remember("read-at-run-time-1", "short77", None)  # seven characters: too short to be told from a word
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG, logger="some.library"):
        log.debug("login %s then %s, POST %s, %s", "smtp-pw-12345678", "read-at-run-time-1",
                  "/hook/abcdefgh12345678", "short77")
        try:
            raise RuntimeError("peer said: smtp-pw-12345678 is wrong")
        except RuntimeError:
            log.exception("failed")
    first, _failed = caplog.records
    assert first.getMessage() == "login **** then ****, POST ****, short77"
    assert "smtp-pw-12345678" not in caplog.text and "peer said: **** is wrong" in caplog.text


def test_an_eight_character_secret_is_masked_and_a_seven_character_one_is_left(settings):
    from warroom.redact import redact

    settings.EMAIL_HOST_PASSWORD = "12345678"
    assert redact("pw 12345678") == "pw ****"
    settings.EMAIL_HOST_PASSWORD = "1234567"
    assert redact("pw 1234567") == "pw 1234567"
