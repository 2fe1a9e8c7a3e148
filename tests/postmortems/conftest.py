"""A recorded incident, as the runbook would have it run, and post-mortems started from it."""

import pytest

from incidents import services as incidents
from incidents.models import Status
from postmortems import services
from tests.postmortems.reading_fixtures import make_postmortem  # noqa: F401  (reading: library, search, export)


@pytest.fixture
def recorded(commander, responder, sev):
    """Declared → acknowledged → investigating (a starred note, a plain one, checks, mitigations) → resolved."""
    incident = incidents.incident_declare(
        by=commander, title="Checkout API timing out", severity=sev["SEV2"], acknowledge=True,
        summary="p99 over 30 s on /api/checkout.", users_affected=12000, service_affected="bharatcart-api")
    incidents.incident_transition(incident=incident, to=Status.INVESTIGATING, by=commander)
    starred = incidents.timeline_note(incident=incident, by=responder, text="DB connections at 96% of max")
    incidents.timeline_note(incident=incident, by=responder, text="Looking at the dashboards")
    incidents.entry_star(entry=starred, by=responder)
    incidents.timeline_record(incident=incident, kind="check", by=responder, text="ran postgres.connections: critical",
                              data={"run": 1, "event": "finished", "status": "succeeded", "verdict": "critical"})
    incidents.timeline_record(incident=incident, kind="check", by=responder, text="ran redis.memory: ok",
                              data={"run": 2, "event": "finished", "status": "succeeded", "verdict": "ok"})
    incidents.incident_transition(incident=incident, to=Status.MITIGATING, by=commander)
    incidents.timeline_record(incident=incident, kind="mitigation", by=commander, text="Previewed scale to 8",
                              data={"mitigation": 1, "event": "preview"})
    incidents.timeline_record(incident=incident, kind="mitigation", by=None, text="Executed: scaled 4 → 8",
                              data={"mitigation": 1, "event": "executed"})
    incidents.timeline_record(incident=incident, kind="mitigation", by=None, text="Rollout complete",
                              data={"mitigation": 1, "event": "finished", "status": "succeeded"})
    incidents.timeline_record(incident=incident, kind="mitigation", by=None, text="Rollback failed",
                              data={"mitigation": 2, "event": "finished", "status": "failed"})
    incidents.incident_transition(incident=incident, to=Status.MONITORING, by=commander)
    return incidents.incident_transition(incident=incident, to=Status.RESOLVED, by=commander, reason="quiet")


@pytest.fixture
def postmortem(recorded, commander):
    return services.postmortem_start(incident=recorded, by=commander)[0]
