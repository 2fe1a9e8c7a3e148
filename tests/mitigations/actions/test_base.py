"""What every action shares: registered with its runbook line, and a target's failure (a silent or refusing API
server) becoming an ActionError in time.

The server is kmock's emulator in a thread (tests/kube_server.py); the kubernetes client is never patched.
"""

from __future__ import annotations

import time

import pytest

from mitigations.actions import REGISTRY, ActionError, rollout
from tests.kube_server import black_hole, free_port
from tests.mitigations.actions.helpers import (
    action,
    execute,
    manifest,
    preview,
    target,
)


def test_actions_are_registered_with_their_runbook_lines():
    assert {name: (a.destructive, a.changes_cluster) for name, a in REGISTRY.items()
            if name.startswith("kubernetes.")} == {
        "kubernetes.rollout_undo": (True, True), "kubernetes.scale": (False, True),
        "kubernetes.maintenance_on": (True, True), "kubernetes.maintenance_off": (True, True),
        "kubernetes.rollout_status": (False, False),
        # not destructive in the two-commander sense (README, "Two commanders, and restarts")
        "kubernetes.rollout_restart": (False, True), "kubernetes.delete_pod": (False, True)}
    assert action("kubernetes.maintenance_on").runbook == "kubectl apply -f k8s/maintenance-mode.yaml"


# --- down API servers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "params", "kwargs"), [
    ("kubernetes.rollout_undo", None, {}),
    ("kubernetes.scale", {"replicas": 4}, {}),
    ("kubernetes.maintenance_on", None, {"manifest": manifest()}),
    ("kubernetes.maintenance_off", None, {"manifest": manifest()}),
    ("kubernetes.rollout_status", None, {}),
    ("kubernetes.rollout_restart", None, {}),
    ("kubernetes.delete_pod", {"pod": "bharatcart-api-x"}, {}),
])
def test_a_silent_api_server_gives_an_action_error_within_the_timeout(name, params, kwargs):
    with black_hole() as url:
        started = time.monotonic()
        with pytest.raises(ActionError) as caught:
            preview(name, target(url, timeout_seconds=1), params, **kwargs)
        elapsed = time.monotonic() - started
    assert elapsed < 1 + 1
    assert str(caught.value).startswith(f"Kubernetes API at {url} did not answer within 1 s while ")


def test_follow_against_a_silent_api_server(api_server):
    with black_hole() as url:
        started = time.monotonic()
        with pytest.raises(ActionError, match="did not answer within 1 s while reading deployment bharatcart-api"):
            rollout.follow(target(url, timeout_seconds=1), deadline_seconds=30, on_progress=lambda p: None)
        assert time.monotonic() - started < 2


def test_a_refused_connection_fails_fast():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ActionError) as caught:
        execute("kubernetes.scale", target(url), {"replicas": 4})
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"Kubernetes API at {url} refused the connection (is the server up and the port right?)"
