"""Timeline entries are append-only in the database itself, not only in Entry.save()."""

import importlib
import sqlite3

import pytest
from django.db import IntegrityError, connection, transaction

from incidents.models import Entry

pytestmark = pytest.mark.django_db

migration = importlib.import_module("incidents.migrations.0005_entry_append_only")


@pytest.fixture
def entry(make_incident):
    return make_incident().entries.get()


def test_save_refuses_to_edit_an_entry(entry):
    entry.text = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


@pytest.mark.parametrize("write", [
    lambda e: Entry.objects.filter(pk=e.pk).update(text="rewritten"),
    lambda e: Entry.objects.filter(pk=e.pk).delete(),
    lambda e: connection.cursor().execute("UPDATE incidents_entry SET text = 'x' WHERE id = %s", [e.pk]),
    lambda e: connection.cursor().execute("DELETE FROM incidents_entry WHERE id = %s", [e.pk]),
], ids=["queryset update", "queryset delete", "raw update", "raw delete"])
def test_postgresql_refuses_updates_and_deletes(entry, write):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        write(entry)
    assert Entry.objects.get(pk=entry.pk).text == entry.text


def test_new_entries_are_still_written(entry):
    Entry.objects.create(incident=entry.incident, kind=Entry.Kind.NOTE, text="another")
    assert entry.incident.entries.count() == 2


def test_sqlite_triggers_refuse_updates_and_deletes():
    """`make run` keeps its data in SQLite: the same rule holds there."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE incidents_entry (id INTEGER PRIMARY KEY, text TEXT)")
    for sql in migration.SQLITE:
        db.execute(sql)
    db.execute("INSERT INTO incidents_entry (text) VALUES ('declared')")
    for sql in ("UPDATE incidents_entry SET text = 'x'", "DELETE FROM incidents_entry"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert db.execute("SELECT text FROM incidents_entry").fetchall() == [("declared",)]
