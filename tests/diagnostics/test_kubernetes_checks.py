"""Kubernetes checks: what they show (pod status, ages, top, logs, verdicts) on JSON fixtures, and the wire contract
against a real HTTP API server. kubectl's shared algorithms are tested in tests/targets/test_kubectl.py.

The server is kmock's emulator (tests/kube_server.py); the kubernetes client is never patched.
No test here needs the database: the targets are unsaved.
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal

import kmock
import pytest
from kubernetes.client import V1Deployment, V1Pod, V1ReplicaSet
from kubernetes.utils import parse_quantity

from diagnostics.checks import REGISTRY
from diagnostics.checks import kubernetes as k8s
from diagnostics.checks.base import CRITICAL, OK, WARN, CheckError, ParamError
from targets.kubernetes import kubectl
from targets.kubernetes.errors import ClusterError
from targets.models import Target
from tests.kube_server import FIXTURES, KubeServer, api_pods, black_hole, deployment, fixture, free_port, web_pods

NS = "default"
API = "bharatcart-api"
CHOSEN = "bharatcart-api-1b0f3-m7q4w"  # ready the longest: the pod `kubectl logs deployment/bharatcart-api` reads
LOG_PATH = f"get /api/v1/namespaces/{NS}/pods/{CHOSEN}/log"
TEXT_PLAIN = kmock.headers({"Content-Type": "text/plain; charset=utf-8"})


def target(url: str, **fields) -> Target:
    return Target(kind="kubernetes", url=url, namespace=NS, deployment=API, timeout_seconds=2, **fields)


def run(name: str, tgt: Target, params: dict | None = None):
    check = REGISTRY[name]
    return check.run(tgt, check.clean_params(params))


def serve_log(request: kmock.Request) -> bytes:
    """The /log reaction: the fixture log's last tailLines lines, as the kubelet would send them."""
    lines = (FIXTURES / "api.log").read_text().splitlines(keepends=True)
    return "".join(lines[-int(request.params.get("tailLines", len(lines))):]).encode()


@pytest.fixture
def api_server():
    with KubeServer() as server:
        yield server


@pytest.fixture
def cluster(api_server: KubeServer) -> KubeServer:
    """The api deployment with its history, pods, metrics and logs, next to another deployment's objects."""
    api_server.add(fixture("deployment_api.json"), fixture("deployment_web.json"),
                   *fixture("replicasets.json")["items"], *api_pods(), *web_pods(),
                   *fixture("podmetrics.json")["items"])
    api_server.react(LOG_PATH, TEXT_PLAIN, serve_log)
    return api_server


# --- rollout history: pure ---------------------------------------------------------------------------------------

def test_history_rows_mark_the_current_revision_and_stop_at_ten():
    dep = V1Deployment.from_dict(fixture("deployment_api.json"))
    replicasets = [V1ReplicaSet.from_dict(rs) for rs in fixture("replicasets.json")["items"]]
    history = kubectl.owned_replicasets(dep, replicasets)
    rows = k8s.history_rows(dep, history)
    assert len(rows) == 10
    assert rows[0] == [11, "yes", "registry.example.com/bharatcart/api:1.11.0, envoyproxy/envoy:v1.31.2",
                       "2025-03-12T09:30:00+00:00", "deploy api 1.11.0", 3, 3]
    assert [row[1] for row in rows[1:]] == [""] * 9
    assert rows[-1][0] == 2
    assert next(row for row in rows if row[0] == 4)[4] == ""  # no change-cause annotation


@pytest.mark.parametrize(("status", "generation", "verdict", "words"), [
    ({}, 14, OK, "successfully rolled out"),
    ({}, 15, WARN, "spec update to be observed"),
    ({"updatedReplicas": 1}, 14, WARN, "1 of 3 new replicas have been updated"),
    ({"replicas": 4}, 14, WARN, "1 old replicas are pending termination"),
    ({"availableReplicas": 2}, 14, WARN, "2 of 3 updated replicas are available"),
    ({"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}, 14,
     CRITICAL, "exceeded its progress deadline"),
])
def test_rollout_state_follows_kubectl_rollout_status(status, generation, verdict, words):
    dep = deployment(**status)
    dep["metadata"]["generation"] = generation
    state, sentence = k8s.rollout_state(V1Deployment.from_dict(dep))
    assert state == verdict
    assert words in sentence


# --- pods: pure --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", fixture("pod_status_cases.json"), ids=lambda c: c["pod"]["metadata"]["name"])
def test_pod_status_ready_and_restarts_as_kubectl_get_pods(case):
    info = k8s.pod_info(V1Pod.from_dict(case["pod"]))
    assert info.status == case["expect"]
    assert f"{info.ready_containers}/{info.total_containers}" == case["ready"]
    assert info.restarts == case["restarts"]


@pytest.mark.parametrize(("seconds", "age"), [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (330, "5m30s"),
    (600, "10m"), (3 * 3600 - 1, "179m"), (3 * 3600, "3h"), (5 * 3600 + 120, "5h2m"), (8 * 3600, "8h"),
    (47 * 3600, "47h"), (48 * 3600, "2d"), (2 * 86400 + 4 * 3600, "2d4h"), (8 * 86400, "8d"),
    (400 * 86400, "400d"), (800 * 86400, "2y70d"), (3 * 365 * 86400, "3y"), (10 * 365 * 86400, "10y"),
])
def test_human_age_as_kubectl(seconds, age):
    assert k8s.human_age(seconds) == age


def _info(status="Running", ready=True, restarts=0):
    return k8s.PodInfo(1 if ready else 0, 1, status, restarts, ready)


@pytest.mark.parametrize(("infos", "desired", "verdict"), [
    ([_info(), _info(), _info()], 3, OK),
    ([_info(), _info(ready=False, status="ContainerCreating")], 2, WARN),
    ([_info(), _info(restarts=1)], 2, WARN),
    ([_info(), _info(ready=False, status="CrashLoopBackOff", restarts=7)], 2, CRITICAL),
    ([_info(), _info(ready=False, status="Init:ImagePullBackOff")], 2, CRITICAL),
    ([_info(ready=False, status="Pending"), _info(ready=False, status="Pending")], 2, CRITICAL),
    ([], 3, CRITICAL),
    ([], 0, WARN),
])
def test_pods_verdict_thresholds(infos, desired, verdict):
    assert k8s.pods_verdict(infos, desired) == verdict


# --- logs: pure --------------------------------------------------------------------------------------------------

def test_grep_is_a_case_insensitive_plain_substring():
    lines = ["GET /a 200", "upstream Timeout", "db TIMEOUT", "cache timed out", "retry [a.b]"]
    assert k8s.grep(lines, "timeout") == [[2, "upstream Timeout"], [3, "db TIMEOUT"]]
    assert k8s.grep(lines, "[a.b]") == [[5, "retry [a.b]"]]
    assert k8s.grep(lines, "a.b]") == [[5, "retry [a.b]"]]  # not a regex: "." is a dot
    assert k8s.grep(lines, None) == [[n, line] for n, line in enumerate(lines, 1)]
    assert k8s.logs_verdict("timeout", 2) == WARN
    assert k8s.logs_verdict("timeout", 0) == OK
    assert k8s.logs_verdict(None, 5) == OK


def test_logs_params_are_validated():
    check = REGISTRY["kubernetes.logs"]
    assert check.clean_params(None) == {"tail": 100, "pattern": None, "container": None}
    assert check.clean_params({"tail": 1000, "pattern": "", "container": ""}) == \
        {"tail": 1000, "pattern": None, "container": None}
    for bad in ({"tail": 0}, {"tail": 1001}, {"tail": "50"}, {"tail": True}, {"pattern": "x" * 201},
                {"pattern": 5}, {"container": "API!"}, {"lines": 5}):
        with pytest.raises(ParamError):
            check.clean_params(bad)


# --- top: pure ---------------------------------------------------------------------------------------------------

def test_quantities_are_formatted_as_kubectl_top():
    assert k8s.format_cpu(parse_quantity("250m")) == "250m"
    assert k8s.format_cpu(parse_quantity("1234567n")) == "2m"  # MilliValue rounds up
    assert k8s.format_cpu(parse_quantity("2")) == "2000m"
    assert k8s.format_cpu(None) == ""
    assert k8s.format_memory(parse_quantity("128Mi")) == "128Mi"
    assert k8s.format_memory(parse_quantity("1Gi")) == "1024Mi"
    assert k8s.format_memory(parse_quantity("204800Ki")) == "200Mi"
    assert k8s.format_memory(parse_quantity("1000000")) == "0Mi"  # whole Mi, rounded down
    assert k8s.format_memory(None) == ""


def test_usage_and_limits_sum_the_containers():
    metrics = fixture("podmetrics.json")["items"][1]
    assert k8s.usage_of(metrics) == (Decimal("0.5"), Decimal(288 * k8s.MI))
    pod = V1Pod.from_dict(api_pods()[1])
    assert k8s.resources_of(pod, "limits") == {"cpu": Decimal("0.6"), "memory": Decimal(640 * k8s.MI)}
    assert k8s.resources_of(pod, "requests") == {"cpu": Decimal("0.3"), "memory": Decimal(320 * k8s.MI)}
    pod.spec.containers[1].resources.limits = {"memory": "128Mi"}  # proxy without a CPU limit
    assert k8s.resources_of(pod, "limits")["cpu"] is None  # one unlimited container: the pod is unlimited
    assert k8s.percent_of(Decimal("0.5"), None) is None
    assert k8s.percent_of(Decimal("0.5"), Decimal("0.6")) == 83.3


@pytest.mark.parametrize(("percents", "verdict"), [
    ((None, None), OK), ((10.0, 79.9), OK), ((80.0, None), WARN), ((94.9, 3.0), WARN), ((95.0, None), CRITICAL),
    ((12.0, 120.5), CRITICAL),
])
def test_usage_verdict_thresholds(percents, verdict):
    assert k8s.usage_verdict(*percents) == verdict


def test_top_rows_against_limits():
    metrics = {m["metadata"]["name"]: m for m in fixture("podmetrics.json")["items"]}
    results = [k8s.top_row(V1Pod.from_dict(p), metrics[p["metadata"]["name"]]) for p in api_pods()]
    assert [verdict for _, verdict in results] == [OK, WARN, CRITICAL]
    assert results[0][0] == ["bharatcart-api-1b0f3-k2x9p", "320m", "300m", "600m", 53.3,
                             "230Mi", "320Mi", "640Mi", 35.9]
    assert results[2][0][8] == 96.9


# --- over HTTP: the checks against the emulated API server ---------------------------------------------------------

def test_rollout_history_over_http(cluster):
    result = run("kubernetes.rollout_history", target(cluster.url))
    assert result.verdict == OK
    assert result.columns == ["revision", "current", "images", "created", "change cause", "replicas", "ready"]
    assert [row[0] for row in result.rows] == [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]
    assert result.rows[0][1] == "yes"
    assert "bharatcart/web" not in json.dumps(result.rows)
    assert "revision 11" in result.summary and "successfully rolled out" in result.summary
    assert result.text.splitlines()[0].startswith("REVISION")


def test_rollout_in_progress_warns(api_server):
    api_server.add(deployment(updatedReplicas=1, availableReplicas=2), *fixture("replicasets.json")["items"])
    result = run("kubernetes.rollout_history", target(api_server.url))
    assert result.verdict == WARN
    assert "1 of 3 new replicas have been updated" in result.summary


def test_pods_over_http(cluster):
    result = run("kubernetes.pods", target(cluster.url))
    assert result.columns == ["pod", "ready", "status", "restarts", "age", "node"]
    assert [row[0] for row in result.rows] == [p["metadata"]["name"] for p in api_pods()]  # no web pods
    assert result.rows[0][1:4] == ["2/2", "Running", 1]
    assert result.rows[0][5] == "node-a"
    assert re.fullmatch(r"(\d+[smhdy])+", result.rows[0][4])  # e.g. 625d: created in March 2025
    assert result.verdict == WARN  # one restart
    assert result.summary == "deployment bharatcart-api: 3 of 3 pods ready; 1 restart"
    listing = next(r for r in cluster.requests() if r.url.path == f"/api/v1/namespaces/{NS}/pods")
    assert listing.params["labelSelector"] == "app=bharatcart-api"  # a real server would filter too


def test_pods_crash_loop_is_critical(api_server):
    pods = api_pods()
    pods[2]["status"]["containerStatuses"][0].update(
        ready=False, restartCount=12, state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}})
    pods[2]["status"]["conditions"][1]["status"] = "False"
    api_server.add(fixture("deployment_api.json"), *pods, *web_pods())
    result = run("kubernetes.pods", target(api_server.url))
    assert result.verdict == CRITICAL
    assert result.rows[2][1:4] == ["1/2", "CrashLoopBackOff", 12]
    assert "2 of 3 pods ready; CrashLoopBackOff" in result.summary


def test_pods_none_at_all_is_critical(api_server):
    api_server.add(fixture("deployment_api.json"))
    api_server.declare("v1/pods")
    result = run("kubernetes.pods", target(api_server.url))
    assert result.verdict == CRITICAL
    assert result.rows == []
    assert result.summary == "deployment bharatcart-api: 0 of 0 pods ready (wants 3)"


def test_top_over_http(cluster):
    result = run("kubernetes.top", target(cluster.url))
    assert result.verdict == CRITICAL  # one pod at 96.9 % of its memory limit
    assert [row[0] for row in result.rows] == [p["metadata"]["name"] for p in api_pods()]
    assert [row[4] for row in result.rows] == [53.3, 83.3, 26.7]
    assert result.rows[2][5:] == ["620Mi", "320Mi", "640Mi", 96.9]
    assert "highest CPU 83.3 % of limit (bharatcart-api-1b0f3-m7q4w)" in result.summary
    assert "highest memory 96.9 % of limit (bharatcart-api-1b0f3-z8r5t)" in result.summary
    metrics = next(r for r in cluster.requests() if "metrics.k8s.io" in r.url.path)
    assert metrics.url.path == f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods"


def test_top_without_metrics_server(api_server):
    api_server.add(fixture("deployment_api.json"), *api_pods())
    with pytest.raises(ClusterError, match=r"^metrics-server is not installed: Kubernetes API at http://127\.0\.0\.1"):
        run("kubernetes.top", target(api_server.url))


def test_top_refuses_metrics_that_are_not_an_object(api_server):
    """The client types a custom object's answer as any JSON value: a list there is the server's fault, said so."""
    api_server.add(fixture("deployment_api.json"), *api_pods())
    api_server.react(f"get /apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods", kmock.headers(
        {"Content-Type": "application/json"}), lambda request: b'[{"metadata": {"name": "x"}}]')
    with pytest.raises(CheckError, match=r"answered pod metrics that are not a list object$"):
        run("kubernetes.top", target(api_server.url))


def test_logs_over_http_reads_the_pod_kubectl_would(cluster):
    result = run("kubernetes.logs", target(cluster.url), {"pattern": "timeout"})
    assert result.verdict == WARN
    assert result.summary == (f"pod {CHOSEN} (container api, 1 of 3 pods): 6 of 100 lines match 'timeout'")
    assert result.columns == ["line", "text"]
    assert [row[0] for row in result.rows] == [25, 30, 50, 70, 75, 100]
    assert all("timeout" in row[1].lower() for row in result.rows)
    assert result.text.count("\n") == 5
    [request] = [r for r in cluster.requests() if r.url.path.endswith("/log")]
    assert request.url.path == f"/api/v1/namespaces/{NS}/pods/{CHOSEN}/log"
    assert request.params == {"container": "api", "tailLines": "100", "limitBytes": str(256 * 1024)}


def test_logs_without_pattern_tail_and_container(cluster):
    result = run("kubernetes.logs", target(cluster.url), {"tail": 5, "container": "proxy"})
    assert result.verdict == OK
    assert result.summary == f"pod {CHOSEN} (container proxy, 1 of 3 pods): last 5 lines"
    assert [row[0] for row in result.rows] == [1, 2, 3, 4, 5]
    assert result.rows[-1][1].endswith("ERROR upstream \"payments\" Timeout after 5000ms (order=1150)")
    request = [r for r in cluster.requests() if r.url.path.endswith("/log")][-1]
    assert request.params["container"] == "proxy" and request.params["tailLines"] == "5"


def test_logs_no_match_is_ok(cluster):
    result = run("kubernetes.logs", target(cluster.url), {"pattern": "deadlock"})
    assert result.verdict == OK
    assert result.rows == [] and "0 of 100 lines match 'deadlock'" in result.summary


def test_logs_of_a_missing_container(cluster):
    with pytest.raises(CheckError, match=f"pod {CHOSEN} has no container sidecar; it has api, proxy"):
        run("kubernetes.logs", target(cluster.url), {"container": "sidecar"})


def test_logs_are_cut_when_the_server_ignores_limit_bytes(api_server):
    api_server.add(fixture("deployment_api.json"), *api_pods())
    line = "x" * 1023 + "\n"
    api_server.react(LOG_PATH, TEXT_PLAIN, lambda request: (line * 300).encode())  # 300 KiB
    result = run("kubernetes.logs", target(api_server.url), {"tail": 1000})
    assert result.summary.endswith("last 256 lines (cut at 256 KiB)")
    assert len(result.rows) == 200  # the newest ROW_CAP lines
    assert result.rows[-1][0] == 256


def test_deployment_not_found(api_server):
    api_server.declare("apps/v1/deployments")
    with pytest.raises(ClusterError) as caught:
        run("kubernetes.pods", target(api_server.url))
    assert str(caught.value) == "deployment bharatcart-api not found in namespace default"


def test_forbidden_quotes_the_server(api_server):
    api_server.react(f"get /apis/apps/v1/namespaces/{NS}/deployments/{API}", 403, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": 'deployments.apps "bharatcart-api" is forbidden: User "warroom" cannot get resource'})
    with pytest.raises(ClusterError) as caught:
        run("kubernetes.rollout_history", target(api_server.url))
    assert str(caught.value) == (
        f"Kubernetes API at {api_server.url} does not allow reading deployment bharatcart-api in namespace default "
        '(403 Forbidden): deployments.apps "bharatcart-api" is forbidden: User "warroom" cannot get resource')


def test_bearer_token_is_sent_and_never_shown(cluster, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_KUBE_TOKEN", "s3cr3t-t0ken")
    tgt = target(cluster.url, secret_env="WARROOM_TARGET_TEST_KUBE_TOKEN")
    run("kubernetes.pods", tgt)
    assert {r.headers.get("Authorization") for r in cluster.requests()} == {"Bearer s3cr3t-t0ken"}

    cluster.react(kmock.headers({"Authorization": "Bearer s3cr3t-t0ken"}), 401, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Unauthorized", "code": 401,
        "message": "Unauthorized"})
    with pytest.raises(ClusterError) as caught:
        run("kubernetes.pods", tgt)
    assert "rejected the credentials (401 Unauthorized)" in str(caught.value)
    assert "s3cr3t" not in str(caught.value) and "s3cr3t" not in repr(caught.value.__cause__)


def test_kubeconfig_and_context_are_used_when_there_is_no_url(cluster, tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({  # JSON is YAML
        "apiVersion": "v1", "kind": "Config", "current-context": "other",
        "clusters": [{"name": "kmock", "cluster": {"server": cluster.url}},
                     {"name": "nowhere", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "oncall", "user": {"token": "kubeconfig-t0ken"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "kmock", "user": "oncall"}},
                     {"name": "other", "context": {"cluster": "nowhere", "user": "oncall"}}]}))
    tgt = target("", kubeconfig=str(kubeconfig), kube_context="prod")
    assert run("kubernetes.pods", tgt).rows
    assert {r.headers.get("Authorization") for r in cluster.requests()} == {"Bearer kubeconfig-t0ken"}


def test_missing_kubeconfig_is_a_cluster_error(tmp_path):
    with pytest.raises(ClusterError, match=r"^Could not load kubeconfig .*/nope \(context prod\)"):
        run("kubernetes.pods", target("", kubeconfig=str(tmp_path / "nope"), kube_context="prod"))


# --- down targets ------------------------------------------------------------------------------------------------

def test_refused_connection_fails_fast_with_a_clear_message():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        run("kubernetes.pods", target(url))
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"Kubernetes API at {url} refused the connection (is the server up and the port right?)"


@pytest.mark.parametrize("check", ["kubernetes.rollout_history", "kubernetes.pods", "kubernetes.top",
                                   "kubernetes.logs"])
def test_black_hole_fails_within_the_timeout(check):
    with black_hole() as url:
        started = time.monotonic()
        with pytest.raises(ClusterError) as caught:
            run(check, target(url))
        elapsed = time.monotonic() - started
    assert elapsed < 2 + 1
    assert str(caught.value) == (f"Kubernetes API at {url} did not answer within 2 s while reading deployment "
                                 "bharatcart-api in namespace default")



def test_a_server_echoing_the_token_does_not_put_it_in_the_message(api_server, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_KUBE_TOKEN", "s3cr3t-t0ken")
    api_server.react(f"get /apis/apps/v1/namespaces/{NS}/deployments/{API}", 403, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": "token s3cr3t-t0ken may not get deployments"})
    with pytest.raises(ClusterError) as caught:
        run("kubernetes.pods", target(api_server.url, secret_env="WARROOM_TARGET_TEST_KUBE_TOKEN"))
    assert str(caught.value).endswith("(403 Forbidden): token **** may not get deployments")
