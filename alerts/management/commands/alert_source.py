"""`manage.py alert_source NAME [--rotate]`: create a source (or replace its token) and print the token once."""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alerts import services
from alerts.models import AlertSource
from audit.models import Action
from audit.services import record


class Command(BaseCommand):
    help = "Create an alert source and print its new token (once: only its hash is kept). --rotate replaces it."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--rotate", action="store_true", help="Replace the token of an existing source")

    @transaction.atomic
    def handle(self, *args, name: str, rotate: bool, **options):
        """A new token is a new secret: the audit log says who made it, as the admin's "rotate token" does."""
        who = f"{getpass.getuser()} (manage.py alert_source)"
        source = AlertSource.objects.filter(name=name).first()
        if rotate:
            if source is None:
                raise CommandError(f"There is no source called {name!r}; leave out --rotate to create it.")
            token = services.source_rotate_token(source=source, by=None)
            record(Action.ALERT_SOURCE_ROTATE, by=None, target=source, actor_name=who)
        else:
            if source is not None:
                raise CommandError(f"Source {name!r} exists; --rotate replaces its token.")
            try:
                source, token = services.source_create(name=name, by=None)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            record(Action.ALERT_SOURCE_CREATE, by=None, target=source, actor_name=who)
        self.stderr.write(f"Token for {source.name} (shown once; only its hash is kept):")
        self.stdout.write(token)  # alone on stdout, for scripts: TOKEN=$(manage.py alert_source am)
