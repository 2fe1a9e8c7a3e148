"""The targets and clusters these tests break things against are the diagnostics' and mitigations' own."""

from tests.diagnostics.conftest import pg_target  # noqa: F401
from tests.mitigations.conftest import cluster, incident_at, k8s_target  # noqa: F401
