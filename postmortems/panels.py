"""Post-mortem sections of the incident page (registered with incidents.extensions in apps.py)."""

from django.core.cache import cache

from postmortems import selectors

# Ranking every published post-mortem against an incident's words reads each one's search vector: ~20 ms with
# 2,000 of them when the words are common. The answer changes only when the incident (its version) or some
# post-mortem (a new Revision row) changes, so it is kept for the pair; the timeout only bounds what a write that
# skipped its revision could leave.
SIMILAR_CACHE_SECONDS = 600


def similar_context(request, incident) -> dict:
    """Similar past incidents, on open incidents only: the three best-matching published post-mortems.

    One query (the newest revision's id) when the answer is cached, two when it is not."""
    if not incident.is_open:
        return {"show": False, "similar": []}
    key = f"postmortems:similar:{incident.pk}:{incident.version}:{selectors.library_token()}"
    similar = cache.get(key)
    if similar is None:
        similar = selectors.similar_postmortems(incident=incident)
        cache.set(key, similar, SIMILAR_CACHE_SECONDS)
    return {"show": True, "similar": similar}
