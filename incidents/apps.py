from django.apps import AppConfig
from django.core import signals


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import live

        signals.request_started.connect(live.request_started, dispatch_uid="warroom-live-request-started")
        signals.request_finished.connect(live.request_finished, dispatch_uid="warroom-live-request-finished")
