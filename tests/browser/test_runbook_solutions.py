"""The playbooks' solutions as buttons, in the browser, with a real worker and a real HTTP Kubernetes API:
High memory → watch memory (a chart per pod) and restart the deployment; API timeout → Scale up prefilled;
Pool exhausted → who holds the connections, and the DBA to call."""

import pytest

# The live server previews in this process; pay the kubernetes client's lazy import before anyone clicks.
from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi  # noqa: F401
from playwright.sync_api import expect

from diagnostics.models import Run
from mitigations.models import ScaleLimits
from targets.models import Target
from tests.diagnostics.test_memory_watch import metrics
from tests.kube_server import api_pods
from tests.mitigations.actions.test_restart import RESTARTED_AT
from tests.mitigations.conftest import Cluster, fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_cluster():
    with Cluster() as server:
        pods = []
        for pod in api_pods():  # the pods fixture, owned by the mitigations deployment's current ReplicaSet
            pod["metadata"]["ownerReferences"][0]["name"] = "bharatcart-api-6f7c9d8b45"
            pods.append(pod)
        server.add(fixture("deployment.json"), *fixture("replicasets.json")["items"], *pods,
                   *metrics({p["metadata"]["name"]: 300 for p in pods}))
        yield server


@pytest.fixture
def prod_api(live_cluster):
    target = Target.objects.create(name="prod-api", kind="kubernetes", url=live_cluster.url, namespace="default",
                                   deployment="bharatcart-api", timeout_seconds=3)
    ScaleLimits.objects.create(target=target, min_replicas=2, max_replicas=12)
    return target


def test_high_memory_watch_then_restart_the_deployment(celery_worker, live_cluster, prod_api, login, site,
                                                       make_incident, commander):
    incident = make_incident(title="api memory climbing", severity="SEV1", acknowledge=True)
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    solution = page.locator(".solution[data-playbook=high-memory]")
    expect(solution).to_contain_text("node --inspect dist/index.js")

    solution.locator("button[name=watch-memory]").click()
    watch = page.locator(".memory-watch").first
    expect(watch).to_contain_text("Memory of deployment/bharatcart-api")
    expect(watch.locator("svg.memory-chart")).to_have_count(3, timeout=15000)  # one per pod, first sample
    expect(watch).to_contain_text("watching · every 15 s")

    solution.locator("button[name=rollout-restart]").click()
    card = page.locator(".mitigation").first
    expect(card).to_contain_text("replace 3 pods")
    expect(card).to_contain_text("unavailable")
    assert RESTARTED_AT not in live_cluster.deployment()["spec"]["template"]["metadata"]["annotations"]
    card.locator("input[name=confirm]").fill("bharatcart-api")  # SEV1, and no second commander: not destructive
    card.locator("button[name=execute]").click()
    expect(card.locator(".mitigation-status")).to_have_text("Succeeded", timeout=15000)
    assert RESTARTED_AT in live_cluster.deployment()["spec"]["template"]["metadata"]["annotations"]

    watch.locator("button[name=cancel-watch]").click()
    expect(page.locator(".memory-watch").first).to_contain_text("cancelled")


def test_api_timeout_scale_up_opens_the_preview_prefilled(celery_worker, live_cluster, prod_api, login, site,
                                                          make_incident, commander):
    incident = make_incident(title="Checkout timing out", severity="SEV2", acknowledge=True)
    Run.objects.create(incident=incident, target=prod_api, check_name="kubernetes.pods", status="succeeded",
                       verdict="ok", columns=["pod"], rows=[[p["metadata"]["name"]] for p in api_pods()])
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    scale = page.locator(".solution[data-playbook=api-timeout] input[name=replicas]")
    expect(scale).to_have_value("5")  # 3 pods + 50 %, rounded up
    page.locator(".solution[data-playbook=api-timeout] button[name=scale-up]").click()
    card = page.locator(".mitigation").first
    expect(card).to_contain_text("Would change")
    expect(card.locator("table.changes")).to_contain_text("5")
    assert live_cluster.deployment()["spec"]["replicas"] == 3


def test_pool_exhausted_shows_who_holds_the_connections_and_whom_to_call(celery_worker, login, site, make_incident,
                                                                         commander):
    Target.objects.create(name="local-postgres", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    incident = make_incident(title="Pool exhausted", severity="SEV2", acknowledge=True)
    page = login("commander")
    page.goto(f"{site}/incidents/{incident.pk}/")
    solution = page.locator(".solution[data-playbook=db-pool-exhausted]")
    expect(solution).to_contain_text("Increase max_connections is a configuration change Warroom does not make: "
                                     "call the DBA")
    solution.locator("button[name=connections-by-application]").click()
    run = page.locator(".run").first
    expect(run.locator("table.result th").first).to_have_text("application", timeout=15000)
    expect(run).to_contain_text("headroom")
