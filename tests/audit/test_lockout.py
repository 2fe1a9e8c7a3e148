"""Sign-in attempts are limited per name tried and per address, counted from the audit log (audit/lockout.py).

Limits here: 3 failures a name, 5 an address, in a 600 s window. Failures older than the window are written into the
log directly (the log is where the rule reads them); everything else goes through the login page or the admin's.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from audit.lockout import lockout
from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db

A = {"REMOTE_ADDR": "203.0.113.7"}
B = {"REMOTE_ADDR": "198.51.100.9"}
WINDOW = 600


class CountingHasher(PBKDF2PasswordHasher):
    """A real hasher that counts its verifications: a refused attempt must not reach the password at all."""

    algorithm = "pbkdf2_sha256"
    iterations = 1
    verified = 0

    def verify(self, password, encoded):
        CountingHasher.verified += 1
        return super().verify(password, encoded)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_MAX_FAILURES_PER_IP = 3, 5
    settings.LOGIN_LOCKOUT_SECONDS = WINDOW


def _try(client, username, password, where=A, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, **where)


def _fail(client, username, times, where=A, url="/accounts/login/"):
    for _ in range(times):
        assert _try(client, username, "wrong-password", where, url).status_code == 200


def _signed_in(response) -> bool:
    return response.status_code == 302


def test_one_failure_under_the_limit_still_lets_the_right_password_in(client, viewer):
    _fail(client, "viewer", 2)
    assert _signed_in(_try(client, "viewer", "viewer-password"))


def test_at_the_limit_even_the_right_password_is_refused_with_a_message_and_a_429(client, viewer):
    _fail(client, "viewer", 3)
    response = _try(client, "viewer", "viewer-password")
    assert response.status_code == 429
    assert int(response["Retry-After"]) in range(WINDOW - 5, WINDOW + 2)
    text = response.content.decode()
    assert "Too many failed sign-ins for this username" in text and "10 more minutes" in text
    assert "_auth_user_id" not in client.session


def test_a_refused_attempt_checks_no_password_and_is_recorded_without_lengthening_the_lock(client, viewer, settings):
    settings.PASSWORD_HASHERS = ["tests.audit.test_lockout.CountingHasher"]
    viewer.set_password("viewer-password")
    viewer.save()
    _fail(client, "viewer", 3)
    assert CountingHasher.verified == 3  # the counter counts: each failure checked the password
    CountingHasher.verified = 0
    _try(client, "viewer", "viewer-password")
    _try(client, "viewer", "wrong-password")
    assert CountingHasher.verified == 0
    locked = AuditEvent.objects.filter(action=Action.LOGIN_LOCKED)
    assert [(e.actor_name, e.ip) for e in locked] == [("viewer", A["REMOTE_ADDR"])] * 2
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 3


def test_failures_older_than_the_window_no_longer_count(client, viewer):
    now = timezone.now()
    for seconds in (WINDOW + 1, WINDOW + 2):
        AuditEvent.objects.create(action=Action.LOGIN_FAILED, actor_name="viewer", ip=A["REMOTE_ADDR"],
                                  at=now - timedelta(seconds=seconds))
    _fail(client, "viewer", 2)  # 2 in the window, 2 just out of it
    assert _signed_in(_try(client, "viewer", "viewer-password"))


def test_the_lock_lifts_when_its_oldest_counted_failure_leaves_the_window(client, viewer):
    now = timezone.now()
    oldest = now - timedelta(seconds=WINDOW - 2)
    for at in (oldest, now - timedelta(seconds=10), now - timedelta(seconds=5)):
        AuditEvent.objects.create(action=Action.LOGIN_FAILED, actor_name="viewer", ip="192.0.2.1", at=at)
    assert _try(client, "viewer", "viewer-password").status_code == 429  # the oldest is still 2 s inside
    lifted = oldest + timedelta(seconds=WINDOW)
    lock = lockout("viewer", None, now=lifted - timedelta(microseconds=1))
    assert lock is not None and lock.until == lifted
    assert lockout("viewer", None, now=lifted) is None


def test_another_name_from_the_same_address_is_let_in_under_the_address_limit(client, viewer, commander):
    _fail(client, "viewer", 3)  # viewer is locked; the address has 3 of its 5
    assert _try(client, "viewer", "viewer-password").status_code == 429
    assert _signed_in(_try(client, "commander", "commander-password"))


def test_the_address_limit_refuses_every_name_and_other_addresses_are_not_touched(client, viewer, commander):
    for name in ("a", "b", "c", "d"):
        _fail(client, name, 1)
    assert _signed_in(_try(client, "commander", "commander-password"))  # 4 failures: under the limit of 5
    client.logout()
    _fail(client, "e", 1)  # 5
    response = _try(client, "viewer", "viewer-password")
    assert response.status_code == 429 and "Too many failed sign-ins for your address" in response.content.decode()
    assert _signed_in(_try(client, "viewer", "viewer-password", where=B))


def test_a_success_clears_the_names_count_but_not_the_addresses(client, viewer):
    _fail(client, "viewer", 2)
    assert _signed_in(_try(client, "viewer", "viewer-password"))
    client.logout()
    _fail(client, "viewer", 2)  # 2 since the success: under the name's limit again
    assert _signed_in(_try(client, "viewer", "viewer-password"))
    client.logout()
    _fail(client, "viewer", 1)  # the address now has 5 failures: the success did not clear them
    assert _try(client, "viewer", "viewer-password").status_code == 429


def test_the_admin_login_is_limited_too_and_says_so(client, db):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", "root@example.com", "root-password")
    _fail(client, "root", 2, url="/admin/login/")
    _fail(client, "root", 1, url="/admin/login/")
    response = _try(client, "root", "root-password", url="/admin/login/")
    assert response.status_code == 200 and "Too many failed sign-ins for this username" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=Action.LOGIN_LOCKED, actor_name="root").count() == 1


def test_the_name_is_counted_exactly_as_typed(client, viewer):
    _fail(client, "Viewer", 3)  # nobody is called that: a lock on "Viewer", not on viewer
    assert _signed_in(_try(client, "viewer", "viewer-password"))
