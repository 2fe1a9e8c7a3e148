"""Reads of post-mortems: the library (filters, sort, search) and the similar past incidents of an open one.

PostgreSQL searches the stored weighted vector (postmortems/search.py) with `websearch_to_tsquery`, ranks with
`ts_rank` and highlights with `ts_headline`; SQLite (`make run`'s database) falls back to `icontains` over the
sections, unranked, with a plain excerpt. Every function takes `using`, so the fallback is tested on a real
SQLite connection beside the PostgreSQL one.
"""

from __future__ import annotations

import datetime as dt
import html
import operator
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from incidents.models import Incident, Severity
from postmortems.models import SECTIONS, ActionItem, ActionItemStatus, PostMortem, PostMortemStatus, Revision
from postmortems.search import CONFIG

# How the library sorts: newest first unless asked; when searching, best match first unless asked.
SORTS: dict[str, tuple[str, ...]] = {
    "-date": ("-incident__declared_at", "-pk"),
    "date": ("incident__declared_at", "pk"),
    "-duration": ("-duration", "-incident__declared_at", "-pk"),
    "duration": ("duration", "-incident__declared_at", "-pk"),
}
SORT_LABELS = {"": "Best match, or newest", "-date": "Newest first", "date": "Oldest first",
               "-duration": "Longest first", "duration": "Shortest first"}

# ts_headline marks matches with these; the text is escaped, then they become <mark>…</mark> (see highlight()).
START, STOP = "\x02", "\x03"
# The library's list does not need the sections' text (tens of KB each): only a search's excerpt reads them.
SECTION_COLUMNS = [*SECTIONS, *(f"{name}_html" for name in SECTIONS), "timeline", "search_vector"]

SIMILAR = 3
SIMILAR_WORDS = 40  # an incident's words that make its OR-query; enough for a title, a summary and a service
WORD = re.compile(r"\w+")
# Words too common to say two incidents are alike (SQLite's fallback; PostgreSQL drops its own stop words).
COMMON = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into", "is", "it",
    "its", "no", "not", "of", "on", "or", "our", "that", "the", "their", "then", "there", "these", "this", "to",
    "was", "were", "will", "with",
))


def _is_postgresql(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def postmortems_visible(user: AbstractBaseUser | AnonymousUser, *,
                        using: str = DEFAULT_DB_ALIAS) -> QuerySet[PostMortem]:
    """What a person may read (`PostMortemQuerySet.visible_to`): writers every post-mortem, viewers the
    published ones, others none; with the incident, its severity and commander joined."""
    return PostMortem.objects.using(using).with_incident().visible_to(user)


def open_action_items_count() -> Coalesce:
    """The open action items of each row, as a correlated subquery: counted in the same query, no GROUP BY."""
    counts = (ActionItem.objects.filter(postmortem=OuterRef("pk"), status=ActionItemStatus.OPEN)
              .order_by().values("postmortem").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def postmortems_library(
    *,
    user: AbstractBaseUser | AnonymousUser,
    q: str = "",
    severity: Severity | int | None = None,
    status: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    service: str = "",
    has_open_action_items: bool | None = None,
    sort: str = "",
    using: str = DEFAULT_DB_ALIAS,
) -> QuerySet[PostMortem]:
    """The library: what `user` may read, filtered, searched and sorted, each row with `open_action_items`
    and `duration` (and `rank`, `headline` when searching on PostgreSQL). Dates are the incident's declared
    day, both ends included, in the site's time zone. Render a page's rows through `with_excerpts`."""
    if sort not in ("", *SORTS):
        raise ValueError(f"Unknown sort {sort!r}; choose one of {', '.join(SORTS)}.")
    postmortems = postmortems_visible(user, using=using).annotate(
        open_action_items=open_action_items_count(),
        duration=ExpressionWrapper(F("incident__resolved_at") - F("incident__declared_at"),
                                   output_field=DurationField()),
    )
    if severity:
        postmortems = postmortems.filter(incident__severity=severity)
    if status:
        postmortems = postmortems.filter(status=status)
    if since:
        postmortems = postmortems.filter(incident__declared_at__gte=_day_start(since))
    if until and until < dt.date.max:  # the calendar's last day has no next day: no upper bound then
        postmortems = postmortems.filter(incident__declared_at__lt=_day_start(until + dt.timedelta(days=1)))
    if service:
        postmortems = postmortems.filter(service__iexact=service.strip())
    if has_open_action_items is not None:
        has_open = Exists(ActionItem.objects.filter(postmortem=OuterRef("pk"), status=ActionItemStatus.OPEN))
        postmortems = postmortems.filter(has_open if has_open_action_items else ~has_open)
    q = q.strip()
    if not q:
        return postmortems.defer(*SECTION_COLUMNS).order_by(*SORTS[sort or "-date"])
    if _is_postgresql(using):
        return _searched_postgresql(postmortems, q, sort)
    return _searched_sqlite(postmortems, q, sort)


# The excerpt comes from the first section that matches on its own, cheapest first (ts_headline parses the whole
# text it is given: over all ~1,500 words of 25 rows it was most of a search's time); the title is highlighted
# apart. Without such a section (the words are spread over several, or only in the title, service, timeline or
# action items) the summary's start is the excerpt.
EXCERPT_SECTIONS = ("summary", "impact", "root_cause", "resolution", "lessons_learned")


def _matches(field: str, query: SearchQuery) -> Func:
    return Func(SearchVector(field, config=CONFIG), query, template="(%(expressions)s)", arg_joiner=" @@ ",
                output_field=BooleanField())


def _headline(field: str, query: SearchQuery, **options: Any) -> SearchHeadline:
    return SearchHeadline(field, query, config=CONFIG, start_sel=START, stop_sel=STOP, **options)


def _searched_postgresql(postmortems: QuerySet[PostMortem], q: str, sort: str) -> QuerySet[PostMortem]:
    query = SearchQuery(q, search_type="websearch", config=CONFIG)
    fragments = {"max_words": 30, "min_words": 12, "max_fragments": 2, "fragment_delimiter": " … "}
    excerpt = Case(*(When(_matches(name, query), then=_headline(name, query, **fragments))
                     for name in EXCERPT_SECTIONS),
                   default=_headline("summary", query, **fragments), output_field=TextField())
    postmortems = (
        postmortems.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query), headline=excerpt,
                  title_headline=_headline("title", query, highlight_all=True))
        .defer(*SECTION_COLUMNS)
    )
    return postmortems.order_by(*SORTS[sort]) if sort else postmortems.order_by("-rank", "-incident__declared_at",
                                                                              "-pk")


def _searched_sqlite(postmortems: QuerySet[PostMortem], q: str, sort: str) -> QuerySet[PostMortem]:
    """The fallback: any section (or the title, service, timeline) containing the words as typed; no ranking."""
    matches = Q(title__icontains=q) | Q(service__icontains=q) | Q(timeline__icontains=q)
    for name in SECTIONS:
        matches |= Q(**{f"{name}__icontains": q})
    return postmortems.filter(matches).order_by(*SORTS[sort or "-date"])


def highlight(marked: str) -> SafeString:
    """ts_headline's text, escaped, with its START/STOP markers turned into <mark>: nothing else is markup."""
    return mark_safe(  # escaped just above; only our own <mark> tags are added
        html.escape(marked).replace(START, "<mark>").replace(STOP, "</mark>"))


def plain_excerpt(postmortem: PostMortem, q: str, width: int = 160) -> SafeString:
    """SQLite's excerpt: the first section holding the words, around them, escaped, the words marked."""
    needle = q.strip().lower()
    for text in (postmortem.title, *(getattr(postmortem, name) for name in SECTIONS), postmortem.service):
        at = text.lower().find(needle) if needle else -1
        if at < 0:
            continue
        start, end = max(0, at - width // 2), min(len(text), at + len(needle) + width // 2)
        before, match, after = text[start:at], text[at:at + len(needle)], text[at + len(needle):end]
        return mark_safe(  # every piece escaped
            ("… " if start else "") + html.escape(before) + "<mark>" + html.escape(match) + "</mark>"
            + html.escape(after) + (" …" if end < len(text) else ""))
    return mark_safe("")


def with_excerpts(postmortems: Iterable[PostMortem], q: str) -> list[PostMortem]:
    """A page's rows, each with `excerpt` (safe HTML) when searching: the highlight, or SQLite's excerpt; and
    `title_html`, the title with its matches marked (PostgreSQL; None otherwise)."""
    rows = list(postmortems)
    for row in rows:
        title = None
        if not q.strip():
            excerpt = mark_safe("")
        elif hasattr(row, "headline"):
            excerpt = highlight(row.headline or "")
            title = highlight(getattr(row, "title_headline", None) or row.title)
        else:
            excerpt = plain_excerpt(row, q)
        row.excerpt = excerpt  # type: ignore[attr-defined]
        row.title_html = title  # type: ignore[attr-defined]
    return rows


def root_cause_line(postmortem: PostMortem, length: int = 160) -> str:
    """The root cause in one line of plain text (from its sanitised HTML, so no Markdown marks)."""
    text = " ".join(strip_tags(postmortem.root_cause_html or postmortem.root_cause).split())
    return Truncator(html.unescape(text)).chars(length)


def library_token(*, using: str = DEFAULT_DB_ALIAS) -> str:
    """Changes whenever any post-mortem changes: every write of one (creation, edit, publication) adds a Revision
    row, so the newest revision's id says it. One index-only lookup, whatever the number of post-mortems."""
    latest = Revision.objects.using(using).aggregate(latest=Max("pk"))["latest"]
    return str(latest or 0)


def _words(incident: Incident) -> list[str]:
    seen: dict[str, None] = {}
    for word in WORD.findall(f"{incident.title} {incident.summary} {incident.service_affected}".lower()):
        if word not in COMMON and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)[:SIMILAR_WORDS]


@dataclass(frozen=True)
class Similar:
    """A similar past incident, as the incident page's panel shows it (plain values: the panel caches them)."""

    pk: int
    title: str
    service: str
    severity: str
    level: int
    declared_at: dt.datetime
    root_cause_line: str


def similar_postmortems(*, incident: Incident, limit: int = SIMILAR,
                        using: str = DEFAULT_DB_ALIAS) -> list[Similar]:
    """The published post-mortems whose text best matches an incident's title, summary and service (one query),
    best first, each with its root cause in one line; never the incident's own."""
    words = _words(incident)
    if not words:
        return []
    published = (PostMortem.objects.using(using).with_incident().filter(status=PostMortemStatus.PUBLISHED)
                 .exclude(incident_id=incident.pk)
                 .defer(*(c for c in SECTION_COLUMNS if c not in ("root_cause", "root_cause_html"))))
    if _is_postgresql(using):
        # plainto_tsquery of each word, OR-ed: any text is a valid query, and more shared words rank higher.
        query = reduce(operator.or_, (SearchQuery(w, config=CONFIG) for w in words))
        found = list(published.filter(search_vector=query)
                     .annotate(rank=SearchRank(F("search_vector"), query))
                     .order_by("-rank", "-incident__declared_at", "-pk")[:limit])
    else:
        found = _similar_sqlite(published, incident, words, limit)
    return [Similar(pk=pm.pk, title=pm.title, service=pm.service, severity=pm.incident.severity.name,
                    level=pm.incident.severity.level, declared_at=pm.incident.declared_at,
                    root_cause_line=root_cause_line(pm)) for pm in found]


def _similar_sqlite(published: QuerySet[PostMortem], incident: Incident, words: list[str],
                    limit: int) -> list[PostMortem]:
    """Same service, or title words in common: scored by how many, then newest first."""
    service = incident.service_affected.strip().lower()
    title_words = [w for w in words if len(w) > 2]
    alike = reduce(operator.or_, (Q(title__icontains=w) for w in title_words), Q(pk__in=[]))
    if service:
        alike |= Q(service__iexact=service)
    candidates = list(published.filter(alike).order_by("-incident__declared_at", "-pk")[:200])

    def score(pm: PostMortem) -> int:
        shared = set(WORD.findall(pm.title.lower())) & set(title_words)
        return len(shared) + (2 if service and pm.service.strip().lower() == service else 0)

    return sorted(candidates, key=score, reverse=True)[:limit]  # stable: newest first among equals


def action_items_marked(items: Iterable[ActionItem], *, today: dt.date) -> list[ActionItem]:
    """The items as every page lists them, each with `overdue` set (open and due before today) to highlight it."""
    marked = list(items)
    for item in marked:
        item.overdue = item.is_overdue(today)  # type: ignore[attr-defined]
    return marked
