"""`manage.py demo`: one resolved incident with a published post-mortem and its action items (one overdue)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import services as incidents
from incidents.models import Entry, Incident, Severity, Source, Status
from postmortems import services
from postmortems.models import PostMortem

TITLE = "Payments failing after connection pool change"


def seed_postmortem(stdout) -> None:
    if PostMortem.objects.exists() or Incident.objects.filter(title=TITLE).exists():
        return
    User = get_user_model()
    commander = User.objects.filter(username="commander").first()
    responder = User.objects.filter(username="responder").first()
    if commander is None or responder is None:
        return
    incident = incidents.incident_declare(
        by=commander, title=TITLE, severity=Severity.objects.get(name="SEV2"), acknowledge=True,
        summary="Card payments failed for 40 minutes after the pool size of payments-api was lowered.",
        source=Source.MONITORING_ALERT, users_affected=3400, service_affected="payments-api")
    incident = incidents.incident_transition(incident=incident, to=Status.INVESTIGATING, by=commander)
    note = incidents.timeline_note(incident=incident, by=responder,
                                   text="payments-api logs: 'pool exhausted' since the 09:10 config deploy.")
    incidents.entry_star(entry=note, by=responder)
    for step in (Status.MITIGATING, Status.MONITORING):
        incident = incidents.incident_transition(incident=incident, to=step, by=commander)
    incident = incidents.incident_transition(incident=incident, to=Status.RESOLVED, by=commander,
                                             reason="Demo: error rate back to baseline")
    postmortem, _ = services.postmortem_start(incident=incident, by=commander)
    services.postmortem_update(postmortem=postmortem, by=commander, changes={
        "revenue_impact": "$8,000 (estimate)",
        "impact": "Card payments failed for about **40 minutes**; wallet payments were not affected.",
        "root_cause": "A config change lowered `DB_POOL_SIZE` from 50 to 5; peak traffic exhausted the pool.",
        "resolution": "Rolled the config back and restarted `payments-api`.",
        "lessons_learned": "### What went well\n\n- The alert fired within 2 minutes.\n\n"
                           "### What could be improved\n\n- Config changes skipped review.\n",
    })
    today = timezone.localdate()
    services.action_item_add(postmortem=postmortem, by=commander, owner=responder,
                             description="Alert on connection pool saturation above 80%",
                             due_date=today - dt.timedelta(days=3))
    services.action_item_add(postmortem=postmortem, by=commander, owner=commander,
                             description="Require review for payments-api config changes",
                             due_date=today + dt.timedelta(days=14), ticket_url="https://tickets.example/OPS-42")
    services.postmortem_submit(postmortem=postmortem, by=commander)
    services.postmortem_publish(postmortem=postmortem, by=commander)
    starred = Entry.objects.filter(incident=incident, star__isnull=False).count()
    stdout.write(f"Created a published post-mortem for #{incident.pk} ({starred} starred line, 2 action items, "
                 "one overdue).")
