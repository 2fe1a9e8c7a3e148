"""The runbook's Common Issues & Solutions: which checks to run, and what the runbook suggests."""

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Step:
    check: str
    params: dict = field(default_factory=dict)


class SolutionKind(StrEnum):
    """What a playbook's "Solution" becomes on the incident page (diagnostics/_panel.html draws each kind)."""

    SCALE_UP = "scale_up"  # the scale preview, prefilled with current replicas + 50 % within the target's bounds
    WATCH_MEMORY = "watch_memory"  # kubernetes.top every 15 s (diagnostics.watches)
    ROLLOUT_RESTART = "rollout_restart"  # the rolling restart's preview
    DELETE_POD = "delete_pod"  # one pod, from the pods table or a watch's flagged pod
    HEAP_SNAPSHOT = "heap_snapshot"  # the runbook's `node --inspect`: a link, nothing Warroom runs
    CONNECTIONS_BY_APPLICATION = "connections_by_application"  # who holds the connections: the leak
    CALL_ROLE = "call_role"  # a change Warroom does not make: who to call (incidents.extensions.contacts_for_role)


@dataclass(frozen=True)
class Solution:
    kind: SolutionKind
    label: str
    role: str = ""  # for CALL_ROLE


@dataclass(frozen=True)
class Playbook:
    slug: str
    title: str
    steps: tuple[Step, ...]
    solution: str
    solutions: tuple[Solution, ...] = ()


PLAYBOOKS = {
    p.slug: p
    for p in [
        Playbook(
            slug="api-timeout",
            title="API timeout",
            steps=(Step("kubernetes.logs", {"pattern": "timeout"}), Step("postgres.connections"),
                   Step("postgres.active_queries")),
            solution="Scale up or optimize queries.",
            solutions=(Solution(SolutionKind.SCALE_UP, "Scale up"),),
        ),
        Playbook(
            slug="high-memory",
            title="High memory usage",
            steps=(Step("kubernetes.top"), Step("redis.memory")),
            solution="Restart pods or fix the memory leak.",
            solutions=(Solution(SolutionKind.WATCH_MEMORY, "Watch memory"),
                       Solution(SolutionKind.HEAP_SNAPSHOT, "Take a heap snapshot first"),
                       Solution(SolutionKind.DELETE_POD, "Restart one pod"),
                       Solution(SolutionKind.ROLLOUT_RESTART, "Restart the deployment")),
        ),
        Playbook(
            slug="db-pool-exhausted",
            title="Database connection pool exhausted",
            steps=(Step("postgres.connections", {"group": "application"}), Step("postgres.active_queries")),
            solution="Increase max_connections or fix connection leaks.",
            solutions=(Solution(SolutionKind.CONNECTIONS_BY_APPLICATION, "Who holds the connections"),
                       Solution(SolutionKind.CALL_ROLE, "Increase max_connections", role="DBA")),
        ),
    ]
}

# Triage (runbook step 2, five minutes): health check, recent deployments, pods, connections, Redis memory.
TRIAGE = (Step("http.health"), Step("kubernetes.rollout_history"), Step("kubernetes.pods"),
          Step("postgres.connections"), Step("redis.memory"))

# The runbook's "Check memory leaks" line, shown beside a flagged pod: a heap snapshot before restarting it.
HEAP_SNAPSHOT_COMMAND = "node --inspect dist/index.js"
