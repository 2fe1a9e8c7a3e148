"""Every write about alerts: sources and their tokens, receiving a delivery, declaring from an alert.

Receiving is one transaction: the group's row is claimed and locked first (one open row per source and
group key, held by a partial unique index), so concurrent deliveries of one group queue behind each other
and open one incident; alerts are deduplicated by fingerprint while firing (another partial unique index).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.apps import ALERT_ENTRY
from alerts.matchers import MatcherError, all_match, parse_matchers
from alerts.models import Action, Alert, AlertGroup, AlertSource, AlertStatus, RoutingRule
from alerts.payloads import Delivery, IncomingAlert
from incidents.models import Incident, Severity, Source
from incidents.services import incident_declare, timeline_record
from warroom.permissions import Perm, require

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.auth.models import User

TOKEN_PREFIX = "wra_"
ALERT_FIELDS = ["status", "annotations", "ends_at", "generator_url", "dashboard_url", "panel_url", "raw",
                "last_seen", "resolved_at", "group", "severity", "labels", "name"]


class AlertError(Exception):
    """A write about alerts that the current state does not allow; the message says why."""


# --- sources and their tokens -------------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits: a plain hash is enough, no salt or stretching


@transaction.atomic
def source_create(*, name: str, by: User | None) -> tuple[AlertSource, str]:
    """A new source and its token; the token is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the source."})
    if AlertSource.objects.filter(name=name).exists():
        raise ValidationError({"name": f"There is already a source called {name!r}."})
    token = _new_token()
    source = AlertSource(name=name, token_hash=token_hash(token), created_by=by)
    source.full_clean()
    source.save(force_insert=True)
    return source, token


@transaction.atomic
def source_rotate_token(*, source: AlertSource, by: User | None, at: dt.datetime | None = None) -> str:
    """Replace the token: the old one stops working at once."""
    token = _new_token()
    source.token_hash, source.token_rotated_at, source.token_rotated_by = token_hash(token), at or timezone.now(), by
    source.save(update_fields=["token_hash", "token_rotated_at", "token_rotated_by"])
    return token


def source_for_token(token: str) -> AlertSource | None:
    """The active source whose token this is, or None."""
    digest = token_hash(token)
    source = AlertSource.objects.filter(token_hash=digest, is_active=True).first()
    # The lookup is by the hash of a 256-bit secret; the constant-time compare is a second lock on the same door.
    if source is None or not hmac.compare_digest(source.token_hash, digest):
        return None
    return source


# --- routing ------------------------------------------------------------------------------------------------------

def route(labels: dict[str, str], rules: list[RoutingRule]) -> RoutingRule | None:
    """The first rule (by position) whose matchers all match, else the default rule; None if there is none.

    A rule saved before its regex would be refused (matchers.backtracking_risk) matches nothing, and says so in the
    log: the alert is still stored and routed by the rules after it.
    """
    for rule in rules:
        if rule.is_default:
            return rule
        try:
            matchers = parse_matchers(rule.matchers)
        except MatcherError as exc:
            logger.warning("Routing rule %s is skipped: %s", rule.pk, exc)
            continue
        if all_match(matchers, labels):
            return rule
    return None


def _service(rule: RoutingRule | None, labels: dict[str, str]) -> str:
    return ((rule.service if rule else "") or labels.get("service", ""))[:200]


def incident_fields(alert: IncomingAlert | Alert, rule: RoutingRule | None, common: dict[str, str] | None = None
                    ) -> dict:
    """What an incident opened from this alert is called and rated: for the automatic opening and the form alike."""
    annotations = {**(common or {}), **alert.annotations}
    name = alert.labels.get("alertname", "").strip() or "Monitoring alert"
    summary = annotations.get("summary", "").strip()
    title = f"{name}: {summary}" if summary else name
    return {
        "title": title[:200],
        "severity": rule.severity if rule else None,
        "service_affected": _service(rule, alert.labels),
        "summary": "\n\n".join(t for t in (summary, annotations.get("description", "")) if t),
    }


# --- receiving ----------------------------------------------------------------------------------------------------

@dataclass
class Receipt:
    group: int
    incident: int | None = None
    incident_opened: bool = False
    new: int = 0
    updated: int = 0
    resolved: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"group": self.group, "incident": self.incident, "incident_opened": self.incident_opened,
                "new": self.new, "updated": self.updated, "resolved": self.resolved, "unchanged": self.unchanged}


def _locked_open_group(source: AlertSource, key_hash: str) -> AlertGroup | None:
    """The open row, locked. Its incident is read by a query of its own, after the lock: a join here would be
    re-read, after waiting for a concurrent declaration, with the group's new incident_id but without the
    incident row (inserted after this statement's snapshot), and the group would seem to have none."""
    group = AlertGroup.objects.select_for_update().filter(source=source, key_hash=key_hash, is_open=True).first()
    if group is not None and group.incident_id is not None:
        group.incident = Incident.objects.get(pk=group.incident_id)
    return group


_INSERT_GROUP_SQL = """
INSERT INTO alerts_alertgroup (source_id, key_hash, group_key, labels, is_open, truncated_alerts, created_at)
VALUES (%s, %s, %s, %s::jsonb, true, 0, %s)
ON CONFLICT (source_id, key_hash) WHERE is_open DO NOTHING
RETURNING id
"""


def _insert_group(source: AlertSource, delivery: Delivery, now: dt.datetime) -> AlertGroup | None:
    """Insert the group's open row; None if a concurrent delivery's row is there (the partial unique index).

    On PostgreSQL one statement that returns the new id: the inserted row is locked by our transaction until
    it commits, so reading it again (as after bulk_create, which returns no id when ignoring conflicts) is not
    needed."""
    group = AlertGroup(source=source, key_hash=delivery.key_hash, group_key=delivery.group_key,
                       labels=delivery.group_labels, created_at=now)
    if connection.vendor != "postgresql":
        AlertGroup.objects.bulk_create([group], ignore_conflicts=True)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_GROUP_SQL, [source.pk, group.key_hash, group.group_key, json.dumps(group.labels), now])
        row = cursor.fetchone()
    if row is None:
        return None
    group.pk = row[0]
    return group


def _claim_group(source: AlertSource, delivery: Delivery, now: dt.datetime) -> AlertGroup:
    """The group's open row, locked; created if there is none, closed and replaced if its incident is resolved."""
    for _ in range(5):
        group = _locked_open_group(source, delivery.key_hash)
        if group is None:
            group = _insert_group(source, delivery, now)  # ours, new, and locked by its insert
        if group is None:
            group = _locked_open_group(source, delivery.key_hash)  # a concurrent delivery's row won: lock that one
        if group is None:
            continue  # closed between our insert and our lock: try again
        if group.incident is not None and not group.incident.is_open:
            group.is_open = False  # people resolved its incident: the group's next alerts start anew
            group.save(update_fields=["is_open"])
            continue
        return group
    raise AlertError(f"Could not claim alert group {delivery.group_key!r}: too many concurrent changes")


def _alert_row(source: AlertSource, group: AlertGroup, incoming: IncomingAlert, now: dt.datetime) -> Alert:
    resolved = incoming.status == AlertStatus.RESOLVED
    return Alert(
        source=source, group=group, fingerprint=incoming.fingerprint, name=incoming.name, status=incoming.status,
        severity=incoming.labels.get("severity", "")[:50], labels=incoming.labels, annotations=incoming.annotations,
        starts_at=incoming.starts_at, ends_at=incoming.ends_at or (now if resolved else None),
        generator_url=incoming.generator_url, dashboard_url=incoming.dashboard_url, panel_url=incoming.panel_url,
        raw=incoming.raw, first_seen=now, last_seen=now, resolved_at=now if resolved else None,
    )


def _refresh(row: Alert, group: AlertGroup, incoming: IncomingAlert, now: dt.datetime) -> bool:
    """Bring a firing alert up to date; True if more than its last-seen time changed."""
    changed = row.raw != incoming.raw or (row.group_id != group.pk and incoming.status == AlertStatus.FIRING)
    row.last_seen = now
    if not changed:
        return False
    row.annotations, row.raw, row.labels, row.name = incoming.annotations, incoming.raw, incoming.labels, incoming.name
    row.severity = incoming.labels.get("severity", "")[:50]
    row.generator_url, row.dashboard_url, row.panel_url = (incoming.generator_url, incoming.dashboard_url,
                                                           incoming.panel_url)
    if incoming.status == AlertStatus.RESOLVED:
        row.status, row.resolved_at = AlertStatus.RESOLVED, now
        row.ends_at = incoming.ends_at or now
    else:
        row.ends_at = incoming.ends_at
        row.group = group  # still firing after its incident was resolved: it belongs to the group's new episode
    return True


def _insert(rows: list[Alert]) -> list[Alert]:
    """Insert new alerts; one that another group's delivery inserted a moment ago is left to that delivery."""
    try:
        with transaction.atomic():
            return Alert.objects.bulk_create(rows)
    except IntegrityError:
        pass
    kept = []
    for row in rows:  # the rare race: one at a time, each in its own savepoint
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            kept.append(row)
        except IntegrityError:
            row.pk = None
    return kept


_UPDATE_SQL = """
UPDATE alerts_alert AS a SET status = v.status, annotations = v.annotations::jsonb, ends_at = v.ends_at::timestamptz,
    generator_url = v.generator_url, dashboard_url = v.dashboard_url, panel_url = v.panel_url, raw = v.raw::jsonb,
    last_seen = v.last_seen::timestamptz, resolved_at = v.resolved_at::timestamptz, group_id = v.group_id::bigint,
    severity = v.severity, labels = v.labels::jsonb, name = v.name
FROM (VALUES {rows}) AS v(id, status, annotations, ends_at, generator_url, dashboard_url, panel_url, raw, last_seen,
                         resolved_at, group_id, severity, labels, name)
WHERE a.id = v.id::bigint
"""


def _update(rows: list[Alert]) -> None:
    """Write the changed alerts in one statement: bulk_update's CASE per field and row costs ~80 ms for 10 alerts."""
    if connection.vendor != "postgresql":
        Alert.objects.bulk_update(rows, ALERT_FIELDS)
        return
    params: list[Any] = []
    for r in rows:
        params += [r.pk, r.status, json.dumps(r.annotations), r.ends_at, r.generator_url, r.dashboard_url,
                   r.panel_url, json.dumps(r.raw), r.last_seen, r.resolved_at, r.group_id, r.severity,
                   json.dumps(r.labels), r.name]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * 14) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(rows=placeholders), params)


@transaction.atomic
def alerts_receive(*, source: AlertSource, delivery: Delivery, now: dt.datetime | None = None) -> Receipt:
    """Store a delivery: new alerts, updates of firing ones, resolutions; open the group's incident if a rule says so.

    The same delivery twice changes nothing the second time but the alerts' last-seen time.
    """
    now = now or timezone.now()
    group = _claim_group(source, delivery, now)
    if group.truncated_alerts != delivery.truncated_alerts:
        group.truncated_alerts = delivery.truncated_alerts
        group.save(update_fields=["truncated_alerts"])
    receipt = Receipt(group=group.pk, incident=group.incident_id)
    fingerprints = [a.fingerprint for a in delivery.alerts]
    # One query: the firing alerts these fingerprints may update (locked, in id order), and the resolved ones a
    # late or repeated delivery must not bring back.
    known = list(Alert.objects.select_for_update()
                 .filter(source=source, fingerprint__in=fingerprints)
                 .filter(Q(status=AlertStatus.FIRING) | Q(starts_at__in={a.starts_at for a in delivery.alerts}))
                 .order_by("pk"))
    firing = {a.fingerprint: a for a in known if a.status == AlertStatus.FIRING}
    ended = {(a.fingerprint, a.starts_at) for a in known if a.status == AlertStatus.RESOLVED}

    new_rows: list[Alert] = []
    changed_rows: list[Alert] = []
    touched: list[Alert] = []
    still_firing: list[IncomingAlert] = []
    moved: list[Alert] = []  # firing alerts that join the group's new row (their old incident was resolved)
    resolved_now: list[tuple[int, Alert]] = []  # with the group they were in
    for incoming in delivery.alerts:
        row = firing.get(incoming.fingerprint)
        if row is not None:
            previous_group = row.group_id
            if not _refresh(row, group, incoming, now):
                touched.append(row)
                receipt.unchanged += 1
            elif row.status == AlertStatus.RESOLVED:
                changed_rows.append(row)
                resolved_now.append((previous_group, row))
                receipt.resolved += 1
            else:
                changed_rows.append(row)
                receipt.updated += 1
                if row.group_id != previous_group:
                    moved.append(row)
            if incoming.status == AlertStatus.FIRING:
                still_firing.append(incoming)
        elif (incoming.fingerprint, incoming.starts_at) in ended:
            receipt.unchanged += 1  # sent again after we saw it resolve (a re-delivery, or late): nothing to do
        else:
            new_rows.append(_alert_row(source, group, incoming, now))
            if incoming.status == AlertStatus.FIRING:
                still_firing.append(incoming)

    inserted = _insert(new_rows) if new_rows else []
    receipt.new = len(inserted)
    receipt.unchanged += len(new_rows) - len(inserted)
    if changed_rows:
        _update(changed_rows)
    if touched:
        Alert.objects.filter(pk__in=[r.pk for r in touched]).update(last_seen=now)

    incident = group.incident
    if incident is None and still_firing:
        incident = _maybe_open(source, group, delivery, still_firing)
        if incident is not None:
            receipt.incident, receipt.incident_opened = incident.pk, True

    lines: dict[int, dict[str, list[Alert]]] = defaultdict(lambda: {"firing": [], "resolved": []})
    if incident is not None:
        for row in [*inserted, *moved]:
            lines[incident.pk][row.status].append(row)
    # A resolution goes on the incident of the group the alert was in (the current one, or an older row's).
    incident_of = {group.pk: incident.pk if incident else None}
    older = {group_id for group_id, _ in resolved_now} - set(incident_of)
    if older:
        incident_of |= dict(AlertGroup.objects.filter(pk__in=older).values_list("pk", "incident_id"))
    for group_id, row in resolved_now:
        if target := incident_of[group_id]:
            lines[target]["resolved"].append(row)
    for incident_id, kinds in lines.items():
        truncated = delivery.truncated_alerts if incident is not None and incident_id == incident.pk else 0
        _timeline_line(source, group, incident_id, kinds, truncated)
    return receipt


def _maybe_open(source: AlertSource, group: AlertGroup, delivery: Delivery, firing: list[IncomingAlert]
                ) -> Incident | None:
    """Open the group's incident if a firing alert's rule says so; rated as its most severe such alert."""
    rules = list(RoutingRule.objects.in_order())
    opening = [(alert, rule) for alert in firing
               if (rule := route(alert.labels, rules)) is not None and rule.action == Action.OPEN_INCIDENT]
    if not opening:
        return None
    alert, rule = min(opening, key=lambda pair: pair[1].severity.level)
    fields = incident_fields(alert, rule, delivery.common_annotations)
    incident = incident_declare(by=None, source=Source.MONITORING_ALERT, **fields,
                                by_name=f"monitoring alert {alert.name or alert.fingerprint} from {source.name}")
    group.incident = incident
    group.save(update_fields=["incident"])
    return incident


def _names(alerts: list[Alert]) -> str:
    shown = ", ".join(a.name or a.fingerprint for a in alerts[:10])
    return shown + (f" and {len(alerts) - 10} more" if len(alerts) > 10 else "")


def _timeline_line(source: AlertSource, group: AlertGroup, incident_id: int, kinds: dict[str, list[Alert]],
                   truncated: int) -> None:
    """One line per incident per delivery: what fired, what resolved, and whether all its alerts now have."""
    parts = []
    if kinds["firing"]:
        parts.append(f"{len(kinds['firing'])} firing: {_names(kinds['firing'])}.")
    if kinds["resolved"]:
        parts.append(f"{len(kinds['resolved'])} resolved: {_names(kinds['resolved'])}.")
    if truncated:
        parts.append(f"{source.name} left out {truncated} more (truncatedAlerts).")
    if kinds["resolved"] and not Alert.objects.filter(group__incident_id=incident_id,
                                                      status=AlertStatus.FIRING).exists():
        parts.append("All alerts resolved.")
    timeline_record(
        incident=Incident(pk=incident_id), kind=ALERT_ENTRY, by=None,
        text=f"Alerts from {source.name}: " + " ".join(parts),
        data={"source": source.name, "group": group.pk,
              "firing": [a.pk for a in kinds["firing"]], "resolved": [a.pk for a in kinds["resolved"]]},
    )


# --- people ---------------------------------------------------------------------------------------------------------

@transaction.atomic
def alert_declare_incident(*, alert: Alert, by: User, title: str, severity: Severity, summary: str = "",
                           service_affected: str = "", users_affected: int | None = None,
                           acknowledge: bool = False) -> Incident:
    """Declare an incident for an alert that opened none; the alert's group (and its later alerts) go to it."""
    require(by, Perm.MANAGE_INCIDENT)
    group = AlertGroup.objects.select_for_update(of=("self",)).get(pk=alert.group_id)
    if group.incident_id is not None:
        raise AlertError(f"This alert is already on incident #{group.incident_id}.")
    incident = incident_declare(by=by, title=title, severity=severity, summary=summary,
                                source=Source.MONITORING_ALERT, users_affected=users_affected,
                                service_affected=service_affected, acknowledge=acknowledge)
    group.incident = incident
    group.save(update_fields=["incident"])
    attached = Alert.objects.filter(group=group).count()
    timeline_record(incident=incident, kind=ALERT_ENTRY, by=by,
                    text=f"Declared from alert {alert.name or alert.fingerprint} ({alert.source.name}); "
                         f"{attached} alert{'s' if attached != 1 else ''} of its group attached.",
                    data={"source": alert.source.name, "group": group.pk, "alert": alert.pk})
    return incident


def declare_prefill(alert: Alert) -> dict:
    """The declare form's starting values: what the routing rules would have opened."""
    rule = route(alert.labels, list(RoutingRule.objects.in_order()))
    fields = incident_fields(alert, rule)
    return {**fields, "severity": fields["severity"].name if fields["severity"] else None}
