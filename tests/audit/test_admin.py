"""Every change made in the admin is in the audit log, whichever ModelAdmin made it, a new one included."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.test import RequestFactory

from alerts import services as alert_services
from audit.admin_site import AuditedModelAdmin
from audit.models import Action, AuditEvent
from tests.audit.conftest import FROM

pytestmark = pytest.mark.django_db
NO_SCALE_LIMITS = {"scale_limits-TOTAL_FORMS": "0", "scale_limits-INITIAL_FORMS": "0"}  # the mitigations inline


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_every_registered_admin_records_its_changes():
    """Walks the registry: Django's admin calls these three after each add and change and before each delete."""
    assert len(admin.site._registry) > 20
    for model, model_admin in admin.site._registry.items():
        for method in ("log_addition", "log_change", "log_deletions", "get_actions"):
            assert getattr(type(model_admin), method) is getattr(AuditedModelAdmin, method), (model, method)


def test_a_new_model_admin_is_covered_without_being_told(superuser):
    class PlainAdmin(admin.ModelAdmin):  # written as any app would, knowing nothing of the audit log
        pass

    admin.site.register(ContentType, PlainAdmin)
    try:
        model_admin = admin.site._registry[ContentType]
        request = RequestFactory().post("/admin/contenttypes/contenttype/1/change/", **FROM)
        request.user = superuser
        thing = ContentType.objects.get_for_model(Group)
        model_admin.log_change(request, thing, [{"changed": {"fields": ["Model"]}}])
    finally:
        admin.site.unregister(ContentType)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.target_type, event.target_id) == (
        Action.ADMIN_CHANGE, superuser, "contenttypes.contenttype", str(thing.pk))
    assert (event.ip, event.user_agent) == (FROM["REMOTE_ADDR"], FROM["HTTP_USER_AGENT"])
    assert event.details == {"change": [{"changed": {"fields": ["Model"]}}]}


def test_groups_and_their_permissions_added_changed_and_deleted_in_bulk(admin_client, superuser):
    perm = Permission.objects.get(codename="view_incident")
    assert admin_client.post("/admin/auth/group/add/", {"name": "night-shift"}, **FROM).status_code == 302
    group = Group.objects.get(name="night-shift")
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/",
                                 {"name": "night-shift", "permissions": [perm.pk]}, **FROM)
    assert response.status_code == 302
    other = Group.objects.create(name="day-shift")
    response = admin_client.post("/admin/auth/group/", {"action": "delete_selected", "post": "yes",
                                                        "_selected_action": [group.pk, other.pk]}, **FROM)
    assert response.status_code == 302 and not Group.objects.filter(pk__in=[group.pk, other.pk]).exists()

    (added,), (changed,) = _events(Action.ADMIN_ADD), _events(Action.ADMIN_CHANGE)
    assert (added.target_type, added.target_repr, added.actor) == ("auth.group", "night-shift", superuser)
    assert changed.details["change"] == [{"changed": {"fields": ["Permissions"]}}]
    assert {(e.target_repr, e.ip) for e in _events(Action.ADMIN_DELETE)} == {
        ("night-shift", FROM["REMOTE_ADDR"]), ("day-shift", FROM["REMOTE_ADDR"])}


def test_a_user_added_and_their_password_changed_without_the_password_recorded(admin_client):
    password = "c0rrect-h0rse-battery"
    response = admin_client.post("/admin/auth/user/add/", {"username": "newbie", "usable_password": "true",
                                                           "password1": password, "password2": password}, **FROM)
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    response = admin_client.post(f"/admin/auth/user/{newbie.pk}/password/",
                                 {"password1": password + "!", "password2": password + "!"}, **FROM)
    assert response.status_code == 302
    events = _events(Action.ADMIN_ADD) + _events(Action.ADMIN_CHANGE)
    assert [(e.action, e.target_repr) for e in events] == [(Action.ADMIN_ADD, "newbie"),
                                                           (Action.ADMIN_CHANGE, "newbie")]
    assert password not in serializers.serialize("json", events)


def test_a_target_and_its_secret_reference(admin_client, settings, tmp_path):
    settings.TARGETS_SECRET_DIR = tmp_path
    form = {"name": "prod-db", "kind": "postgres", "url": "postgres://app@db/shop", "timeout_seconds": 5,
            "namespace": "default", "enabled": "on", "secret_env": "WARROOM_TARGET_PROD_DB", **NO_SCALE_LIMITS}
    assert admin_client.post("/admin/targets/target/add/", form, **FROM).status_code == 302
    (event,) = _events(Action.ADMIN_ADD)
    assert (event.target_type, event.target_repr) == ("targets.target", "prod-db")


def test_an_admin_action_is_recorded_per_object(admin_client, runbook):
    source, _ = alert_services.source_create(name="grafana-prod", by=None)
    response = admin_client.post("/admin/alerts/alertsource/", {"action": "rotate_token",
                                                                 "_selected_action": [source.pk]}, **FROM)
    assert response.status_code == 200
    (event,) = _events(Action.ADMIN_ACTION)
    assert (event.target_type, event.target_id, event.details) == (
        "alerts.alertsource", str(source.pk), {"admin_action": "rotate_token"})
    assert response.context["token"] not in serializers.serialize("json", [event])
