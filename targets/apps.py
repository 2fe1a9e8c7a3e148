from django.apps import AppConfig


class TargetsConfig(AppConfig):
    """The systems Warroom looks at and acts on, and how to reach them: used by diagnostics and mitigations alike."""

    name = "targets"
