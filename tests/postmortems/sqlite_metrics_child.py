"""Run by test_metrics_sqlite.py in a child process whose DATABASE_URL is a SQLite file: migrate, make the
hand-made incidents, print their metrics as JSON. (`make run` keeps its data in SQLite.)"""

import json

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

call_command("migrate", verbosity=0)

from postmortems.metrics import incident_metrics  # noqa: E402
from tests.postmortems.metrics_data import at, incident  # noqa: E402

with timezone.override("UTC"):
    for ack, resolve in ((60, 3600), (120, 7200), (600, 1800)):
        incident("SEV2", "2026-01-10T10:00:00", ack=ack, resolve=resolve, due=300)
    incident("SEV2", "2026-01-11T10:00:00", due=300)
    for ack in (10, 20, 30, 40):
        incident("SEV3", "2026-01-31T23:30:00", ack=ack)  # 00:30 on 1 February in Berlin
    incident("SEV3", "2026-02-01T10:00:00", ack=900, due=900)  # at the deadline: no breach
    m = incident_metrics(start=at("2026-01-01T00:00:00").date(), end=at("2026-02-28T00:00:00").date(),
                         now=at("2026-03-15T12:00:00"))
    print(json.dumps({
        "counts": [[month.by_severity[s].count for s in m.severities] for month in m.months],
        "breaches": [month.total.breaches for month in m.months],
        "sev2_jan": [m.months[0].by_severity["SEV2"].mtta.median, m.months[0].by_severity["SEV2"].mtta.p90,
                     m.months[0].by_severity["SEV2"].mtta.excluded, m.months[0].by_severity["SEV2"].mttr.median],
        "total_mtta": [m.total.mtta.median, m.total.mtta.p90],
    }))
