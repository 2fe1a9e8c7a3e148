"""Fixtures of the post-mortem tests."""

from tests.postmortems.reading_fixtures import make_postmortem  # noqa: F401  (reading: library, search, export)
