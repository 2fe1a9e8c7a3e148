"""The post-mortem's full-text vector: title > root cause > summary > the rest, in English (so stemming works)."""

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value

from postmortems.models import PostMortem

CONFIG = "english"


def search_vector_update(*, postmortem_id: int) -> None:
    """Recompute the stored vector after an edit; SQLite has none (its search is a plain icontains)."""
    if connection.vendor != "postgresql":
        return
    vector = (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("root_cause", weight="B", config=CONFIG)
        + SearchVector("summary", weight="C", config=CONFIG)
        + SearchVector("service", "impact", "resolution", "lessons_learned", weight="D", config=CONFIG)
        + SearchVector(Value(_action_items_text(postmortem_id)), weight="D", config=CONFIG)
        + SearchVector(Value(_timeline_text(postmortem_id)), weight="D", config=CONFIG)
    )
    PostMortem.objects.filter(pk=postmortem_id).update(search_vector=vector)


def _action_items_text(postmortem_id: int) -> str:
    from postmortems.models import ActionItem

    return "\n".join(ActionItem.objects.filter(postmortem_id=postmortem_id).values_list("description", flat=True))


def _timeline_text(postmortem_id: int) -> str:
    """The Timeline table's events, one a line (the rows are JSON: {"at", "event", "entry"})."""
    rows = PostMortem.objects.filter(pk=postmortem_id).values_list("timeline", flat=True).first() or []
    return timeline_text(rows)


def timeline_text(rows: list) -> str:
    return "\n".join(str(row.get("event", "")) for row in rows if isinstance(row, dict))
