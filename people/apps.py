from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and escalation"

    def ready(self):
        from incidents.extensions import register_demo_seeder
        from people import demo, hooks

        register_demo_seeder(demo.seed_people)
        hooks.register()  # notifications: incident events, the timeline entry kind, the incident page's panel
