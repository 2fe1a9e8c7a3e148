from django.apps import AppConfig


class MitigationsConfig(AppConfig):
    name = "mitigations"

    def ready(self):
        from incidents.extensions import register_panel
        from mitigations import panel

        register_panel("mitigations/_panel.html", panel.context)
