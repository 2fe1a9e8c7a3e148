"""Nobody alters or deletes the audit log: not the ORM, not raw SQL, not the admin for a superuser."""

import importlib
import sqlite3

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import Action, AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db

migration = importlib.import_module("audit.migrations.0001_append_only_log")


@pytest.fixture
def event(superuser):
    return record(Action.LOGIN, by=superuser, target=superuser)


def test_the_model_refuses_to_save_again_or_delete(event):
    event.actor_name = "someone-else"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    for write in (lambda: AuditEvent.objects.filter(pk=event.pk).update(actor_name="x"),
                  lambda: AuditEvent.objects.filter(pk=event.pk).delete()):
        with pytest.raises(ValueError, match="append-only"):
            write()
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "root"


@pytest.mark.parametrize("sql", ["UPDATE audit_auditevent SET actor_name = 'x' WHERE id = %s",
                                 "DELETE FROM audit_auditevent WHERE id = %s"], ids=["raw update", "raw delete"])
def test_postgresql_refuses_updates_and_deletes(event, sql):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "root"


def test_new_events_are_still_written(event, superuser):
    record(Action.LOGOUT, by=superuser)
    assert AuditEvent.objects.count() == 2


def test_sqlite_triggers_refuse_updates_and_deletes():
    """`make run` keeps its data in SQLite: the same rule holds there."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE audit_auditevent (id INTEGER PRIMARY KEY, actor_name TEXT)")
    for sql in migration.SQLITE:
        db.execute(sql)
    db.execute("INSERT INTO audit_auditevent (actor_name) VALUES ('root')")
    for sql in ("UPDATE audit_auditevent SET actor_name = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert db.execute("SELECT actor_name FROM audit_auditevent").fetchall() == [("root",)]


def test_deleting_a_user_leaves_their_events_as_they_were(event, superuser):
    superuser.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_name) == (event.actor_id, "root")


def test_a_superuser_reads_it_in_the_admin_but_cannot_add_change_or_delete(client, superuser, event):
    client.force_login(superuser)
    base = "/admin/audit/auditevent/"
    page = client.get(f"{base}{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(base).status_code == 200
    assert client.post(f"{base}{event.pk}/change/", {"actor_name": "x"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"actor_name": "x", "action": "auth.login"}).status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(base, {"action": "delete_selected", "post": "yes", "_selected_action": [event.pk]})
    assert bulk.status_code in (200, 302)  # "No action selected": the action is not offered
    assert AuditEvent.objects.filter(pk=event.pk, actor_name="root").exists()
    assert AuditEvent.objects.filter(action=Action.ADMIN_DELETE).count() == 0
