"""docs/operations.md's backup and restore, done for real: data in every model of the apps that hold the record,
`pg_dump -Fc` of the test database, `pg_restore` into a new database, and every table's rows found there."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import timedelta

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit.models import Action, AuditEvent
from chat.models import Operation
from diagnostics.models import MemorySample, MemoryWatch, Run
from incidents.models import Entry, Incident
from mitigations.models import MaintenanceManifest, Mitigation, ScaleLimits
from people.models import CalendarToken, Contact, ContactChannels, Notification, Override, Rotation
from postmortems.models import ActionItem, PostMortem
from targets.models import Target
from warroom.models import Outbox

pytestmark = pytest.mark.django_db(transaction=True)

# Every model of these apps must have rows before the dump, so that the comparison covers all of them.
RECORD_APPS = ("incidents", "postmortems", "mitigations", "diagnostics", "people", "alerts", "targets", "chat",
               "status", "warroom", "audit")


def _the_rest(commander) -> None:
    """What `manage.py demo` leaves empty: work done on targets, notifications, Slack, the outbox."""
    incident = Incident.objects.order_by("pk").first()
    assert incident is not None
    now = timezone.now()
    k8s = Target.objects.create(name="shop-api", kind="kubernetes", deployment="shop-api")
    pg = Target.objects.create(name="shop-db", kind="postgres", url="postgres://app@db.internal:5432/shop")
    ScaleLimits.objects.create(target=k8s)
    MaintenanceManifest.objects.create(target=k8s, version=1, yaml="kind: ConfigMap\n")
    Mitigation.objects.create(incident=incident, action="scale", target=k8s, params={"replicas": 4},
                              params_digest="d1", requested_by=commander)
    Run.objects.create(incident=incident, check_name="postgres.connections", target=pg, params={},
                       requested_by=commander, status=Run.Status.SUCCEEDED, summary="42 of 100 connections")
    watch = MemoryWatch.objects.create(incident=incident, target=k8s, interval_seconds=15, duration_seconds=600,
                                       requested_by=commander)
    MemorySample.objects.create(watch=watch, at=now, pod="shop-api-7d9f-abcde", memory_bytes=512 * 2**20)
    contact = Contact.objects.order_by("pk").first()
    assert contact is not None
    Override.objects.create(rotation=Rotation.objects.get(), contact=contact, start=now, end=now + timedelta(hours=8))
    CalendarToken.objects.create(user=commander)
    ContactChannels.objects.create(contact=contact)
    Notification.objects.create(incident=incident, event="SEV2:L1", severity="SEV2", level=1, contact=contact,
                                channel="email")
    Operation.objects.create(incident=incident, kind="room", key="room")
    Outbox.objects.create(task="diagnostics.tasks.execute_run", args=[1], attempts=2, last_error="refused")


def _audited(client, commander) -> None:
    """Audit events made the way people make them: a sign-in through the login page and a change in the admin."""
    User.objects.create_superuser(username="root", password="root-password", email="root@example.com")
    assert client.post("/accounts/login/", {"username": "root", "password": "root-password"}).status_code == 302
    response = client.post(f"/admin/auth/user/{commander.pk}/change/",
                           {"username": commander.username, "first_name": "Casey", "last_name": "", "email": "",
                            "is_active": "on", "groups": list(commander.groups.values_list("pk", flat=True)),
                            "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-12-01",
                            "date_joined_1": "09:00:00"})
    assert response.status_code == 302, response.content[:2000]
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {Action.LOGIN, Action.ADMIN_CHANGE}


def _counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def _run(*command: str, env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"


def test_pg_dump_and_pg_restore_keep_every_row_of_every_table(settings, runbook, commander, client, tmp_path):
    settings.DEBUG = True  # demo refuses otherwise; it fills incidents, post-mortems, people, alerts and status
    call_command("demo", stdout=io.StringIO())
    _the_rest(commander)
    _audited(client, commander)
    empty = [f"{m._meta.label}" for label in RECORD_APPS for m in apps.get_app_config(label).get_models()
             if not m.objects.exists()]
    assert not empty, f"no rows to back up in {empty}"

    db = connection.settings_dict
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        before = _counts(cursor, tables)
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
           "PGUSER": db["USER"], "PGPASSWORD": db["PASSWORD"] or ""}
    restored = f"{db['NAME']}_restored"
    dump = tmp_path / "warroom.dump"
    _run("pg_dump", "--format=custom", "--file", str(dump), db["NAME"], env=env)
    _run("dropdb", "--if-exists", restored, env=env)
    _run("createdb", restored, env=env)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(dump), env=env)
        with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"],
                             dbname=restored, autocommit=True) as other, other.cursor() as cursor:
            assert _counts(cursor, tables) == before
            cursor.execute("SELECT title FROM incidents_incident ORDER BY id")
            assert [t for (t,) in cursor.fetchall()] == list(Incident.objects.order_by("pk").values_list("title",
                                                                                                       flat=True))
            cursor.execute("SELECT text, author_id FROM incidents_entry ORDER BY id")
            assert cursor.fetchall() == list(Entry.objects.order_by("pk").values_list("text", "author_id"))
            cursor.execute("SELECT summary FROM postmortems_postmortem ORDER BY id")
            assert [s for (s,) in cursor.fetchall()] == list(PostMortem.objects.order_by("pk").values_list(
                "summary", flat=True))
            cursor.execute("SELECT description, due_date FROM postmortems_actionitem ORDER BY id")
            assert cursor.fetchall() == list(ActionItem.objects.order_by("pk").values_list("description", "due_date"))
            cursor.execute("SELECT task, args, last_error FROM warroom_outbox ORDER BY id")
            assert cursor.fetchall() == list(Outbox.objects.order_by("pk").values_list("task", "args", "last_error"))
            assert ("diagnostics.tasks.execute_run", [1], "refused") in list(
                Outbox.objects.values_list("task", "args", "last_error"))
            audit_columns = ("at", "actor_id", "actor_name", "action", "target_type", "target_id", "target_repr",
                             "ip", "user_agent", "details")
            cursor.execute(f"SELECT {', '.join(audit_columns)} FROM audit_auditevent ORDER BY id")
            restored_audit = [(*row[:7], row[7] and str(row[7]), *row[8:]) for row in cursor.fetchall()]
            assert restored_audit == list(AuditEvent.objects.order_by("pk").values_list(*audit_columns))
            cursor.execute("SELECT actor_name, target_repr FROM audit_auditevent WHERE action = %s",
                           [Action.ADMIN_CHANGE])
            assert cursor.fetchall() == [("root", "commander")]
            # The sequences come back too: the next incident does not collide with a restored one.
            cursor.execute("SELECT nextval(pg_get_serial_sequence('incidents_incident', 'id'))")
            assert cursor.fetchone()[0] > Incident.objects.order_by("-pk").values_list("pk", flat=True)[0]
            # So does the timeline's append-only trigger.
            with pytest.raises(psycopg.Error, match="append-only"):
                cursor.execute("UPDATE incidents_entry SET text = 'rewritten'")
            # And the audit log's: neither rewritten nor deleted in the restored database.
            with pytest.raises(psycopg.Error, match="append-only"):
                cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone else'")
            with pytest.raises(psycopg.Error, match="append-only"):
                cursor.execute("DELETE FROM audit_auditevent")
    finally:
        _run("dropdb", "--if-exists", restored, env=env)
