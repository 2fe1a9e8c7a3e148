"""The bench's post-mortems: 2,000 published ones on past incidents, about 1,500 words and 3 action items each.

Called by seed.py inside its Django process. Rows go in with bulk_create, the search vectors in one UPDATE with
the same weights as postmortems/search.py (title A, root cause B, summary C, the rest D, the action items and the
timeline's events included), then VACUUM ANALYZE. The prose is drawn from a fixed vocabulary with a fixed seed;
each post-mortem's root cause is one of THEMES, so a search for a theme matches about one in twenty.
"""

import datetime as dt
import html
import random

COUNT = 2_000
WORDS = 1_500
ITEMS = 3
# Share of each section in the words, in the runbook's order.
SHARES = {"summary": 0.10, "impact": 0.08, "root_cause": 0.27, "resolution": 0.20, "lessons_learned": 0.35}
THEMES = [
    "connection pool exhausted", "certificate expired", "memory leak in the image resizer", "bad feature flag",
    "disk full on the log volume", "slow query after a migration", "DNS resolution timeouts", "retry storm",
    "cache stampede", "expired API token", "clock skew", "queue consumer deadlock", "noisy neighbour on the node",
    "misconfigured load balancer", "rate limit at the payment provider", "schema change locked the table",
    "out of file descriptors", "garbage collection pauses", "a bad deploy of the mobile gateway",
    "replication lag on the read replica",
]
_WORDS = (
    "the a of to and in on for with during after before while until because then latency requests errors "
    "service database primary replica workers pods nodes cluster deploy rollout rollback alert pager "
    "dashboard metrics logs traces customers checkout payments search orders api gateway queue consumer "
    "timeout retry backoff throughput capacity saturation threshold spike recovery investigation "
    "engineers commander responder mitigation monitoring graph percentile baseline traffic region zone "
    "failover runbook incident escalation vendor status page configuration release change window freeze "
    "canary health probe readiness liveness memory cpu disk network packet loss jitter cache hit ratio "
    "eviction index vacuum lock transaction deadlock replication lag backlog growth users impact revenue "
    "minutes hours slowly quickly clearly eventually manually automatically again never always first "
    "second team on-call handover"
)
VOCABULARY = _WORDS.split()
ACTIONS = ["Add an alert on {}", "Write a runbook entry for {}", "Load-test {}", "Add a dashboard panel for {}",
           "Automate the fix for {}", "Review the limits behind {}"]


def _prose(rng: random.Random, words: int, theme: str) -> str:
    """Paragraphs of about 60 words, the theme said now and then (as a real write-up keeps coming back to it)."""
    paragraphs, left = [], words
    while left > 0:
        n = min(left, 60)
        chosen = rng.choices(VOCABULARY, k=n)
        if rng.random() < 0.5:
            chosen[rng.randrange(n)] = theme
        sentence = " ".join(chosen)
        paragraphs.append(sentence[0].upper() + sentence[1:] + ".")
        left -= n
    return "\n\n".join(paragraphs)


def _html(markdown: str) -> str:
    """What python-markdown and nh3 make of plain paragraphs."""
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in markdown.split("\n\n"))


def seed_postmortems(people: dict) -> int:
    from django.db import connection, transaction

    from incidents.models import Incident
    from postmortems.models import ActionItem, PostMortem, PostMortemStatus, Revision

    rng = random.Random(2000)
    owners = list(people.values())
    writer = people["bench"]
    # Every fifth past incident, oldest first: spread over the whole ~1,000 days.
    incidents = list(Incident.objects.closed().order_by("declared_at", "pk")
                     .only("pk", "title", "service_affected", "users_affected", "declared_at", "acknowledged_at",
                           "investigating_at", "mitigating_at", "monitoring_at", "resolved_at")[: COUNT * 5: 5])
    rows, plans = [], []
    for incident in incidents:
        theme = rng.choice(THEMES)
        sections = {name: _prose(rng, int(WORDS * share), theme) for name, share in SHARES.items()}
        sections["root_cause"] = f"The {theme}.\n\n" + sections["root_cause"]
        timeline = [{"at": at.isoformat(), "event": event, "entry": None} for event, at in (
            ("Incident detected", incident.declared_at), ("Acknowledged", incident.acknowledged_at),
            ("Investigation started", incident.investigating_at), ("Fix deployed", incident.mitigating_at),
            ("Monitoring", incident.monitoring_at), ("Incident resolved", incident.resolved_at)) if at]
        published = incident.resolved_at + dt.timedelta(days=rng.randrange(1, 10))
        rows.append(PostMortem(
            incident=incident, status=PostMortemStatus.PUBLISHED, title=f"{incident.title}: {theme}",
            service=incident.service_affected, users_affected=incident.users_affected,
            downtime=incident.resolved_at - incident.declared_at, timeline=timeline, revision=1,
            created_by_id=writer, updated_by_id=writer, created_at=incident.resolved_at, updated_at=published,
            published_at=published, **sections, **{f"{n}_html": _html(t) for n, t in sections.items()}))
        plans.append([(rng.choice(ACTIONS).format(theme), rng.choice(owners),
                       (incident.resolved_at + dt.timedelta(days=rng.randrange(7, 60))).date(),
                       rng.random() < 0.6) for _ in range(ITEMS)])
    with transaction.atomic():
        pms = PostMortem.objects.bulk_create(rows, batch_size=200)
        # One revision each, as the services write on publication (the snapshot kept short: nothing here reads it).
        Revision.objects.bulk_create(
            (Revision(postmortem=pm, number=1, status=pm.status, content={"title": pm.title}, change="Published",
                      by_id=writer, created_at=pm.published_at) for pm in pms), batch_size=2000)
        ActionItem.objects.bulk_create(
            (ActionItem(postmortem=pm, description=description, owner_id=owner, due_date=due,
                        status="done" if done else "open", done_at=pm.published_at if done else None,
                        created_by_id=writer, updated_by_id=writer, created_at=pm.created_at,
                        updated_at=pm.updated_at)
             for pm, items in zip(pms, plans, strict=True) for description, owner, due, done in items),
            batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("""
                UPDATE postmortems_postmortem p SET search_vector =
                    setweight(to_tsvector('english', p.title), 'A')
                    || setweight(to_tsvector('english', p.root_cause), 'B')
                    || setweight(to_tsvector('english', p.summary), 'C')
                    || setweight(to_tsvector('english', concat_ws(' ', p.service, p.impact, p.resolution,
                                                                  p.lessons_learned)), 'D')
                    || setweight(to_tsvector('english', coalesce((
                           SELECT string_agg(a.description, E'\\n') FROM postmortems_actionitem a
                           WHERE a.postmortem_id = p.id), '')), 'D')
                    || setweight(to_tsvector('english', coalesce((
                           SELECT string_agg(e.value ->> 'event', E'\\n')
                           FROM jsonb_array_elements(p.timeline) e), '')), 'D')
            """)
    return len(pms)
