"""The runbook's Slack announcement (Communication, step 3), filled in from the incident."""

from incidents.models import Incident


def announcement_text(incident: Incident) -> str:
    what = incident.title + (f" — {incident.summary.splitlines()[0]}" if incident.summary.strip() else "")
    if incident.users_affected is not None:
        impact = f"{incident.users_affected:,} users affected"
    else:
        impact = "Users affected: unknown"
    if incident.service_affected:
        impact += f" ({incident.service_affected})"
    commander = f"@{incident.commander.get_username()}" if incident.commander else "unassigned"
    return "\n".join([
        f"**[{incident.severity.name}] Production Incident**",
        f"- **What**: {what}",
        f"- **Impact**: {impact}",
        f"- **Status**: {incident.get_status_display()}",
        f"- **Incident Commander**: {commander}",
        f"- **War Room**: {incident.war_room}",
    ])
