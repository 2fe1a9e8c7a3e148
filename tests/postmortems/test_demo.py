"""manage.py demo adds one resolved incident with a published post-mortem and action items, one overdue."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Star
from postmortems.models import ActionItem, PostMortem, PostMortemStatus

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_published_post_mortem_once(settings, runbook, capsys):
    settings.DEBUG = True
    call_command("demo")
    pm = PostMortem.objects.get()
    assert pm.status == PostMortemStatus.PUBLISHED and pm.revenue_impact == "$8,000 (estimate)"
    assert pm.incident.status == "resolved" and Star.objects.filter(entry__incident=pm.incident).count() == 1
    assert any(row["event"].startswith("@responder: payments-api logs") for row in pm.timeline)
    assert ActionItem.objects.count() == 2 and ActionItem.objects.overdue(timezone.localdate()).count() == 1
    assert "published post-mortem" in capsys.readouterr().out
    call_command("demo")
    assert PostMortem.objects.count() == 1
