"""`manage.py alert_source NAME [--rotate]`: create a source (or replace its token) and print the token once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts import services
from alerts.models import AlertSource


class Command(BaseCommand):
    help = "Create an alert source and print its new token (once: only its hash is kept). --rotate replaces it."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--rotate", action="store_true", help="Replace the token of an existing source")

    def handle(self, *args, name: str, rotate: bool, **options):
        source = AlertSource.objects.filter(name=name).first()
        if rotate:
            if source is None:
                raise CommandError(f"There is no source called {name!r}; leave out --rotate to create it.")
            token = services.source_rotate_token(source=source, by=None)
        else:
            if source is not None:
                raise CommandError(f"Source {name!r} exists; --rotate replaces its token.")
            try:
                source, token = services.source_create(name=name, by=None)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"Token for {source.name} (shown once; only its hash is kept):")
        self.stdout.write(token)  # alone on stdout, for scripts: TOKEN=$(manage.py alert_source am)
