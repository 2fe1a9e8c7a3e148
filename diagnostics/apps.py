from django.apps import AppConfig

CHECK_ENTRY = "check"  # the kind of the timeline entries a finished run writes
WATCH_ENTRY = "memory_watch"  # a memory watch started or ended


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"

    def ready(self):
        from diagnostics import demo, panel
        from incidents.extensions import (
            Event,
            register_demo_seeder,
            register_entry_kind,
            register_listener,
            register_panel,
        )

        register_panel("diagnostics/_panel.html", panel.context)
        register_demo_seeder(demo.seed_targets)
        register_entry_kind(CHECK_ENTRY, "Check")
        register_entry_kind(WATCH_ENTRY, "Memory watch")
        register_listener(Event.RESOLVED, end_watches_on_resolve)


def end_watches_on_resolve(event) -> None:
    """An incident resolved: its memory watches end now, not at their next sample."""
    from diagnostics.watches import watches_end_for_incident

    watches_end_for_incident(incident_id=event.incident_id, now=event.at)
