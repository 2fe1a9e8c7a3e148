from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Slack war room"

    def ready(self):
        from chat import hooks

        hooks.register()  # incident events, the timeline entry kind, the note option, the incident page's panel
