"""People fixtures: contacts and rotations built on the seeded directory, with a fixed clock where it matters."""

from datetime import UTC, date, datetime, time

import pytest

from people.models import Contact, Role, Rotation, RotationMember


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def make_contact(db):
    def make(name: str, **kwargs) -> Contact:
        kwargs.setdefault("phone", f"+1-555-01{len(name):02d}")
        kwargs.setdefault("slack_handle", f"@{name.lower()}")
        return Contact.objects.create(name=name, **kwargs)

    return make


@pytest.fixture
def make_rotation(db, make_contact):
    def make(name: str = "Platform", members=("Ada", "Ben", "Cy"), **kwargs) -> Rotation:
        kwargs = {"start_date": date(2026, 3, 2), "handoff_time": time(9, 0), "time_zone": "UTC", **kwargs}
        rotation = Rotation.objects.create(name=name, **kwargs)
        for position, member in enumerate(members, start=1):
            RotationMember.objects.create(rotation=rotation, position=position,
                                          contact=member if isinstance(member, Contact) else make_contact(member))
        return rotation

    return make


@pytest.fixture
def oncall_role(db) -> Role:
    return Role.objects.select_related("rotation").get(name="On-Call Engineer")


@pytest.fixture
def staffed(oncall_role, make_contact):
    """The seeded 'Primary on-call' rotation with three members, started long ago so someone is always on call."""
    rotation = oncall_role.rotation
    rotation.start_date = date(2020, 1, 6)
    rotation.save(update_fields=["start_date"])
    for position, name in enumerate(("Ada", "Ben", "Cy"), start=1):
        RotationMember.objects.create(rotation=rotation, position=position, contact=make_contact(name))
    return rotation
