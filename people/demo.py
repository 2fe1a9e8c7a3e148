"""`manage.py demo` fills in the people directory: names for the runbook's roles and a rotation of the demo users."""

from django.contrib.auth import get_user_model

from people.models import Contact, Role, Rotation, RotationMember

# 555-01xx numbers are reserved for fiction; the handles match the runbook's.
NAMED_ROLES = {
    "Engineering Manager": ("Maya Iyer", "+1-555-0101", "maya@example.com", "Asia/Kolkata"),
    "CTO": ("Daniel Okafor", "+1-555-0102", "daniel@example.com", "America/New_York"),
    "DBA": ("Lena Fischer", "+1-555-0103", "lena@example.com", "Europe/Berlin"),
    "VP Engineering": ("Sofia Marquez", "+1-555-0104", "sofia@example.com", "America/Los_Angeles"),
}
ON_CALL = [  # demo username -> contact, in rotation order
    ("commander", "Priya Shah (commander)", "+1-555-0111", "@priya", "Asia/Kolkata"),
    ("responder", "Tom Becker (responder)", "+1-555-0112", "@tom", "Europe/London"),
    ("viewer", "Ana Costa (viewer)", "+1-555-0113", "@ana", "America/Sao_Paulo"),
]


def seed_people(stdout) -> None:
    filled = 0
    for role in Role.objects.filter(name__in=NAMED_ROLES).prefetch_related("holders"):
        name, phone, email, zone = NAMED_ROLES[role.name]
        for contact in role.holders.all():
            if contact.needs_filling_in:  # only the runbook's placeholders: never what an admin entered
                contact.name, contact.phone, contact.email, contact.time_zone = name, phone, email, zone
                contact.save(update_fields=["name", "phone", "email", "time_zone"])
                filled += 1

    rotation = Rotation.objects.filter(roles__name="On-Call Engineer").first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[row[0] for row in ON_CALL])}
    if rotation is None or rotation.members.exists() or not users:
        if filled:
            stdout.write(f"Filled in {filled} contacts.")
        return
    for position, (username, name, phone, slack, zone) in enumerate(ON_CALL, start=1):
        if username not in users:
            continue
        contact, _ = Contact.objects.get_or_create(
            user=users[username], defaults=dict(name=name, phone=phone, slack_handle=slack, time_zone=zone,
                                                email=f"{username}@example.com"))
        RotationMember.objects.create(rotation=rotation, contact=contact, position=position)
    stdout.write(f"Filled in {filled} contacts; {rotation.name} rotates between the demo users.")
