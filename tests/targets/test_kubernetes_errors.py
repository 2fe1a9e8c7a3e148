"""The cluster's failures as ClusterErrors naming the API server (targets.kubernetes.errors), and the session's
timeout.

The pure parts run on JSON fixtures (tests/fixtures/k8s/); no test here needs the database or a server.
"""

from __future__ import annotations

import json

from kubernetes.client.exceptions import ApiException

from targets.kubernetes.client import DEFAULT_TIMEOUT, timeout_of
from targets.kubernetes.errors import translate
from targets.models import Target


def _api_error(status: int, reason: str, message: str) -> ApiException:
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                       "reason": reason, "code": status})
    return ApiException(status=status, reason=reason, body=body)


def test_api_errors_become_messages_naming_the_server():
    where = {"server": "https://k8s.example.com:6443", "timeout": 5, "doing": "reading deployment x"}
    forbidden = _api_error(403, "Forbidden", 'deployments.apps "x" is forbidden: User "warroom" cannot get')
    assert str(translate(forbidden, **where)) == (
        "Kubernetes API at https://k8s.example.com:6443 does not allow reading deployment x (403 Forbidden): "
        'deployments.apps "x" is forbidden: User "warroom" cannot get')
    assert "401 Unauthorized" in str(translate(_api_error(401, "Unauthorized", "Unauthorized"), **where))
    assert str(translate(_api_error(404, "NotFound", "gone"), **where, not_found="deployment x not found")) \
        == "deployment x not found"
    assert "answered 503 Service Unavailable while reading deployment x: metrics down" in \
        str(translate(_api_error(503, "Service Unavailable", "metrics down"), **where))


def test_a_zero_timeout_still_gets_one():
    assert timeout_of(Target(timeout_seconds=0)) == DEFAULT_TIMEOUT
    assert timeout_of(Target(timeout_seconds=2)) == 2
