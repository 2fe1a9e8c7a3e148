"""People: the contacts directory, on-call rotations and escalation policies (directory.py)."""

from people.models.directory import (  # noqa: F401 - the app's models, importable from people.models
    CalendarToken,
    Contact,
    EscalationLevel,
    EscalationPolicy,
    Override,
    Role,
    Rotation,
    RotationMember,
)
from people.models.notifications import Channel, ContactChannels, Notification  # noqa: F401 (notifications)
