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


# --- issue 15: two commanders at the same moment, and a hundred notes at once, through the API and the pages --------

def _held(incident, *requests):
    """Run the requests in threads while this test holds the incident's row lock, release it once every one of them
    waits on it (so all of them decided on the same state), and return their responses in order."""
    from django.db import transaction

    from tests.workers import poll

    def waiting() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is read once per transaction otherwise
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0]

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        with transaction.atomic():
            Incident.objects.select_for_update().get(pk=incident.pk)
            futures = [pool.submit(_in_thread(request)) for request in requests]
            poll(lambda: waiting() == len(requests), timeout=10, what="every request waiting on the incident")
        return [future.result(timeout=20) for future in futures]


def test_two_commanders_moving_different_ways_at_once_one_wins_the_other_gets_a_409(
        api, commander, second_commander, make_incident):
    incident = make_incident(severity="SEV2", status="mitigating")
    version = Incident.objects.get(pk=incident.pk).version
    url = f"/api/incidents/{incident.pk}/transition/"
    fixed = lambda: api(commander).post(url, {"status": "monitoring", "expected_status": "mitigating"},  # noqa: E731
                                        format="json")
    failed = lambda: api(second_commander).post(  # noqa: E731
        url, {"status": "investigating", "reason": "errors again", "expected_status": "mitigating"}, format="json")

    responses = _held(incident, fixed, failed)

    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json()["status"]
    refusal = next(r for r in responses if r.status_code == 409).json()["detail"]
    assert refusal.startswith(f"Someone moved it first: it is {winner} now (moved by @")
    assert refusal.endswith("not mitigating. Nothing was changed; look again and choose.")
    incident.refresh_from_db()
    assert incident.status == winner and incident.version == version + 1
    moves = Entry.objects.filter(incident=incident, kind=Entry.Kind.STATUS, data__from="mitigating")
    assert [e.data["to"] for e in moves] == [winner]


def test_without_the_status_it_saw_a_later_move_still_applies_from_where_the_incident_is(
        api, commander, make_incident):
    """The API's old contract stands: no expected_status, no check (monitoring → investigating is a legal move)."""
    incident = make_incident(severity="SEV2", status="monitoring")
    url = f"/api/incidents/{incident.pk}/transition/"
    assert api(commander).post(url, {"status": "investigating"}, format="json").status_code == 200
    stale = api(commander).post(url, {"status": "mitigating", "expected_status": "monitoring"}, format="json")
    assert stale.status_code == 409 and "it is investigating now" in stale.json()["detail"]
    assert api(commander).post(url, {"status": "mitigating", "expected_status": "investigating"},
                               format="json").status_code == 200


def test_two_commanders_pressing_the_same_button_at_once_one_moves_it_the_other_is_told_on_the_page(
        commander, second_commander, make_incident):
    from django.test import Client

    incident = make_incident(severity="SEV2", status="investigating")
    pages = []
    for user in (commander, second_commander):
        page = Client()
        page.force_login(user)
        pages.append(page)
    press = [lambda page=page: page.post(f"/incidents/{incident.pk}/transition/",
                                         {"status": "mitigating", "expected_status": "investigating"})
             for page in pages]

    responses = _held(incident, *press)

    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409).content.decode()
    assert '<p class="error-box" role="alert">Already mitigating: moved by @' in refused
    assert "Nothing was changed." in refused
    assert Entry.objects.filter(incident=incident, kind=Entry.Kind.STATUS, data__to="mitigating").count() == 1


def test_the_same_move_twice_without_the_status_it_saw_says_it_is_already_done(api, commander, make_incident):
    incident = make_incident(severity="SEV2", status="investigating")
    url = f"/api/incidents/{incident.pk}/transition/"
    assert api(commander).post(url, {"status": "mitigating"}, format="json").status_code == 200
    again = api(commander).post(url, {"status": "mitigating"}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("Already mitigating: moved by @commander at ")


def test_a_hundred_notes_at_once_are_a_hundred_entries_in_order_and_a_hundred_versions(
        api, commander, responder, make_incident):
    incident = make_incident(severity="SEV2", acknowledge=True)
    version = Incident.objects.get(pk=incident.pk).version
    url = f"/api/incidents/{incident.pk}/timeline/"

    @_in_thread
    def note(n: int) -> int:
        return api(responder if n % 2 else commander).post(url, {"text": f"note {n:03}"}, format="json").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(note, range(100)))

    assert codes == [201] * 100
    notes = list(Entry.objects.filter(incident=incident, kind=Entry.Kind.NOTE).order_by("pk"))
    assert sorted(e.text for e in notes) == [f"note {n:03}" for n in range(100)]
    assert [e.created_at for e in notes] == sorted(e.created_at for e in notes)  # written in the order they commit
    assert len({e.created_at for e in notes}) == 100
    assert Incident.objects.get(pk=incident.pk).version == version + 100
    listed = [e["text"] for e in api(commander).get(url).json()["results"] if e["kind"] == Entry.Kind.NOTE]
    assert listed and listed == [e.text for e in notes][:len(listed)]  # the API reads them in the same order
