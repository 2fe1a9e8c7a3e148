from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"

    def ready(self):
        from diagnostics import demo, panel
        from incidents.extensions import register_demo_seeder, register_panel

        register_panel("diagnostics/_panel.html", panel.context)
        register_demo_seeder(demo.seed_targets)
