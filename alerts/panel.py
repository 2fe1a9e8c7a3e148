"""The alerts section of the incident page (registered with incidents.extensions): what monitoring said."""

from alerts import selectors


def context(request, incident) -> dict:
    alerts, total, firing = selectors.alerts_for_incident(incident.pk)
    return {"alerts": alerts, "alerts_total": total, "alerts_firing": firing,
            "all_resolved": total > 0 and firing == 0}
