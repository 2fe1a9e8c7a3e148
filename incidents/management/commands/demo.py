"""Development data: demo users (passwords printed once, when created) and a few sample incidents."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents import services
from incidents.extensions import DEMO_SEEDERS
from incidents.models import Incident, Severity, Source, Status

USERS = [
    ("admin", None, "superuser: edits severities in /admin/"),
    ("commander", "commander", "declares and runs incidents"),
    ("responder", "responder", "reads and adds notes"),
    ("viewer", "viewer", "reads"),
]


class Command(BaseCommand):
    help = "Create demo users and sample incidents (development only; refuses when DEBUG is off)."

    def add_arguments(self, parser):
        parser.add_argument("--reset-passwords", action="store_true", help="Give the demo users new passwords")

    def handle(self, *args, reset_passwords=False, **options):
        if not settings.DEBUG:
            raise CommandError("demo creates users with known passwords: it runs only with DEBUG=true.")
        with transaction.atomic():
            created = self._users(reset_passwords)
            incidents = self._incidents()
        if created:
            self.stdout.write(self.style.WARNING("Demo users (shown once; development only):"))
            for username, password, what in created:
                self.stdout.write(f"  {username:<10} {password:<16} {what}")
        else:
            self.stdout.write("Demo users exist already; `make demo-passwords` gives them new ones.")
        if incidents:
            self.stdout.write(f"Created {incidents} sample incidents.")
        for seeder in DEMO_SEEDERS:
            seeder(self.stdout)

    def _users(self, reset: bool) -> list[tuple[str, str, str]]:
        User = get_user_model()
        created = []
        for username, group, what in USERS:
            user, new = User.objects.get_or_create(username=username)
            if new or reset:
                password = secrets.token_urlsafe(9)
                user.set_password(password)
                user.is_staff = user.is_superuser = group is None
                user.save()
                created.append((username, password, what))
            if group:
                user.groups.add(Group.objects.get(name=group))
        return created

    def _incidents(self) -> int:
        if Incident.objects.exists():
            return 0
        User = get_user_model()
        commander = User.objects.get(username="commander")
        responder = User.objects.get(username="responder")
        sev = {s.name: s for s in Severity.objects.all()}

        api_down = services.incident_declare(
            by=commander, title="Checkout API timing out", severity=sev["SEV1"], acknowledge=True,
            summary="p99 latency over 30 s on /api/checkout since the 14:02 deploy.",
            source=Source.MONITORING_ALERT, users_affected=12000, service_affected="bharatcart-api")
        services.incident_transition(incident=api_down, to=Status.INVESTIGATING, by=commander)
        services.timeline_note(incident=api_down, by=responder, text="DB connections at 96% of max_connections.")

        services.incident_declare(
            by=commander, title="Login broken for SSO users", severity=sev["SEV2"],
            source=Source.USER_REPORT, service_affected="auth")

        emails = services.incident_declare(
            by=commander, title="Order confirmation emails delayed", severity=sev["SEV3"], acknowledge=True,
            source=Source.INTERNAL_DISCOVERY, service_affected="sendgrid")
        for step in (Status.INVESTIGATING, Status.MITIGATING, Status.MONITORING):
            services.incident_transition(incident=emails, to=step, by=commander)

        glitch = services.incident_declare(
            by=commander, title="Misaligned footer on mobile", severity=sev["SEV4"], acknowledge=True)
        for step in (Status.INVESTIGATING, Status.MITIGATING, Status.MONITORING):
            services.incident_transition(incident=glitch, to=step, by=commander)
        services.incident_transition(incident=glitch, to=Status.RESOLVED, by=commander,
                                     reason="Cosmetic; verified fixed on staging and production.")
        return 4
