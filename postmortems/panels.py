"""Post-mortem sections of the incident page (registered with incidents.extensions in apps.py)."""

from postmortems import selectors


def similar_context(request, incident) -> dict:
    """Similar past incidents, on open incidents only: the three best-matching published post-mortems (1 query)."""
    if not incident.is_open:
        return {"show": False, "similar": []}
    return {"show": True, "similar": selectors.similar_postmortems(incident=incident)}
