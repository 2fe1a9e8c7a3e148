from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"

    def ready(self):
        from incidents.extensions import register_panel
        from postmortems import panels

        # reading (h/pm-read): what happened last time, on an open incident's page
        register_panel("postmortems/_similar.html", panels.similar_context)
