from django.apps import AppConfig

MITIGATION_ENTRY = "mitigation"  # the kind of every timeline entry mitigations write


class MitigationsConfig(AppConfig):
    name = "mitigations"

    def ready(self):
        from incidents.extensions import register_entry_kind, register_panel
        from mitigations import panel

        register_panel("mitigations/_panel.html", panel.context)
        register_entry_kind(MITIGATION_ENTRY, "Mitigation")
