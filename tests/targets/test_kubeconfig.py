"""Kubernetes the way kubectl finds it: $KUBECONFIG's files merged (first value wins), else ~/.kube/config.

The input is real files and a real environment (HOME and KUBECONFIG point into a temporary directory); the runs
go to the kmock API server. The kubernetes client is not patched.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from kubernetes.config import ConfigException

from diagnostics.checks import REGISTRY
from diagnostics.demo import seed_targets
from targets.kubernetes.client import Kubeconfig, find_kubeconfig
from targets.kubernetes.errors import ClusterError
from targets.models import Target
from tests.kube_server import KubeServer, fixture, free_port


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty home directory and no KUBECONFIG: nothing for kubectl to find until a test writes it."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path / "home"


def write(path: Path, *, current: str | None = None, contexts=(), clusters=(), users=()) -> str:
    """A kubeconfig file (JSON is YAML); contexts are (name, cluster, user, namespace or None)."""
    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": name, "cluster": {"server": server}} for name, server in clusters],
           "users": [{"name": name, "user": {"token": token}} for name, token in users],
           "contexts": [{"name": name, "context": {"cluster": cluster, "user": user,
                                                   **({"namespace": ns} if ns else {})}}
                        for name, cluster, user, ns in contexts]}
    if current is not None:
        doc["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return str(path)


def kubeconfig_env(monkeypatch, *paths: str) -> None:
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(paths))


# --- which files, which context, which namespace -------------------------------------------------------------------


def test_kubeconfig_list_is_merged_with_the_first_file_that_sets_a_value_winning(home, tmp_path, monkeypatch):
    first = write(tmp_path / "a.yaml", current="prod", contexts=[("prod", "c", "u", "shop")])
    second = write(tmp_path / "b.yaml", current="staging",
                   contexts=[("prod", "c", "u", "ignored"), ("staging", "c", "u", "stage")])
    write(home / ".kube" / "config", current="home", contexts=[("home", "c", "u", "home-ns")])
    kubeconfig_env(monkeypatch, str(tmp_path / "missing.yaml"), first, second)
    assert find_kubeconfig() == Kubeconfig(files=[first, second], context="prod", namespace="shop")


def test_a_later_file_fills_in_what_the_first_does_not_set(home, tmp_path, monkeypatch):
    first = write(tmp_path / "a.yaml", contexts=[("other", "c", "u", None)])  # no current-context here
    second = write(tmp_path / "b.yaml", current="prod", contexts=[("prod", "c", "u", "shop")])
    kubeconfig_env(monkeypatch, first, second)
    assert find_kubeconfig() == Kubeconfig(files=[first, second], context="prod", namespace="shop")


def test_without_kubeconfig_env_the_home_config_is_used_and_the_namespace_defaults(home):
    config = write(home / ".kube" / "config", current="dev", contexts=[("dev", "c", "u", None)])
    assert find_kubeconfig() == Kubeconfig(files=[config], context="dev", namespace="default")


def test_a_kubeconfig_list_of_missing_files_falls_back_to_the_home_config(home, tmp_path, monkeypatch):
    config = write(home / ".kube" / "config", current="dev", contexts=[("dev", "c", "u", "dev-ns")])
    kubeconfig_env(monkeypatch, str(tmp_path / "nope.yaml"))
    assert find_kubeconfig().files == [config]


def test_no_kubeconfig_anywhere_is_an_error(home, tmp_path, monkeypatch):
    kubeconfig_env(monkeypatch, str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigException):
        find_kubeconfig()


# --- a target with a blank kubeconfig, at run time -----------------------------------------------------------------


@pytest.fixture
def cluster():
    """The api deployment and its replica sets in namespace shop."""
    with KubeServer() as server:
        objects = [fixture("deployment_api.json"), *fixture("replicasets.json")["items"]]
        for obj in objects:
            obj["metadata"]["namespace"] = "shop"
        server.add(*objects)
        yield server


def two_files(tmp_path, cluster) -> tuple[str, str]:
    """The first file's current context reaches the cluster; the second's would be refused."""
    first = write(tmp_path / "a.yaml", current="prod", contexts=[("prod", "kmock", "oncall", "shop")],
                  clusters=[("kmock", cluster.url)], users=[("oncall", "first-t0ken")])
    second = write(tmp_path / "b.yaml", current="other", contexts=[("other", "nowhere", "oncall", None)],
                   clusters=[("nowhere", f"http://127.0.0.1:{free_port()}"), ("kmock", "http://ignored")],
                   users=[("oncall", "second-t0ken")])
    return first, second


def test_a_blank_kubeconfig_follows_kubectl_at_run_time(home, tmp_path, monkeypatch, cluster):
    kubeconfig_env(monkeypatch, *two_files(tmp_path, cluster))  # set after the client was imported
    target = Target(kind="kubernetes", namespace="shop", deployment="bharatcart-api", timeout_seconds=2)
    result = REGISTRY["kubernetes.rollout_history"].run(target, {})
    assert result.rows and "revision 11" in result.summary
    assert {r.headers.get("Authorization") for r in cluster.requests()} == {"Bearer first-t0ken"}


def test_a_blank_kubeconfig_without_any_file_says_where_it_looked(home, tmp_path, monkeypatch):
    kubeconfig_env(monkeypatch, str(tmp_path / "nope.yaml"))
    target = Target(kind="kubernetes", deployment="bharatcart-api", timeout_seconds=2)
    with pytest.raises(ClusterError, match=rf"^Could not load kubeconfig KUBECONFIG={tmp_path}/nope.yaml or "
                                         r"~/.kube/config: no such file$"):
        REGISTRY["kubernetes.pods"].run(target, {})


# --- manage.py demo -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_targets_follow_kubectl_and_the_server_port(home, tmp_path, monkeypatch, cluster):
    first, second = two_files(tmp_path, cluster)
    kubeconfig_env(monkeypatch, first, second)
    monkeypatch.setenv("PORT", "8765")
    seed_targets(io.StringIO())

    assert Target.objects.get(name="warroom").url == "http://127.0.0.1:8765/healthz"
    kubernetes = Target.objects.get(name="kubernetes")
    assert (kubernetes.kubeconfig, kubernetes.kube_context, kubernetes.namespace) == ("", "", "shop")
    assert kubernetes.description == f"As kubectl: {first}, {second}, context prod"
    kubernetes.full_clean()
    result = REGISTRY["kubernetes.rollout_history"].run(kubernetes, {})  # the seeded target works as seeded
    assert "revision 11" in result.summary


@pytest.mark.django_db
def test_demo_without_kubeconfig_or_port_uses_the_defaults(home, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    seed_targets(io.StringIO())
    assert Target.objects.get(name="warroom").url == "http://127.0.0.1:8000/healthz"
    assert not Target.objects.filter(kind="kubernetes").exists()


@pytest.mark.django_db
def test_demo_from_the_home_config_takes_its_context_namespace(home):
    write(home / ".kube" / "config", current="dev", contexts=[("dev", "c", "u", "dev-ns")])
    seed_targets(io.StringIO())
    assert Target.objects.get(name="kubernetes").namespace == "dev-ns"


def test_an_unparsable_kubeconfig_is_not_quoted_in_the_error(home, tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text("users:\n- name: oncall\n  user: {token: s3cret-t0ken: x}\n")
    kubeconfig_env(monkeypatch, str(broken))
    target = Target(kind="kubernetes", deployment="bharatcart-api", timeout_seconds=2)
    with pytest.raises(ClusterError, match=rf"^Could not load kubeconfig KUBECONFIG={broken} or ~/.kube/config: ") as e:
        REGISTRY["kubernetes.pods"].run(target, {})
    assert "s3cret" not in str(e.value)
