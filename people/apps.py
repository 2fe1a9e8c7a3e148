from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and escalation"

    def ready(self):
        from incidents.extensions import register_contact_lookup, register_demo_seeder
        from people import contact_lookup, demo, hooks

        register_demo_seeder(demo.seed_people)
        register_contact_lookup(contact_lookup.role_holders)  # "who is the DBA now", for other apps' panels
        hooks.register()  # notifications: incident events, the timeline entry kind, the incident page's panel
