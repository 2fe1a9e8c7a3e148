"""Routing: Alertmanager's matcher semantics, rules in order (first match wins), the default rule last."""

import pytest
from django.core.exceptions import ValidationError

from alerts.matchers import MatcherError, all_match, parse_matchers
from alerts.models import Action, RoutingRule
from alerts.services import route
from incidents.models import Incident
from tests.alerts.conftest import am_alert, am_payload

LABELS = {"alertname": "HighErrorRate", "severity": "critical", "team": "db", "env": "prod"}


@pytest.mark.parametrize(("text", "expected"), [
    ('severity="critical"', True),
    ("severity=critical", True),
    ('severity="crit"', False),
    ('severity!="critical"', False),
    ('severity!="warning"', True),
    ('team=~"db|infra"', True),
    ('team=~"d"', False),  # anchored: a regex must match the whole value
    ('team=~"d.*"', True),
    ('team=~".*b"', True),
    ('team!~"db|infra"', False),
    ('team!~"d"', True),  # anchored too
    ('missing=""', True),  # a missing label is the empty string
    ('missing!=""', False),
    ('missing=~".*"', True),
    ('missing=~".+"', False),
    ('missing!~".+"', True),
    ('env="prod"\nteam="db"', True),  # all must match
    ('env="prod"\nteam="web"', False),
    ("", True),  # no matchers: everything
    ('alertname="High\\"Quote"', False),
    ('  severity = "critical" ,', True),
])
def test_matcher_semantics(text, expected):
    assert all_match(parse_matchers(text), LABELS) is expected


def test_a_quoted_value_may_hold_quotes_and_equals():
    assert all_match(parse_matchers('query="a=\\"b\\""'), {"query": 'a="b"'})


@pytest.mark.parametrize("text", ['severity', '="x"', 'sev erity="x"', 'team=~"(unclosed"', 'a="half', 'a=b"c"'])
def test_a_matcher_that_cannot_be_read_is_refused(text):
    with pytest.raises(MatcherError):
        parse_matchers(text)


@pytest.mark.django_db
def test_a_rule_with_a_bad_matcher_does_not_save_in_the_admin_form(sev):
    rule = RoutingRule(position=1, name="bad", matchers='team=~"(db"', severity=sev["SEV1"])
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "matchers" in error.value.message_dict


def _rules(sev):
    RoutingRule.objects.all().delete()
    return [
        RoutingRule.objects.create(position=20, name="db", matchers='team="db"', severity=sev["SEV1"]),
        RoutingRule.objects.create(position=10, name="critical", matchers='severity="critical"',
                                   severity=sev["SEV2"]),
        RoutingRule.objects.create(position=5, name="default", severity=sev["SEV4"], is_default=True,
                                   action=Action.RECORD),
        RoutingRule.objects.create(position=30, name="dev", matchers='env="dev"', severity=sev["SEV3"],
                                   action=Action.RECORD),
    ]


@pytest.mark.django_db
def test_the_first_rule_by_position_wins_and_the_default_comes_last_whatever_its_position(sev):
    _rules(sev)
    rules = list(RoutingRule.objects.in_order())
    assert route(LABELS, rules).name == "critical"  # 10 before 20, though both match
    assert route({**LABELS, "severity": "warning"}, rules).name == "db"
    assert route({"env": "dev"}, rules).name == "dev"  # the default's position 5 does not put it first
    assert route({"env": "staging"}, rules).name == "default"


@pytest.mark.django_db
def test_without_a_default_rule_what_matches_nothing_is_only_recorded(sev, sender):
    _rules(sev)
    RoutingRule.objects.filter(is_default=True).delete()
    assert route({"env": "staging"}, list(RoutingRule.objects.in_order())) is None
    response = sender(am_payload(am_alert(severity="info", team="web")))
    assert response.json()["new"] == 1 and not Incident.objects.exists()


@pytest.mark.django_db
def test_there_is_one_default_rule(sev):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        RoutingRule.objects.create(position=1, name="second default", severity=sev["SEV4"], is_default=True)


@pytest.mark.django_db
def test_the_rule_sets_severity_and_service_of_the_incident(sev, sender):
    _rules(sev)
    RoutingRule.objects.filter(name="db").update(service="postgres-primary")
    sender(am_payload(am_alert(severity="warning", team="db")))
    incident = Incident.objects.get()
    assert (incident.severity.name, incident.service_affected) == ("SEV1", "postgres-primary")


@pytest.mark.django_db
def test_a_record_rule_stores_the_alert_without_an_incident(sev, sender):
    _rules(sev)
    response = sender(am_payload(am_alert(severity="warning", env="dev")))
    assert response.json()["new"] == 1 and response.json()["incident"] is None


@pytest.mark.django_db
def test_the_default_rules_seeded_by_the_migration(runbook):
    import importlib

    from django.apps import apps

    RoutingRule.objects.all().delete()
    importlib.import_module("alerts.migrations.0002_default_rules").seed(apps, None)
    rules = list(RoutingRule.objects.in_order())
    assert [(r.name, r.severity.name, r.action) for r in rules] == [
        ("Critical", "SEV2", "open_incident"), ("Warnings", "SEV4", "record"), ("Default", "SEV3", "open_incident")]
