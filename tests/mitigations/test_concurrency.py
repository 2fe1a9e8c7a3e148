"""Two commanders (or a commander and a worker) at the same moment, on the real PostgreSQL: one action per
deployment, run once; a cancel and a claim never both win; no row lock is held across a call to the cluster."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mitigations import services
from mitigations.models import Mitigation
from tests.workers import poll

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def settled() -> bool:
    """The queued one really runs on the session's worker; wait for it before the cluster goes away."""
    return not Mitigation.objects.filter(status__in=["queued", "running"]).exists()


def _confirm(mitigation, user):
    try:
        services.mitigation_confirm(mitigation=mitigation, by=user, confirm="bharatcart-api")
        return "queued"
    except services.MitigationError:
        return "refused"
    finally:
        connection.close()


def test_a_double_click_queues_once(celery_worker, cluster, k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _confirm(mitigation, commander), range(4)))
    assert sorted(outcomes) == ["queued", "refused", "refused", "refused"]
    assert incident.entries.filter(data__event="confirmed").count() == 1
    poll(settled, what="the mitigation to finish")
    assert Mitigation.objects.get().status == "succeeded"


def test_two_actions_on_one_deployment_at_once_one_is_refused(celery_worker, cluster, k8s_target, make_incident,
                                                              commander, second_commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    first, second = (services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                                 params={"replicas": n}, by=commander) for n in (5, 8))
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(_confirm, [first, second], [commander, second_commander]))
    assert outcomes == ["queued", "refused"]
    assert Mitigation.objects.exclude(status="previewed").count() == 1
    poll(settled, what="the mitigation to finish")
    assert Mitigation.objects.filter(status="succeeded").count() == 1


# --- cancel against a worker's claim ------------------------------------------------------------------------------

def _claim(mitigation, start: threading.Barrier) -> bool:
    start.wait()
    try:
        return services.mitigation_claim(mitigation.pk)
    finally:
        connection.close()


def _cancel(mitigation, start: threading.Barrier, by) -> bool:
    start.wait()
    try:
        services.mitigation_cancel(mitigation=mitigation, by=by)
        return True
    except services.MitigationError:
        return False
    finally:
        connection.close()


def test_a_cancel_and_a_workers_claim_at_once_exactly_one_wins(k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    for attempt in range(10):
        # confirmed, its message not yet taken: written directly so that no worker of the session picks it up
        mitigation = Mitigation.objects.create(
            incident=incident, action="kubernetes.scale", target=k8s_target, params={"replicas": 5},
            params_digest="-", requested_by=commander, status=Mitigation.Status.QUEUED, lock_key=f"race-{attempt}",
            confirmed_by=commander, confirmed_at=timezone.now())
        start = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            claimed = pool.submit(_claim, mitigation, start)
            cancelled = pool.submit(_cancel, mitigation, start, commander)
            claimed, cancelled = claimed.result(), cancelled.result()
        assert claimed != cancelled, f"attempt {attempt}: claimed={claimed} cancelled={cancelled}"
        status = Mitigation.objects.get(pk=mitigation.pk).status
        assert status == (Mitigation.Status.RUNNING if claimed else Mitigation.Status.CANCELLED)
    assert incident.entries.filter(data__event="cancelled").count() == Mitigation.objects.filter(
        status=Mitigation.Status.CANCELLED).count()


# --- a new preview holds no row lock while it waits for the Kubernetes API ----------------------------------------

@pytest.fixture
def undo(cluster, k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    yield mitigation
    cluster.on_dry_run(None)


def test_changing_params_holds_no_row_lock_during_the_dry_run(cluster, undo, commander):
    seen = []

    def try_to_lock(request):
        try:
            with transaction.atomic():
                Mitigation.objects.select_for_update(nowait=True).get(pk=undo.pk)
            seen.append("free")
        except DatabaseError:
            seen.append("locked")
        finally:
            connection.close()

    cluster.on_dry_run(try_to_lock)
    changed = services.mitigation_change_params(mitigation=undo, params={"to_revision": 9}, by=commander)
    assert seen == ["free"]
    assert changed.params == {"to_revision": 9}


def test_a_cancel_during_the_dry_run_wins_and_the_new_params_are_not_saved(cluster, undo, commander,
                                                                           second_commander):
    def cancel_meanwhile(request):
        try:
            services.mitigation_cancel(mitigation=Mitigation.objects.get(pk=undo.pk), by=second_commander)
        finally:
            connection.close()

    cluster.on_dry_run(cancel_meanwhile)
    with pytest.raises(services.MitigationError, match="It is cancelled; start a new one instead"):
        services.mitigation_change_params(mitigation=undo, params={"to_revision": 9}, by=commander)
    current = Mitigation.objects.get(pk=undo.pk)
    assert current.status == Mitigation.Status.CANCELLED and current.params == {"to_revision": None}


def test_someone_elses_change_during_the_dry_run_is_not_overwritten(cluster, undo, commander, second_commander):
    calls = []

    def change_meanwhile(request):
        calls.append(request)
        if len(calls) > 1:
            return  # the other commander's own dry run
        try:
            services.mitigation_change_params(mitigation=undo, params={"to_revision": 8}, by=second_commander)
        finally:
            connection.close()

    cluster.on_dry_run(change_meanwhile)
    with pytest.raises(services.MitigationError, match="Someone else changed the parameters meanwhile"):
        services.mitigation_change_params(mitigation=undo, params={"to_revision": 9}, by=commander)
    assert Mitigation.objects.get(pk=undo.pk).params == {"to_revision": 8}
    assert len(calls) == 2
