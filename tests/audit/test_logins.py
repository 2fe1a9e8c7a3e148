"""Sign-ins, refused sign-ins and sign-outs are recorded with who, when and from where; never a password."""

import ipaddress

import pytest
from django.core import serializers

from audit.models import Action, AuditEvent
from tests.audit.conftest import FROM

pytestmark = pytest.mark.django_db


def test_a_sign_in_and_a_sign_out_are_recorded_with_the_address_and_browser(client, viewer):
    response = client.post("/accounts/login/", {"username": "viewer", "password": "viewer-password"}, **FROM)
    assert response.status_code == 302
    client.post("/accounts/logout/", **FROM)
    login, logout = AuditEvent.objects.order_by("pk")
    assert (login.action, login.actor, login.actor_name) == (Action.LOGIN, viewer, "viewer")
    assert (logout.action, logout.actor) == (Action.LOGOUT, viewer)
    for event in (login, logout):
        assert (event.ip, event.user_agent) == (FROM["REMOTE_ADDR"], FROM["HTTP_USER_AGENT"])
        assert (event.target_type, event.target_id) == ("auth.user", str(viewer.pk))


def test_a_refused_sign_in_is_recorded_with_the_name_tried_and_without_the_password(client, viewer):
    secret = "Tr0ub4dor&3-not-the-password"
    response = client.post("/accounts/login/", {"username": "viewer", "password": secret}, **FROM)
    assert response.status_code == 200  # the form again, with its error
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_name) == (Action.LOGIN_FAILED, None, "viewer")
    assert event.ip == FROM["REMOTE_ADDR"] and event.user_agent == FROM["HTTP_USER_AGENT"]
    assert secret not in serializers.serialize("json", [event])


def test_a_refused_sign_in_as_nobody_who_exists_is_recorded_too(client, db):
    client.post("/admin/login/", {"username": "ghost", "password": "whatever-it-is"}, **FROM)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_name) == (Action.LOGIN_FAILED, "ghost")
    assert "whatever-it-is" not in serializers.serialize("json", [event])


def test_the_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(client, viewer, settings):
    forwarded = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.23"}
    credentials = {"username": "viewer", "password": "viewer-password"}
    client.post("/accounts/login/", credentials, **forwarded)  # no proxy trusted: the header is the client's word
    settings.AUDIT_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    client.post("/accounts/login/", credentials, **forwarded)
    assert [e.ip for e in AuditEvent.objects.order_by("pk")] == ["10.0.0.5", "198.51.100.23"]


def test_a_long_or_odd_user_agent_is_kept_short_and_storable(client, viewer):
    client.post("/accounts/login/", {"username": "viewer", "password": "viewer-password"},
                REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="A\x00" + "b" * 1000)
    event = AuditEvent.objects.get()
    assert event.user_agent == "A" + "b" * 399
