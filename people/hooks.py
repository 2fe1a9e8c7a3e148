"""Notifications plug into incidents here (called from PeopleConfig.ready()): the incident events that drive the
escalation, the timeline entry kind they write, the incident page's panel and the admin's pages."""

from incidents.extensions import Event, IncidentEvent, register_entry_kind, register_listener, register_panel


def _escalate(event: IncidentEvent) -> None:
    """Who to tell, decided after the commit. A person's change decides here, so that the page they are looking at
    shows who was told; a machine's (an alert's webhook, by nobody) is answered at once and a worker decides."""
    if event.by_id is None:
        from django.conf import settings

        from people.tasks import escalate_incident
        from warroom.outbox import enqueue

        enqueue(escalate_incident, [event.incident_id, event.at.isoformat()], queue=settings.NOTIFY_QUEUE)
        return
    from people.escalation import escalation_run

    escalation_run(incident_id=event.incident_id, now=event.at)


def _stop(event: IncidentEvent) -> None:
    from people.escalation import escalation_stop

    escalation_stop(incident_id=event.incident_id, event=event.event, now=event.at)


def register() -> None:
    from people import notifications_admin, notifications_panel
    from people.notifications import NOTIFICATION_ENTRY

    notifications_admin.register()
    register_entry_kind(NOTIFICATION_ENTRY, "Notification")
    register_panel("people/_notifications_panel.html", notifications_panel.context)
    register_listener(Event.DECLARED, _escalate)
    register_listener(Event.SEVERITY_CHANGED, _escalate)
    register_listener(Event.ACKNOWLEDGED, _stop)
    register_listener(Event.RESOLVED, _stop)
