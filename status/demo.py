"""`manage.py demo` adds the public components and a public update on the open demo incident, so /status/
has something to show. Providers come from the migration; nothing here reads the internet."""

from django.contrib.auth.models import User

from incidents.models import Incident
from status import services
from status.models import Component, PublicIncident, PublicStatus

COMPONENTS = ["Checkout", "Search", "Accounts", "API"]


def seed_status(stdout) -> None:
    if Component.objects.exists():
        return
    components = [Component.objects.create(name=name, position=i) for i, name in enumerate(COMPONENTS, 1)]
    commander = User.objects.filter(username="commander").first()
    incident = Incident.objects.open().order_by("declared_at").first()
    if commander and incident and not PublicIncident.objects.filter(incident=incident).exists():
        services.status_update_post(incident=incident, by=commander, title="Slow checkout for some customers",
                                    body="Some payments take longer than usual. We are investigating.",
                                    impact="minor", status=PublicStatus.INVESTIGATING, components=components[:1])
    stdout.write(f"Created status page components {', '.join(COMPONENTS)} (see /status/).")
