from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"

    def ready(self):
        from incidents.extensions import register_demo_seeder, register_entry_kind, register_panel

        # writing (h/pm-write): the Write post-mortem panel and its action items, the timeline lines it writes
        from postmortems import demo, panels, writing_panel
        from postmortems.services import POSTMORTEM_ENTRY

        register_panel("postmortems/_writing_panel.html", writing_panel.context)
        register_entry_kind(POSTMORTEM_ENTRY, "Post-mortem")
        register_demo_seeder(demo.seed_postmortem)

        # reading (h/pm-read): what happened last time, on an open incident's page
        register_panel("postmortems/_similar.html", panels.similar_context)
