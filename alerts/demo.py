"""`manage.py demo` adds a source and two recorded alerts, so the alerts page and "Declare from alert" have
something to show. Its token is not printed: `manage.py alert_source demo-alertmanager --rotate` gives one."""

import datetime as dt

from django.utils import timezone

from alerts import services
from alerts.models import AlertSource
from alerts.payloads import parse

NAME = "demo-alertmanager"


def seed_alerts(stdout) -> None:
    if AlertSource.objects.filter(name=NAME).exists():
        return
    source, _ = services.source_create(name=NAME, by=None)
    started = (timezone.now() - dt.timedelta(minutes=12)).isoformat()
    alerts = [
        {"status": "firing", "startsAt": started, "fingerprint": "d3m0000000000001",
         "labels": {"alertname": "DiskFillingUp", "severity": "warning", "service": "postgres-primary",
                    "instance": "db-1:9100"},
         "annotations": {"summary": "Disk on db-1 will be full within 24 h",
                         "description": "Free space fell from 40% to 18% in six hours.",
                         "runbook_url": "https://runbooks.example.com/disk-filling"},
         "generatorURL": "http://prometheus:9090/graph?g0.expr=node_filesystem_avail_bytes"},
        {"status": "resolved", "startsAt": started, "endsAt": timezone.now().isoformat(),
         "fingerprint": "d3m0000000000002",
         "labels": {"alertname": "CertificateExpiring", "severity": "warning", "service": "edge"},
         "annotations": {"summary": "TLS certificate renewed"}},
    ]
    services.alerts_receive(source=source, delivery=parse({"version": "4", "groupKey": "demo:warnings",
                                                           "status": "firing", "alerts": alerts}))
    stdout.write(f"Created alert source {NAME} with 2 recorded alerts (see /alerts/).")
