"""Two people acting at the same moment, on the real PostgreSQL: row locks keep the rules."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from incidents import services
from incidents.models import Entry, Incident

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()
    return run


def test_simultaneous_declarations_get_distinct_war_rooms(commander, sev):
    declare = _in_thread(lambda n: services.incident_declare(by=commander, title=f"Outage {n}",
                                                             severity=sev["SEV2"]).war_room)
    with ThreadPoolExecutor(max_workers=6) as pool:
        rooms = list(pool.map(declare, range(6)))
    assert len(set(rooms)) == 6
    base = min(rooms, key=len)
    assert sorted(rooms) == sorted([base] + [f"{base}-{n}" for n in range(2, 7)])


def test_two_commanders_acknowledging_at_once_acknowledge_once(commander, second_commander, make_incident):
    incident = make_incident(severity="SEV2")

    @_in_thread
    def acknowledge(user):
        try:
            services.incident_acknowledge(incident=Incident.objects.get(pk=incident.pk), by=user)
            return "ok"
        except services.TransitionError:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(acknowledge, [commander, second_commander]))
    assert outcomes == ["ok", "refused"]
    assert Entry.objects.filter(incident=incident, kind=Entry.Kind.ACKNOWLEDGED).count() == 1
