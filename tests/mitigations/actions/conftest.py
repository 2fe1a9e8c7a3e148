"""The emulated API servers the action tests talk to."""

from __future__ import annotations

import pytest

from tests.kube_server import KubeServer
from tests.mitigations.actions.helpers import (
    ApplyingServer,
    deployment,
    replicasets,
    serve_scale,
)


@pytest.fixture
def api_server():
    with ApplyingServer() as server:
        yield server


@pytest.fixture
def cluster(api_server: KubeServer) -> KubeServer:
    """The api deployment at revision 10 with its ReplicaSets, another deployment's, an orphan; /scale served."""
    api_server.add(deployment(), *replicasets())
    serve_scale(api_server)
    return api_server
