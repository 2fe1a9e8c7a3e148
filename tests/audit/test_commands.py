"""A token made from the shell is a secret changed like any other: the audit log says who, never the token."""

import io

import pytest
from django.core.management import call_command

from alerts.models import AlertSource
from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def _token(*args: str) -> str:
    out = io.StringIO()
    call_command("alert_source", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_creating_and_rotating_a_source_token_from_the_shell_is_recorded():
    first = _token("am-prod")
    second = _token("am-prod", "--rotate")
    source = AlertSource.objects.get(name="am-prod")
    events = list(AuditEvent.objects.order_by("pk").filter(target_type="alerts.alertsource"))
    assert [e.action for e in events] == [Action.ALERT_SOURCE_CREATE, Action.ALERT_SOURCE_ROTATE]
    for event in events:
        assert event.target_id == str(source.pk)
        assert event.actor is None and event.actor_name.endswith("(manage.py alert_source)")
        assert first not in str(event.details) and second not in str(event.details)


def test_a_refused_command_records_nothing():
    _token("am-prod")
    with pytest.raises(Exception, match="exists"):
        _token("am-prod")
    assert AuditEvent.objects.filter(target_type="alerts.alertsource").count() == 1
