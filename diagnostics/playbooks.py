"""The runbook's Common Issues & Solutions: which checks to run, and what the runbook suggests."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    check: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Playbook:
    slug: str
    title: str
    steps: tuple[Step, ...]
    solution: str


PLAYBOOKS = {
    p.slug: p
    for p in [
        Playbook(
            slug="api-timeout",
            title="API timeout",
            steps=(Step("kubernetes.logs", {"pattern": "timeout"}), Step("postgres.connections"),
                   Step("postgres.active_queries")),
            solution="Scale up or optimize queries.",
        ),
        Playbook(
            slug="high-memory",
            title="High memory usage",
            steps=(Step("kubernetes.top"), Step("redis.memory")),
            solution="Restart pods or fix the memory leak.",
        ),
        Playbook(
            slug="db-pool-exhausted",
            title="Database connection pool exhausted",
            steps=(Step("postgres.connections", {"group": "application"}), Step("postgres.active_queries")),
            solution="Increase max_connections or fix connection leaks.",
        ),
    ]
}

# Triage (runbook step 2, five minutes): health check, recent deployments, pods, connections, Redis memory.
TRIAGE = (Step("http.health"), Step("kubernetes.rollout_history"), Step("kubernetes.pods"),
          Step("postgres.connections"), Step("redis.memory"))
