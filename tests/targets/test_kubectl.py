"""kubectl's algorithms (targets.kubernetes.kubectl): owned ReplicaSets and revisions, label selectors, the pod
`kubectl logs deployment/X` reads; shared by the checks and the actions.

The pure parts run on JSON fixtures (tests/fixtures/k8s/); no test here needs the database or a server.
"""

from __future__ import annotations

import pytest
from kubernetes.client import V1Deployment, V1LabelSelector, V1Pod, V1ReplicaSet

from targets.kubernetes import kubectl
from tests.kube_server import api_pods, fixture, web_pods

NS = "default"
API = "bharatcart-api"
CHOSEN = "bharatcart-api-1b0f3-m7q4w"  # ready the longest: the pod `kubectl logs deployment/bharatcart-api` reads


def test_history_keeps_only_the_deployments_own_replicasets_newest_first():
    dep = V1Deployment.from_dict(fixture("deployment_api.json"))
    replicasets = [V1ReplicaSet.from_dict(rs) for rs in fixture("replicasets.json")["items"]]
    history = kubectl.owned_replicasets(dep, replicasets)
    assert [kubectl.revision_of(rs) for rs in history] == [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert all(rs.metadata.name.startswith("bharatcart-api-") for rs in history)
    assert "bharatcart-api-orphan" not in {rs.metadata.name for rs in history}  # same labels, no controller ref


def test_revision_of_ignores_missing_and_unreadable_annotations():
    rs = V1ReplicaSet.from_dict(fixture("replicasets.json")["items"][0])
    assert kubectl.revision_of(rs) == 3
    rs.metadata.annotations[kubectl.REVISION] = "not-a-number"
    assert kubectl.revision_of(rs) is None
    rs.metadata.annotations = None
    assert kubectl.revision_of(rs) is None


def test_selector_matches_labels_and_expressions():
    selector = V1LabelSelector.from_dict({"matchLabels": {"app": API}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["api", "edge"]},
        {"key": "canary", "operator": "DoesNotExist"},
        {"key": "track", "operator": "NotIn", "values": ["shadow"]}]})
    assert kubectl.selector_matches(selector, {"app": API, "tier": "api"})
    assert not kubectl.selector_matches(selector, {"app": API, "tier": "web"})
    assert not kubectl.selector_matches(selector, {"app": API, "tier": "api", "canary": "1"})
    assert not kubectl.selector_matches(selector, {"app": API, "tier": "api", "track": "shadow"})
    assert not kubectl.selector_matches(selector, {"app": "bharatcart-web", "tier": "api"})
    assert not kubectl.selector_matches(V1LabelSelector(), {"app": API})  # empty selects nothing
    assert kubectl.selector_string(selector) == "app=bharatcart-api,tier in (api,edge),!canary,track notin (shadow)"


def test_pods_of_selects_the_deployments_pods_only():
    dep = V1Deployment.from_dict(fixture("deployment_api.json"))
    pods = [V1Pod.from_dict(p) for p in api_pods() + web_pods()]
    assert [p.metadata.name for p in kubectl.pods_of(dep, pods)] == [p["metadata"]["name"] for p in api_pods()]


@pytest.mark.parametrize("case", fixture("log_pod_cases.json"), ids=lambda c: c["why"])
def test_log_pod_choice_follows_kubectl_by_logging(case):
    pods = [V1Pod.from_dict(p) for p in case["pods"]]
    assert kubectl.pick_log_pod(pods).metadata.name == case["expect"]
    assert kubectl.pick_log_pod(list(reversed(pods))).metadata.name == case["expect"]  # not the list order


def test_log_pod_choice_among_the_deployments_pods_only():
    dep = V1Deployment.from_dict(fixture("deployment_api.json"))
    everything = [V1Pod.from_dict(p) for p in web_pods() + api_pods()]
    assert kubectl.pick_log_pod(everything).metadata.name.startswith("bharatcart-web-")  # why filtering matters
    assert kubectl.pick_log_pod(kubectl.pods_of(dep, everything)).metadata.name == CHOSEN
    assert kubectl.pick_log_pod([]) is None


def test_default_container_is_the_annotated_one_else_the_first():
    pod = V1Pod.from_dict(api_pods()[0])
    assert kubectl.default_container(pod) == "api"
    pod.metadata.annotations[kubectl.DEFAULT_CONTAINER] = "proxy"
    assert kubectl.default_container(pod) == "proxy"
    pod.metadata.annotations[kubectl.DEFAULT_CONTAINER] = "gone"
    assert kubectl.default_container(pod) == "api"


# --- the same answer from the server's JSON and from the client's models ---------------------------------------------

def test_owned_replicasets_and_revisions_read_json_as_they_read_models():
    """The actions keep objects as raw JSON, the checks read typed models: both must get kubectl's answer."""
    dep, replicasets = fixture("deployment_api.json"), fixture("replicasets.json")["items"]
    from_json = [rs["metadata"]["name"] for rs in kubectl.owned_replicasets(dep, replicasets)]
    from_models = [rs.metadata.name for rs in kubectl.owned_replicasets(
        V1Deployment.from_dict(dep), [V1ReplicaSet.from_dict(rs) for rs in replicasets])]
    assert from_json == from_models and len(from_json) == 11
    assert kubectl.revision_of(dep) == kubectl.revision_of(V1Deployment.from_dict(dep)) == 11


def test_choose_revision_is_the_second_newest_or_the_one_asked_for():
    history = kubectl.owned_replicasets(fixture("deployment_api.json"), fixture("replicasets.json")["items"])
    assert kubectl.revision_of(kubectl.choose_revision(history, None)) == 10
    assert kubectl.revision_of(kubectl.choose_revision(history, 4)) == 4
    assert kubectl.choose_revision(history, 99) is None
    assert kubectl.choose_revision(history[:1], None) is None  # one revision: nothing to go back to


def test_selectors_read_json_as_they_read_models():
    selector = {"matchLabels": {"app": "api"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "backend"]},
                                     {"key": "canary", "operator": "DoesNotExist"}]}
    model = V1LabelSelector.from_dict(selector)
    assert kubectl.selector_string(selector) == kubectl.selector_string(model) == (
        "app=api,tier in (backend,web),!canary")
    for labels, matches in (({"app": "api", "tier": "web"}, True), ({"app": "api", "tier": "db"}, False),
                            ({"app": "api", "tier": "web", "canary": "1"}, False)):
        assert kubectl.selector_matches(selector, labels) is kubectl.selector_matches(model, labels) is matches

