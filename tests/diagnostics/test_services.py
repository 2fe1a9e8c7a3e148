"""Requesting, claiming, executing and ending runs: the rules every caller gets."""

import datetime as dt

import pytest
from django.utils import timezone

from diagnostics import services
from diagnostics.apps import CHECK_ENTRY
from diagnostics.checks import ParamError, Result
from diagnostics.models import Run
from targets.models import Target
from tests.workers import messages_sent
from warroom.durations import human_seconds

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV2", acknowledge=True)


def test_request_writes_the_run_and_queues_it_on_commit_but_waits_for_the_end_to_tell_the_timeline(
        incident, pg_target, responder, django_capture_on_commit_callbacks):
    entries, version = incident.entries.count(), incident.version
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.run_request(incident=incident, check="postgres.connections", target="local-postgres",
                                   by=responder)
    assert len(callbacks) == 1  # the task is sent only once the run row is committed
    assert run.status == Run.Status.QUEUED and run.requested_by == responder
    incident.refresh_from_db()
    assert incident.entries.count() == entries  # one entry per check, written when it ends
    assert incident.version == version + 1  # but open pages refresh to show the queued run


@pytest.mark.parametrize(
    ("check", "target", "params", "message"),
    [
        ("postgres.nope", "local-postgres", {}, "Unknown check"),
        ("redis.memory", "local-postgres", {}, "runs on redis targets"),
        ("postgres.connections", "ghost", {}, "Unknown target"),
        ("postgres.connections", "local-postgres", {"bogus": 1}, "takes no parameter bogus"),
    ],
)
def test_bad_requests_are_refused_and_store_nothing(incident, pg_target, responder, check, target, params, message):
    entries = incident.entries.count()
    with pytest.raises(ParamError, match=message):
        services.run_request(incident=incident, check=check, target=target, params=params, by=responder)
    assert not Run.objects.exists() and incident.entries.count() == entries


def test_disabled_target_is_refused(incident, pg_target, responder):
    Target.objects.filter(pk=pg_target.pk).update(enabled=False)
    with pytest.raises(ParamError, match="disabled"):
        services.run_request(incident=incident, check="postgres.connections", target="local-postgres", by=responder)


def test_claim_happens_once(incident, pg_target, responder):
    run = services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    assert services.run_claim(run.pk) is True
    assert services.run_claim(run.pk) is False  # a redelivered message does nothing


def test_execute_records_the_result_on_the_run_and_one_entry_on_the_timeline(incident, pg_target, responder):
    entries = incident.entries.count()
    run = services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    services.run_claim(run.pk)
    run = services.run_execute(run.pk)
    assert run.status == Run.Status.SUCCEEDED and run.verdict in ("ok", "warn", "critical")
    assert run.columns and run.rows and run.started_at <= run.finished_at
    assert incident.entries.count() == entries + 1
    entry = incident.entries.latest("pk")
    assert entry.kind == CHECK_ENTRY and entry.author == responder
    assert entry.data == {"run": run.pk, "check": "postgres.connections", "target": "local-postgres",
                          "event": "finished", "status": "succeeded", "verdict": run.verdict}
    assert entry.text == (f"@responder ran postgres.connections on local-postgres: "
                          f"{run.get_verdict_display().lower()} — {run.summary} "
                          f"({human_seconds((run.finished_at - run.created_at).total_seconds())} after asking)")


def test_the_entry_reads_as_a_sentence_with_the_time_since_asking(incident, pg_target, responder):
    run = services.run_request(incident=incident, check="postgres.locks", target=pg_target, by=responder,
                               params={"critical_seconds": 5})
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(seconds=12))
    services.run_claim(run.pk)
    services.run_finish(run, status=Run.Status.SUCCEEDED, result=Result("critical", "3 sessions waiting"))
    text = incident.entries.latest("pk").text
    assert text == "@responder ran postgres.locks on local-postgres: critical — 3 sessions waiting (12 s after asking)"


def test_a_triage_adds_one_entry_per_check_by_the_person_who_asked(incident, pg_target, redis_target, responder):
    entries = incident.entries.count()
    runs = services.triage_start(incident=incident, by=responder)
    assert incident.entries.count() == entries
    for run in runs:
        services.run_claim(run.pk)
        services.run_execute(run.pk)
    added = list(incident.entries.filter(kind=CHECK_ENTRY))
    assert len(added) == len(runs) == incident.entries.count() - entries == 2
    assert {e.author for e in added} == {responder}
    assert sorted(e.data["run"] for e in added) == sorted(r.pk for r in runs)
    assert all(e.text.startswith("@responder ran ") and "{" not in e.text for e in added)


def test_a_down_target_ends_failed_with_a_clear_error(incident, down_pg_target, responder):
    run = services.run_request(incident=incident, check="postgres.connections", target=down_pg_target,
                               by=responder)
    services.run_claim(run.pk)
    run = services.run_execute(run.pk)
    assert run.status == Run.Status.FAILED and run.verdict == Run.Verdict.ERROR
    assert "127.0.0.1" in run.error


def test_errors_never_carry_the_secret(incident, responder, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_DIAG_PG_PASSWORD", "hunter2-very-secret")
    target = Target.objects.create(name="secret-pg", kind="postgres", url="postgres://nobody@127.0.0.1:5432/x",
                                   secret_env="WARROOM_TARGET_DIAG_PG_PASSWORD", timeout_seconds=2)
    run = services.run_request(incident=incident, check="postgres.connections", target=target, by=responder)
    services.run_claim(run.pk)
    run = services.run_execute(run.pk)
    assert run.status == Run.Status.FAILED
    stored = " ".join([run.error, run.summary, run.text, *incident.entries.values_list("text", flat=True)])
    assert "hunter2" not in stored


def test_finish_happens_once(incident, pg_target, responder):
    run = services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    services.run_claim(run.pk)
    services.run_finish(run, status=Run.Status.TIMED_OUT, error="late")
    again = services.run_finish(run, status=Run.Status.SUCCEEDED)
    assert again.status == Run.Status.TIMED_OUT
    assert incident.entries.filter(data__event="finished").count() == 1


def test_reaper_ends_lost_and_never_started_runs(incident, pg_target, responder, settings):
    lost = services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    services.run_claim(lost.pk)
    waiting = services.run_request(incident=incident, check="postgres.locks", target=pg_target, by=responder)
    fresh = services.run_request(incident=incident, check="postgres.active_queries", target=pg_target, by=responder)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Run.objects.filter(pk=lost.pk).update(started_at=long_ago)
    Run.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    messages_sent(long_ago)  # (for `fresh` too: its wait, a second old, is still to run)
    assert services.runs_reap() == 2
    lost.refresh_from_db()
    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == Run.Status.TIMED_OUT and "worker was lost" in lost.error
    assert waiting.status == Run.Status.FAILED and "is the Celery worker running?" in waiting.error
    assert fresh.status == Run.Status.QUEUED
    texts = {e.data["run"]: e.text for e in incident.entries.filter(kind=CHECK_ENTRY)}
    assert set(texts) == {lost.pk, waiting.pk}  # one entry each for the ended runs, none for the waiting one
    assert texts[lost.pk].startswith("@responder ran postgres.connections on local-postgres: timed out — No result")
    assert texts[waiting.pk].startswith("@responder ran postgres.locks on local-postgres: error — No worker picked")
    assert texts[waiting.pk].endswith("(1 h after asking)")


def test_triage_runs_each_step_on_every_fitting_target(incident, pg_target, redis_target, responder):
    runs = services.triage_start(incident=incident, by=responder)
    assert sorted((r.check_name, r.target.name) for r in runs) == [
        ("postgres.connections", "local-postgres"), ("redis.memory", "local-redis")]
    assert len({r.batch for r in runs}) == 1 and runs[0].batch.startswith("triage:")


def test_triage_without_targets_says_what_to_do(incident, responder):
    with pytest.raises(ParamError, match="add targets"):
        services.triage_start(incident=incident, by=responder)


def test_playbook_runs_its_checks(incident, pg_target, responder):
    playbook, runs = services.playbook_start(incident=incident, slug="db-pool-exhausted", by=responder)
    assert playbook.solution == "Increase max_connections or fix connection leaks."
    assert [r.check_name for r in runs] == ["postgres.connections", "postgres.active_queries"]
    with pytest.raises(ParamError, match="Unknown playbook"):
        services.playbook_start(incident=incident, slug="aliens", by=responder)


def test_target_never_shows_a_password():
    target = Target(kind="postgres", url="postgres://app:s3cret@db:5432/x")
    assert "s3cret" not in target.display_url and "****" in target.display_url
    with pytest.raises(Exception, match="password"):
        target.clean()
