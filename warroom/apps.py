from django.apps import AppConfig


class WarroomConfig(AppConfig):
    """The project's own app: what every app shares that needs a table (the outbox of work for the workers)."""

    name = "warroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from warroom.redact import install_log_redaction

        install_log_redaction()  # before any secret can reach a log record (warroom/redact.py)

        from django.contrib.auth.signals import user_logged_in

        from warroom.middleware import session_seen_at_login

        user_logged_in.connect(session_seen_at_login, dispatch_uid="warroom-session-seen-at-login")
