"""Fill the bench database: 10,000 resolved incidents × 20 timeline entries, plus 20 open ones, and 2,000
post-mortems on the past ones (bench/seed_postmortems.py).

Run by bench/run.py as a child process with DATABASE_URL pointing at the bench
database and BENCH_PASSWORD set. It writes rows directly (bulk_create for
incidents, COPY for entries) because going through the services would take
minutes; each row is built the way the services would have written it, so the
pages render realistic data. Reseeds only when the counts are wrong, so reruns
are quick (BENCH_RESEED=1 forces a reseed). Prints one JSON line for run.py on stdout.
"""

import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAST = 10_000
PAST_ENTRIES = 20
OPEN_ENTRIES = 20
LONG_ENTRIES = 200  # the open incident the bench loads: a long-running SEV1
# (severity, status) of the open incidents; the first one gets the long timeline.
OPEN = [
    ("SEV1", "mitigating"), ("SEV4", "detected"), ("SEV4", "detected"),
    ("SEV2", "triage"), ("SEV3", "triage"), ("SEV3", "triage"),
    ("SEV1", "investigating"), ("SEV2", "investigating"), ("SEV3", "investigating"),
    ("SEV2", "investigating"), ("SEV3", "investigating"),
    ("SEV2", "mitigating"), ("SEV3", "mitigating"), ("SEV2", "mitigating"), ("SEV3", "mitigating"),
    ("SEV2", "monitoring"), ("SEV3", "monitoring"), ("SEV4", "monitoring"), ("SEV3", "monitoring"),
    ("SEV2", "monitoring"),
]
SEVERITY_WEIGHTS = {"SEV1": 5, "SEV2": 25, "SEV3": 40, "SEV4": 30}
STEPS = ["triage", "investigating", "mitigating", "monitoring", "resolved"]
LABEL = {"detected": "Detected", "triage": "Triage", "investigating": "Investigating",
         "mitigating": "Mitigating", "monitoring": "Monitoring", "resolved": "Resolved"}
STEP_FIELD = {"investigating": "investigating_at", "mitigating": "mitigating_at",
              "monitoring": "monitoring_at", "resolved": "resolved_at"}
PEOPLE = [("bench", "commander"), ("amara", "commander"), ("bo", "commander"), ("chen", "responder"),
          ("dana", "responder"), ("eli", "responder"), ("farah", "viewer")]
SERVICES = ["checkout-api", "auth", "search", "payments", "sendgrid", "image-cdn", "orders-db", "mobile-gw"]
SYMPTOMS = ["timing out", "returning 500s", "slow for EU users", "dropping requests", "down after deploy",
            "queue backing up", "high error rate", "certificate expired"]
NOTES = ["Rolled back the last deploy; watching error rates.", "DB connections at 96% of max_connections.",
         "Customer support reports more tickets about this.", "Scaled the pool from 8 to 16 workers.",
         "Vendor status page confirms a partial outage on their side.",
         "Error rate back under 1% for the last ten minutes.\nKeeping the feature flag off for now.",
         "Found the slow query: sequential scan on orders after yesterday's migration.",
         "Paged the on-call DBA.", "Posted an update in the status channel."]
SOURCES = ["monitoring_alert", "user_report", "internal_discovery"]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warroom.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from seed_postmortems import COUNT as POSTMORTEMS
    from seed_postmortems import seed_postmortems

    from incidents.models import Entry, Incident
    from postmortems.models import PostMortem

    started = time.perf_counter()
    people = ensure_people(os.environ["BENCH_PASSWORD"])
    expected = PAST * PAST_ENTRIES + LONG_ENTRIES + (len(OPEN) - 1) * OPEN_ENTRIES
    counts_right = (Incident.objects.closed().count() == PAST and Incident.objects.open().count() == len(OPEN)
                    and Entry.objects.count() == expected)
    seeded = os.environ.get("BENCH_RESEED") == "1" or not counts_right
    if seeded:
        with connection.cursor() as cursor:
            # A dedicated database: whatever else points at incidents goes too.
            cursor.execute("TRUNCATE incidents_entry, incidents_incident RESTART IDENTITY CASCADE")
        seed(people)
        with connection.cursor() as cursor:
            # Fresh statistics and visibility map, as autovacuum would leave a long-lived database.
            cursor.execute("VACUUM ANALYZE incidents_incident")
            cursor.execute("VACUUM ANALYZE incidents_entry")
    postmortems_seeded = seeded or PostMortem.objects.count() != POSTMORTEMS
    if postmortems_seeded:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE postmortems_actionitem, postmortems_revision, postmortems_postmortem "
                           "RESTART IDENTITY CASCADE")
        seed_postmortems(people)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE postmortems_postmortem")
            cursor.execute("VACUUM ANALYZE postmortems_actionitem")
    long_one = Incident.objects.open().annotate(n=Count("entries")).order_by("-n", "pk").first()
    print(json.dumps({"seeded": seeded or postmortems_seeded, "postmortems": PostMortem.objects.count(),
                      "seconds": round(time.perf_counter() - started, 1),
                      "incident": long_one.pk, "entries": expected, "username": "bench"}))


def ensure_people(password: str) -> dict:
    """The bench user (a commander, logged in by run.py) and a few colleagues who author the timelines."""
    from django.contrib.auth.models import Group, User

    people = {}
    for username, group in PEOPLE:
        user, created = User.objects.get_or_create(username=username)
        if username == "bench":
            user.set_password(password)  # fresh each run: nothing to leak
            user.save(update_fields=["password"])
        elif created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=group))
        people[username] = user.pk
    return people


def seed(people: dict) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from incidents.models import Incident, Severity
    from incidents.sla import response_due

    rng = random.Random(20)
    now = timezone.now().replace(microsecond=0)
    severities = {s.name: s for s in Severity.objects.all()}
    names = list(SEVERITY_WEIGHTS)
    plans = []
    for _ in range(PAST):
        severity = severities[rng.choices(names, weights=list(SEVERITY_WEIGHTS.values()))[0]]
        declared = now - dt.timedelta(days=2, seconds=rng.randrange(1000 * 86400))
        plans.append(plan(rng, people, severity, declared, "resolved", PAST_ENTRIES, response_due))
    for n, (name, status) in enumerate(OPEN):
        length = LONG_ENTRIES if n == 0 else OPEN_ENTRIES
        # Plan once to learn how long the timeline runs, then again so that it ends a few minutes ago.
        draft, _ = plan(random.Random(n), people, severities[name], now, status, length, response_due)
        back = draft["updated_at"] - now + dt.timedelta(minutes=rng.randrange(1, 30))
        plans.append(plan(random.Random(n), people, severities[name], now - back, status, length, response_due))
    plans.sort(key=lambda p: p[0]["declared_at"])
    per_day: dict[dt.date, int] = {}
    for fields, entries in plans:
        day = timezone.localtime(fields["declared_at"]).date()
        per_day[day] = per_day.get(day, 0) + 1
        fields["war_room"] = f"#incident-{day:%Y%m%d}" + (f"-{per_day[day]}" if per_day[day] > 1 else "")
        entries[0][1] = entries[0][1].replace("{war_room}", fields["war_room"])
    with transaction.atomic():
        incidents = Incident.objects.bulk_create([Incident(**fields) for fields, _ in plans], batch_size=2000)
        columns = "incident_id, kind, text, data, author_id, created_at"
        with connection.cursor() as cursor, cursor.copy(f"COPY incidents_entry ({columns}) FROM STDIN") as copy:
            for incident, (_, entries) in zip(incidents, plans, strict=True):
                for kind, text, data, author, at in entries:
                    copy.write_row((incident.pk, kind, text, json.dumps(data), author, at))


def plan(rng, people, severity, declared, status, length, response_due):
    """An incident's fields and its timeline, as the services would have written them step by step."""
    who = list(people.values())
    commanders = [people[u] for u, g in PEOPLE if g == "commander"]
    by = rng.choice(commanders)
    name = {pk: username for username, pk in people.items()}
    due = response_due(severity, declared)
    service = rng.choice(SERVICES)
    source = rng.choice(SOURCES)
    fields = {
        "title": f"{service} {rng.choice(SYMPTOMS)}", "summary": rng.choice(["", f"Alerts on {service}."]),
        "severity": severity, "status": status, "source": source,
        "users_affected": rng.choice([None, rng.randrange(10, 50_000)]), "service_affected": service,
        "declared_by_id": by, "declared_at": declared, "response_due_at": due,
    }
    entries = [["declared", f"Declared {severity.name} by @{name[by]} ({source.replace('_', ' ')}). "
                f"War room {{war_room}}; acknowledge by {due:%Y-%m-%d %H:%M %Z}.",
                {"severity": severity.name, "source": source}, by, declared]]
    at = declared
    steps = [] if status == "detected" else STEPS[: STEPS.index(status) + 1]
    notes = length - 1 - (len(steps) + 2 if steps else 0)
    # Notes go before mitigating and monitoring, and at the end while the incident is open.
    slots = [s for s in steps if s in ("mitigating", "monitoring")] + ([] if status == "resolved" else ["end"])
    chunks = {slot: notes // len(slots) + (i < notes % len(slots)) for i, slot in enumerate(slots)}

    def add_notes(slot):
        nonlocal at
        for _ in range(chunks.get(slot, 0)):
            at += dt.timedelta(seconds=rng.randrange(60, 480))
            entries.append(["note", rng.choice(NOTES), {}, rng.choice(who), at])

    previous = "detected"
    for step in steps:
        add_notes(step)
        if step == "triage":
            # SEV1 is due at once: its commander declares and acknowledges in one step.
            immediate = severity.response == "within" and severity.response_minutes == 0
            at += dt.timedelta(seconds=0 if immediate else rng.randrange(60, 1800))
            late = at - due
            text = f"Acknowledged by @{name[by]}; triage started."
            if late > dt.timedelta(0):
                text += f" Response SLA breached: {int(late.total_seconds() // 60)} min late."
                fields["breach_recorded_at"] = at
            entries.append(["acknowledged", text + f" @{name[by]} took command.",
                            {"late_seconds": max(0, int(late.total_seconds()))}, by, at])
            fields["acknowledged_at"], fields["commander_id"] = at, by
            for role, label in (("communications_lead", "Communications lead"), ("scribe", "Scribe")):
                at += dt.timedelta(seconds=rng.randrange(30, 180))
                user = rng.choice(who)
                fields[f"{role}_id"] = user
                entries.append(["role", f"{label}: @{name[user]} (assigned by @{name[by]}).",
                                {"role": role, "user": name[user]}, by, at])
        else:
            wait = (30 * 60, 45 * 60) if step == "resolved" else (300, 1800)  # the runbook's monitoring window
            at += dt.timedelta(seconds=rng.randrange(*wait))
            entries.append(["status", f"{LABEL[previous]} → {LABEL[step]} by @{name[by]}.",
                            {"from": previous, "to": step}, by, at])
            fields[STEP_FIELD[step]] = at
        previous = step
    add_notes("end")
    fields["version"] = len(entries)  # 1, plus one bump for every entry after "declared"
    fields["updated_at"] = at
    return fields, entries


if __name__ == "__main__":
    main()
