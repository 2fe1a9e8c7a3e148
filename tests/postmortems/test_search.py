"""Full-text search on PostgreSQL (weights, stemming, highlighting, with filters) and its SQLite fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from incidents.models import Incident, Severity
from postmortems import selectors
from postmortems.models import ActionItem, PostMortem, PostMortemStatus
from tests.postmortems.reading_fixtures import DAY

pytestmark = pytest.mark.django_db

FILLER = "Traffic rose in the evening and the pager went off."


def search(user, q, **filters):
    return selectors.with_excerpts(selectors.postmortems_library(user=user, q=q, **filters), q)


def titles(rows):
    return [r.title for r in rows]


def test_title_beats_root_cause_beats_summary_beats_the_rest(make_postmortem, commander):
    # The same word once in each place; the rest of each post-mortem alike.
    make_postmortem("Lessons about caches", summary=FILLER, root_cause=FILLER, lessons_learned="The zanzibar cache.")
    make_postmortem("Summary about caches", summary="The zanzibar cache. " + FILLER, root_cause=FILLER)
    make_postmortem("Zanzibar cache", summary=FILLER, root_cause=FILLER)
    make_postmortem("Root cause about caches", summary=FILLER, root_cause="The zanzibar cache. " + FILLER)
    make_postmortem("Nothing to do with it", summary=FILLER, root_cause=FILLER)
    rows = search(commander, "zanzibar")
    assert titles(rows) == ["Zanzibar cache", "Root cause about caches", "Summary about caches",
                            "Lessons about caches"]
    assert rows[0].rank > rows[1].rank > rows[2].rank > rows[3].rank


def test_stemming_finds_other_forms_of_a_word(make_postmortem, commander):
    make_postmortem("Gateway timeout", root_cause="One timeout after another.")
    make_postmortem("Disk full")
    assert titles(search(commander, "timeouts")) == ["Gateway timeout"]
    assert titles(search(commander, "timing out")) == []  # a different word, not a stem of it
    make_postmortem("Requests timed out", summary="Clients were timing out.")
    assert titles(search(commander, "timing")) == ["Requests timed out"]


def test_websearch_syntax_phrases_or_and_not(make_postmortem, commander):
    make_postmortem("Redis memory full", summary="Evictions everywhere.")
    make_postmortem("Postgres memory leak", summary="A slow leak.")
    make_postmortem("Memory of the cache", summary="Redis again.")
    assert set(titles(search(commander, "memory -redis"))) == {"Postgres memory leak"}
    assert set(titles(search(commander, '"memory leak"'))) == {"Postgres memory leak"}
    assert set(titles(search(commander, "leak or evictions"))) == {"Postgres memory leak", "Redis memory full"}


def test_every_section_the_timeline_and_action_items_are_searched(make_postmortem, commander):
    for section in ("summary", "impact", "root_cause", "resolution", "lessons_learned"):
        make_postmortem(f"In {section}", **{section: "a quokka appeared"})
    make_postmortem("In the timeline", timeline=[{"at": DAY.isoformat(), "event": "Quokka paged", "entry": None}])
    make_postmortem("In an action item", action_items=[{"description": "Fence the quokka"}])
    make_postmortem("Service", service="quokka-api")
    make_postmortem("Nowhere")
    assert len(search(commander, "quokkas")) == 8
    assert "Nowhere" not in titles(search(commander, "quokka"))


def test_matches_are_highlighted_and_everything_else_escaped(make_postmortem, commander):
    make_postmortem("<script>alert(1)</script> timeout",
                    summary='x < y & "z": the timeout <img src=x onerror=alert(1)> hit.')
    [row] = search(commander, "timeout")
    excerpt = str(row.excerpt)
    assert "<mark>timeout</mark>" in excerpt
    assert "<script" not in excerpt and "<img" not in excerpt
    assert "&lt;img src=x onerror=alert" in excerpt
    # The only tags in the excerpt are the highlights.
    assert excerpt.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    title = str(row.title_html)
    assert title == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>timeout</mark>"


def test_the_library_page_shows_the_highlight_without_injecting(make_postmortem, as_commander):
    make_postmortem("Timeout <b onclick=alert(1)>bold</b>", summary="<script>alert('x')</script> timeout")
    body = as_commander.get("/postmortems/", {"q": "timeout"}).content.decode()
    assert "<mark>" in body
    assert "<script>alert" not in body and "<b onclick" not in body


def test_filters_combine_with_search(make_postmortem, commander):
    make_postmortem("Checkout timeout", severity="SEV1", service="checkout-api",
                    action_items=[{"description": "Add a retry"}])
    make_postmortem("Search timeout", severity="SEV1", service="search-api")
    make_postmortem("Checkout timeout again", severity="SEV3", service="checkout-api")
    make_postmortem("Checkout timeout draft", severity="SEV1", service="checkout-api", status=PostMortemStatus.DRAFT)
    make_postmortem("Checkout outage", severity="SEV1", service="checkout-api")
    sev1 = Severity.objects.get(name="SEV1")
    found = search(commander, "timeout", severity=sev1, service="checkout-api")
    assert set(titles(found)) == {"Checkout timeout", "Checkout timeout draft"}
    found = search(commander, "timeout", severity=sev1, service="checkout-api", status=PostMortemStatus.PUBLISHED)
    assert titles(found) == ["Checkout timeout"]
    assert titles(search(commander, "timeout", has_open_action_items=True)) == ["Checkout timeout"]


def test_a_viewer_finds_only_published_ones(make_postmortem, viewer, commander):
    make_postmortem("Published timeout")
    make_postmortem("Draft timeout", status=PostMortemStatus.DRAFT)
    make_postmortem("Review timeout", status=PostMortemStatus.IN_REVIEW)
    assert titles(search(viewer, "timeout")) == ["Published timeout"]
    assert len(search(commander, "timeout")) == 3


def test_an_explicit_sort_overrides_the_ranking(make_postmortem, commander):
    make_postmortem("Timeout timeout", declared_at=DAY - dt.timedelta(days=5))
    make_postmortem("Slow", summary="one timeout", declared_at=DAY)
    assert titles(search(commander, "timeout")) == ["Timeout timeout", "Slow"]
    assert titles(search(commander, "timeout", sort="-date")) == ["Slow", "Timeout timeout"]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "the", '"unclosed', "a & | ! (", "-", "timeout:*", "\\"])
def test_any_text_is_a_valid_query(make_postmortem, commander, q):
    make_postmortem("Timeout")
    search(commander, q)  # never a syntax error: websearch_to_tsquery accepts anything


# --- SQLite: `make run`'s database. A real SQLite connection beside the test's PostgreSQL one. ---

SQLITE = "postmortems_sqlite"


@pytest.fixture
def sqlite(db):
    """An in-memory SQLite database with the tables the selectors read, as a connection made for this test only
    (not in settings.DATABASES, so Django's test isolation lets it be used); gone after the test."""
    config = connections.configure_settings({"default": {"ENGINE": "django.db.backends.sqlite3"},
                                             SQLITE: {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    connection = SQLiteWrapper(config[SQLITE], alias=SQLITE)
    connections[SQLITE] = connection
    assert connections[SQLITE].vendor == "sqlite"
    with connection.schema_editor() as editor:
        for model in (ContentType, Permission, Group, User, Severity, Incident, PostMortem, ActionItem):
            editor.create_model(model)
    yield SQLITE
    connection.close()
    del connections[SQLITE]


def _sqlite_postmortem(alias, title, *, status=PostMortemStatus.PUBLISHED, service="checkout-api",
                       declared_at=DAY, summary="", root_cause="", n=0):
    user = User.objects.db_manager(alias).get_or_create(username="writer", is_superuser=True)[0]
    sev = Severity.objects.db_manager(alias).get_or_create(name="SEV2", level=2, label="High",
                                                           definition="High")[0]
    incident = Incident(title=title, severity=sev, status="resolved", service_affected=service, commander=user,
                        war_room=f"#incident-sqlite-{n}", declared_at=declared_at,
                        response_due_at=declared_at, resolved_at=declared_at + dt.timedelta(hours=1),
                        updated_at=declared_at)
    incident.save(using=alias)
    pm = PostMortem(incident=incident, status=status, title=title, service=service, summary=summary,
                    root_cause=root_cause, root_cause_html=f"<p>{root_cause}</p>", created_by=user, updated_by=user)
    pm.save(using=alias)
    return pm


def test_sqlite_searches_every_section_with_icontains_and_a_plain_excerpt(sqlite):
    _sqlite_postmortem(sqlite, "Gateway <b>Timeout</b>", n=1, root_cause="Pool exhausted")
    _sqlite_postmortem(sqlite, "Disk full", n=2, summary="The logs grew; a TIMEOUT followed <script>x</script>.")
    _sqlite_postmortem(sqlite, "Unrelated", n=3)
    writer = User.objects.db_manager(sqlite).get(username="writer")
    rows = selectors.with_excerpts(
        selectors.postmortems_library(user=writer, q="timeout", using=sqlite), "timeout")
    assert [r.title for r in rows] == ["Disk full", "Gateway <b>Timeout</b>"]  # newest first: no ranking
    assert not hasattr(rows[0], "rank")
    assert str(rows[1].excerpt) == "Gateway &lt;b&gt;<mark>Timeout</mark>&lt;/b&gt;"
    assert "<mark>TIMEOUT</mark>" in str(rows[0].excerpt) and "<script>" not in str(rows[0].excerpt)


def test_sqlite_search_combines_with_filters_and_visibility(sqlite):
    _sqlite_postmortem(sqlite, "Checkout timeout", n=1)
    _sqlite_postmortem(sqlite, "Search timeout", n=2, service="search-api")
    _sqlite_postmortem(sqlite, "Draft timeout", n=3, status=PostMortemStatus.DRAFT)
    writer = User.objects.db_manager(sqlite).get(username="writer")
    reader = User.objects.db_manager(sqlite).create(username="reader")
    # Permissions are read from the default database: a reader there with the same id views incidents.
    viewer = User.objects.create(pk=reader.pk, username="reader")
    viewer.groups.add(Group.objects.get(name="viewer"))
    found = selectors.postmortems_library(user=writer, q="timeout", service="checkout-api", using=sqlite)
    assert {p.title for p in found} == {"Checkout timeout", "Draft timeout"}
    found = selectors.postmortems_library(user=reader, q="timeout", using=sqlite)
    assert {p.title for p in found} == {"Checkout timeout", "Search timeout"}


def test_sqlite_similar_incidents_share_the_service_or_title_words(sqlite):
    _sqlite_postmortem(sqlite, "Checkout database timeout", n=1, root_cause="Pool **exhausted**")
    _sqlite_postmortem(sqlite, "Payments database timeout", n=2, service="payments")
    _sqlite_postmortem(sqlite, "Checkout deploy", n=3)
    _sqlite_postmortem(sqlite, "Unrelated thing", n=4, service="search")
    _sqlite_postmortem(sqlite, "Checkout database timeout draft", n=5, status=PostMortemStatus.DRAFT)
    sev = Severity.objects.db_manager(sqlite).get(name="SEV2")
    now = DAY + dt.timedelta(days=30)
    incident = Incident(title="Database timeout on checkout", severity=sev, status="investigating",
                        service_affected="checkout-api", war_room="#incident-now", declared_at=now,
                        response_due_at=now)
    incident.save(using=sqlite)
    found = selectors.similar_postmortems(incident=incident, using=sqlite)
    # Shared title words count one each, the same service two; the draft and the unrelated one never show.
    assert [p.title for p in found] == ["Checkout database timeout", "Checkout deploy", "Payments database timeout"]
    assert found[0].root_cause_line == "Pool **exhausted**"
