from django.apps import AppConfig

STATUS_PAGE_ENTRY = "status_page"  # the timeline entry each public update writes


class StatusConfig(AppConfig):
    name = "status"
    verbose_name = "External services and status page"

    def ready(self):
        from incidents.extensions import (
            register_dashboard_panel,
            register_demo_seeder,
            register_entry_kind,
            register_panel,
        )
        from status import demo, panel, signals  # noqa: F401 - signals: component edits in the admin clear the cache

        register_panel("status/_panel.html", panel.context)
        register_dashboard_panel("status/_dashboard_panel.html", panel.dashboard_context)
        register_entry_kind(STATUS_PAGE_ENTRY, "Status page")
        register_demo_seeder(demo.seed_status)
