from django.apps import AppConfig

CHECK_ENTRY = "check"  # the kind of the timeline entries a finished run writes


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"

    def ready(self):
        from diagnostics import demo, panel
        from incidents.extensions import register_demo_seeder, register_entry_kind, register_panel

        register_panel("diagnostics/_panel.html", panel.context)
        register_demo_seeder(demo.seed_targets)
        register_entry_kind(CHECK_ENTRY, "Check")
