"""One click runs a check on a real worker; the result replaces the spinner on every open page."""

import pytest
from playwright.sync_api import expect

from targets.models import Target

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_playbook_click_shows_spinners_then_tables_with_verdicts(celery_worker, login, site, make_incident,
                                                                  responder, viewer):
    Target.objects.create(name="local-postgres", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    incident = make_incident(title="Orders API timing out", severity="SEV2", acknowledge=True)

    watcher = login("viewer")
    watcher.goto(f"{site}/incidents/{incident.pk}/")
    sre = login("responder")
    sre.goto(f"{site}/incidents/{incident.pk}/")

    sre.get_by_role("button", name="Database connection pool exhausted").click()
    runs = watcher.locator(".run")
    expect(runs).to_have_count(2, timeout=2000)
    expect(watcher.locator(".run .verdict")).to_have_count(2, timeout=15000)
    expect(watcher.locator(".run table.result").first).to_be_visible()
    expect(watcher.locator(".run").first).to_contain_text("local-postgres")
    # One timeline entry per check, once it has ended: who ran it, the verdict, and how long it took.
    checks = watcher.locator("#timeline .entry-check")
    expect(checks).to_have_count(2, timeout=15000)
    expect(checks.filter(has_text="@responder ran postgres.connections on local-postgres: ")).to_have_count(1)
    expect(checks.filter(has_text="@responder ran postgres.active_queries on local-postgres: ")).to_have_count(1)
    expect(checks.filter(has_text=" after asking)")).to_have_count(2)
