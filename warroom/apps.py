from django.apps import AppConfig


class WarroomConfig(AppConfig):
    """The project's own app: what every app shares that needs a table (the outbox of work for the workers)."""

    name = "warroom"
    default_auto_field = "django.db.models.BigAutoField"
