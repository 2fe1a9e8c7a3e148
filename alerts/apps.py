from django.apps import AppConfig

ALERT_ENTRY = "alert"  # the kind of every timeline entry alerts write


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self):
        from alerts import demo, panel
        from incidents.extensions import register_demo_seeder, register_entry_kind, register_panel

        register_panel("alerts/_panel.html", panel.context)
        register_entry_kind(ALERT_ENTRY, "Alert")
        register_demo_seeder(demo.seed_alerts)
