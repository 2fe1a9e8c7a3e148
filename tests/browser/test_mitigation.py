"""Preview → confirm → progress → before/after on the timeline, with a real worker and a real HTTP Kubernetes API."""

import pytest

# The live server previews in this process; the kubernetes client loads its API modules lazily, which takes
# seconds on a busy machine. A running web server has long paid that before anyone clicks: pay it here too.
from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi  # noqa: F401
from playwright.sync_api import expect

from mitigations.models import ScaleLimits
from targets.models import Target
from tests.mitigations.conftest import Cluster, fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_cluster():
    with Cluster() as server:
        server.add(fixture("deployment.json"), *fixture("replicasets.json")["items"])
        scale = "/apis/apps/v1/namespaces/default/deployments/bharatcart-api/scale"
        server.react(f"get {scale}", lambda request: server.scale())
        server.react(f"patch {scale}", lambda request: server.scale())
        yield server


def test_scale_preview_confirm_and_watch_it_roll_out(celery_worker, live_cluster, login, site, make_incident,
                                                      commander):
    target = Target.objects.create(name="prod-api", kind="kubernetes", url=live_cluster.url, namespace="default",
                                   deployment="bharatcart-api", timeout_seconds=3)
    ScaleLimits.objects.create(target=target, min_replicas=2, max_replicas=12)
    incident = make_incident(title="Checkout slow under load", severity="SEV2", acknowledge=True)
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")

    page.fill(".mitigation-forms input[name=replicas]", "6")  # the API timeout solution has its own field
    page.click("button[name=preview-scale]")
    card = page.locator(".mitigation").first
    expect(card).to_contain_text("Would change")
    expect(card.locator("table.changes")).to_contain_text("3")
    expect(card.locator("table.changes")).to_contain_text("6")
    assert live_cluster.deployment()["spec"]["replicas"] == 3  # a preview changes nothing

    card.locator("input[name=confirm]").fill("bharatcart-api")
    card.locator("button[name=execute]").click()
    expect(card.locator(".mitigation-status")).to_have_text("Succeeded", timeout=15000)
    expect(card.locator(".rollout")).to_contain_text("successfully rolled out")
    assert live_cluster.deployment()["spec"]["replicas"] == 6

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("previewed how to scale bharatcart-api to 6 replicas")
    expect(timeline).to_contain_text("confirmed: scale bharatcart-api to 6 replicas")
    expect(timeline).to_contain_text("replicas: 3 → 6")
    expect(timeline).to_contain_text("Rollout complete")


def test_sev2_rollback_one_commander_approves_another_executes(celery_worker, live_cluster, login, site,
                                                               make_incident, commander, second_commander):
    target = Target.objects.create(name="prod-api", kind="kubernetes", url=live_cluster.url, namespace="default",
                                   deployment="bharatcart-api", timeout_seconds=3)
    ScaleLimits.objects.create(target=target, min_replicas=2, max_replicas=12)
    incident = make_incident(title="Checkout errors after the 1.10 deploy", severity="SEV2", acknowledge=True)
    url = f"{site}/incidents/{incident.pk}/"
    before = live_cluster.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]

    preparer = login("commander")
    preparer.goto(url)
    preparer.click("button[name=preview-undo]")
    card = preparer.locator(".mitigation").first
    expect(card).to_contain_text("Would change")
    expect(card).to_contain_text("You prepared this: another commander must approve it.")
    expect(card.locator("button[name=execute]")).to_have_count(0)
    expect(card.locator("button[name=approve]")).to_have_count(0)

    approver = login("deputy")
    approver.goto(url)
    theirs = approver.locator(".mitigation").first
    theirs.locator("button[name=approve]").click()
    expect(theirs).to_contain_text("You approved this: another commander must execute it.")
    expect(theirs).to_contain_text("Approved by @deputy")
    expect(theirs.locator("button[name=execute]")).to_have_count(0)

    preparer.reload()
    card = preparer.locator(".mitigation").first
    card.locator("input[name=confirm]").fill("bharatcart-api")
    card.locator("button[name=execute]").click()
    expect(card.locator(".mitigation-status")).to_have_text("Succeeded", timeout=15000)
    after = live_cluster.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]
    assert after != before and after.endswith(":1.9.0")

    timeline = preparer.locator("#timeline")
    expect(timeline).to_contain_text("@deputy approved: roll back bharatcart-api to the previous revision")
    expect(timeline).to_contain_text("@commander confirmed: roll back bharatcart-api to the previous revision "
                                     "(approved by @deputy)")
