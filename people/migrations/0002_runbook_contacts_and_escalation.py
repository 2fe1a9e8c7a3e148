"""Seed the runbook's contacts table (placeholders for an admin to fill in) and each severity's escalation policy."""

import datetime

from django.db import migrations

# Role name -> (kind, the runbook's name, phone, Slack). "Rotating" is not a person: the role follows a rotation.
ROLES = [
    ("On-Call Engineer", "rotation", "Rotating", "+1-XXX", "@oncall"),
    ("Engineering Manager", "fixed", "Name", "+1-XXX", "@manager"),
    ("CTO", "fixed", "Name", "+1-XXX", "@cto"),
    ("DBA", "fixed", "Name", "+1-XXX", "@dba"),
    # Named by SEV1's escalation though missing from the runbook's contacts table.
    ("VP Engineering", "fixed", "Name", "+1-XXX", "@vp-engineering"),
]
ROTATION = dict(name="Primary on-call", length=1, length_unit="weeks", handoff_time=datetime.time(9, 0),
                time_zone="UTC", start_date=datetime.date(2026, 1, 5))

_MIN = datetime.timedelta(minutes=1)
# Severity -> levels: (roles, after, repeat every, max repeats, next business day, how).
POLICIES = {
    "SEV1": ("Immediate: the CTO and VP Engineering are told with the on-call engineer.", [
        (["On-Call Engineer", "CTO", "VP Engineering"], 0 * _MIN, 5 * _MIN, 3, False,
         "Phone call and Slack; again every 5 minutes until acknowledged"),
    ]),
    "SEV2": ("The Engineering Manager within 15 minutes.", [
        (["On-Call Engineer"], 0 * _MIN, 5 * _MIN, 2, False, "Phone call and Slack"),
        (["Engineering Manager"], 15 * _MIN, None, 0, False, "Phone call and Slack"),
    ]),
    "SEV3": ("The on-call engineer, within 2 hours.", [
        (["On-Call Engineer"], 0 * _MIN, 30 * _MIN, 3, False, "Slack, then a phone call"),
    ]),
    "SEV4": ("The on-call engineer, next business day.", [
        (["On-Call Engineer"], 0 * _MIN, None, 0, True, "Slack and email, next business day"),
    ]),
}


def seed(apps, schema_editor):
    Contact = apps.get_model("people", "Contact")
    Role = apps.get_model("people", "Role")
    Rotation = apps.get_model("people", "Rotation")
    Severity = apps.get_model("incidents", "Severity")
    EscalationPolicy = apps.get_model("people", "EscalationPolicy")
    EscalationLevel = apps.get_model("people", "EscalationLevel")

    rotation, _ = Rotation.objects.get_or_create(name=ROTATION["name"], defaults=ROTATION)
    roles = {}
    for position, (name, kind, person, phone, slack) in enumerate(ROLES, start=1):
        if kind == "rotation":
            roles[name], _ = Role.objects.get_or_create(
                name=name, defaults=dict(position=position, kind=kind, rotation=rotation, phone=phone,
                                         slack_handle=slack))
            continue
        roles[name], created = Role.objects.get_or_create(name=name, defaults=dict(position=position, kind=kind))
        if created:
            roles[name].holders.add(Contact.objects.create(name=person, phone=phone, slack_handle=slack))

    for severity in Severity.objects.filter(name__in=POLICIES):
        note, levels = POLICIES[severity.name]
        policy, created = EscalationPolicy.objects.get_or_create(severity=severity, defaults=dict(note=note))
        if not created:
            continue
        for number, (names, after, every, repeats, business_day, how) in enumerate(levels, start=1):
            level = EscalationLevel.objects.create(policy=policy, number=number, after=after, repeat_every=every,
                                                   max_repeats=repeats, next_business_day=business_day, how=how)
            level.roles.add(*(roles[n] for n in names))


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial"), ("incidents", "0002_runbook_severities_and_groups")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
