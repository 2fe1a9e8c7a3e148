"""Writing post-mortems: every change goes through here (pages, the API and the demo call these).

Each post-mortem write locks the row, checks the rule, saves only what changed, keeps a Revision (who, when and the
whole content as it then read) and refreshes the search vector. Action items keep their own who and when
(created_by, updated_by, done_at); they do not bump the post-mortem's revision, so that marking one done never
makes the person editing the prose see a conflict.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from incidents.models import Entry, Incident, Status
from incidents.services import timeline_record
from postmortems.markdown import render
from postmortems.models import SECTIONS, ActionItem, ActionItemStatus, PostMortem, PostMortemStatus, Revision
from postmortems.search import search_vector_update
from warroom.permissions import Perm, can, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

POSTMORTEM_ENTRY = "postmortem"  # the kind of the incident timeline lines these services write (apps.py registers it)

# Other apps' entries, read by their stored values (postmortems may not import diagnostics or mitigations):
# mitigations/services.py writes kind "mitigation" with data.event "executed" (the real change) and "finished" with
# data.status "succeeded"; diagnostics/services.py writes kind "check" with data.verdict.
MITIGATION_KIND, CHECK_KIND = "mitigation", "check"
MITIGATION_DONE = ({"event": "executed"}, {"event": "finished", "status": "succeeded"})
CRITICAL = "critical"

# The runbook's timeline words for each step. Its "Root cause identified" is entering mitigating (the cause is known,
# the fix is under way); "Fix deployed" is entering monitoring (the fix is out, now watched).
STEP_WORDS: dict[str, str] = {
    Status.INVESTIGATING: "Investigation started",
    Status.MITIGATING: "Root cause identified; mitigating",
    Status.MONITORING: "Fix deployed; monitoring",
    Status.RESOLVED: "Incident resolved",
}
LESSONS_TEMPLATE = "### What went well\n\n\n### What could be improved\n\n"

SECTION_LIMIT = 50_000
EVENT_LIMIT = 500
TIMELINE_ROWS_LIMIT = 300
PLAIN_FIELDS = ("title", "service", "users_affected", "revenue_impact", "downtime")
EDITABLE = (*PLAIN_FIELDS, *SECTIONS, "timeline")
MAX_INT = 2_147_483_647


class PostMortemError(Exception):
    """A move the post-mortem's rules do not allow now (409); the message says why."""


class StaleRevision(PostMortemError):
    """Someone saved a newer revision since the editor opened theirs."""


# --- reading the record -----------------------------------------------------------------------------------------------

def _who(user: Any) -> str:
    return f"@{user.get_username()}" if user else "Warroom"


def _short(text: str, limit: int = EVENT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_event(entry: Entry) -> str | None:
    """The timeline row a key entry becomes, or None if it is not one."""
    data = entry.data or {}
    if entry.kind == Entry.Kind.DECLARED:
        return f"Incident detected: declared {data.get('severity', '')} by {_who(entry.author)}".replace("  ", " ")
    if entry.kind == Entry.Kind.ACKNOWLEDGED:
        return f"Acknowledged by {_who(entry.author)}"
    if entry.kind == Entry.Kind.STATUS:
        to = str(data.get("to"))
        if to == Status.INVESTIGATING and data.get("from") in (Status.MITIGATING, Status.MONITORING):
            words = "Back to investigating"
        else:
            words = STEP_WORDS.get(to, f"Status: {to}")
        reason = data.get("override") or data.get("reason")
        return f"{words}{f' ({reason})' if reason else ''}"
    if entry.kind == MITIGATION_KIND and any(all(data.get(k) == v for k, v in want.items())
                                             for want in MITIGATION_DONE):
        return _short(entry.text)
    if entry.kind == CHECK_KIND and data.get("verdict") == CRITICAL:
        return _short(entry.text)
    return None


def _to_second(moment: dt.datetime) -> dt.datetime:
    """Timeline rows are kept to the second, in UTC: what the page's time inputs show and send back."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def timeline_rows(incident: Incident) -> list[dict[str, Any]]:
    """The Timeline table from the record: its key entries and every starred one, oldest first (one query)."""
    rows = []
    for entry in incident.entries.select_related("author", "star").order_by("created_at", "pk"):
        event = _key_event(entry)
        if event is None and getattr(entry, "star", None) is not None:
            author = f"{_who(entry.author)}: " if entry.kind == Entry.Kind.NOTE else ""
            event = _short(f"{author}{entry.text}")
        if event is not None:
            rows.append({"at": _to_second(entry.created_at).isoformat(), "event": event, "entry": entry.pk})
    return rows


# --- checking values --------------------------------------------------------------------------------------------------

def _text(field: str, value: Any, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: "Give text."})
    if "\x00" in value:
        raise ValidationError({field: "Text cannot contain NUL characters."})
    value = value.strip() if field not in SECTIONS else value
    if required and not value.strip():
        raise ValidationError({field: f"Give the post-mortem a {field}."})
    if len(value) > limit:
        raise ValidationError({field: f"Keep it under {limit:,} characters (this is {len(value):,})."})
    return value


def _users_affected(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({"users_affected": "Give a whole number of users, or leave it empty."})
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({"users_affected": "Give a whole number of users, or leave it empty."}) from None
    if not 0 <= number <= MAX_INT:
        raise ValidationError({"users_affected": f"Give a number from 0 to {MAX_INT:,}."})
    return number


def _downtime(value: Any) -> dt.timedelta | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dt.timedelta):
        raise ValidationError({"downtime": "Give the downtime as a duration."})
    if value < dt.timedelta(0) or value > dt.timedelta(days=3650):
        raise ValidationError({"downtime": "Downtime cannot be negative or longer than ten years."})
    return value


def clean_timeline(rows: Any) -> list[dict[str, Any]]:
    """Rows of {"at": an ISO 8601 time with its zone, "event": text, "entry": optional id}, kept in time order."""
    if not isinstance(rows, list):
        raise ValidationError({"timeline": "Give the timeline as a list of rows with 'at' and 'event'."})
    if len(rows) > TIMELINE_ROWS_LIMIT:
        raise ValidationError({"timeline": f"Keep the timeline under {TIMELINE_ROWS_LIMIT} rows."})
    cleaned = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or set(row) - {"at", "event", "entry"}:
            raise ValidationError({"timeline": f"Row {n}: give 'at' and 'event' (and optionally 'entry')."})
        at = row.get("at")
        moment = at if isinstance(at, dt.datetime) else parse_datetime(at) if isinstance(at, str) else None
        if moment is None or timezone.is_naive(moment):
            raise ValidationError({"timeline": f"Row {n}: 'at' must be a date and time with its zone "
                                               "(e.g. 2026-12-01T14:02:00Z)."})
        event = row.get("event")
        if not isinstance(event, str) or not event.strip() or "\x00" in event:
            raise ValidationError({"timeline": f"Row {n}: say what happened."})
        if len(event) > EVENT_LIMIT:
            raise ValidationError({"timeline": f"Row {n}: keep an event under {EVENT_LIMIT} characters."})
        entry = row.get("entry")
        if entry is not None and (isinstance(entry, bool) or not isinstance(entry, int)):
            raise ValidationError({"timeline": f"Row {n}: 'entry' is a timeline entry's id, or empty."})
        cleaned.append({"at": _to_second(moment).isoformat(), "event": event.strip(), "entry": entry})
    return sorted(cleaned, key=lambda r: r["at"])


def _clean(field: str, value: Any) -> Any:
    if field in SECTIONS:
        return _text(field, value, SECTION_LIMIT)
    if field == "title":
        return _text(field, value, 200, required=True)
    if field == "service":
        return _text(field, value, 200)
    if field == "revenue_impact":
        return _text(field, value, 100)
    if field == "users_affected":
        return _users_affected(value)
    if field == "downtime":
        return _downtime(value)
    return clean_timeline(value)


# --- revisions --------------------------------------------------------------------------------------------------------

def snapshot(postmortem: PostMortem) -> dict[str, Any]:
    """Everything a person wrote, as it reads now: what a Revision keeps."""
    downtime = postmortem.downtime.total_seconds() if postmortem.downtime is not None else None
    return {
        "title": postmortem.title, "service": postmortem.service, "users_affected": postmortem.users_affected,
        "revenue_impact": postmortem.revenue_impact, "downtime_seconds": downtime,
        **{name: getattr(postmortem, name) for name in SECTIONS},
        "timeline": postmortem.timeline,
    }


def _keep(postmortem: PostMortem, *, by: User, change: str, now: dt.datetime) -> Revision:
    revision = Revision.objects.create(postmortem=postmortem, number=postmortem.revision, status=postmortem.status,
                                       content=snapshot(postmortem), change=change[:200], by=by, created_at=now)
    search_vector_update(postmortem_id=postmortem.pk)
    return revision


def _lock(postmortem: PostMortem) -> PostMortem:
    return PostMortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)


def _check_revision(postmortem: PostMortem, expected_revision: int | None) -> None:
    """The editor's revision must still be the latest (on a locked row): otherwise say who saved which one."""
    if expected_revision is None or expected_revision == postmortem.revision:
        return
    if expected_revision > postmortem.revision:
        raise StaleRevision(f"There is no revision {expected_revision}: the latest is revision "
                            f"{postmortem.revision}. Reload to see it, then make your change again.")
    latest = postmortem.revisions.select_related("by").order_by("-number").first()
    who = f" by {_who(latest.by)} at {timezone.localtime(latest.created_at):%H:%M}" if latest else ""
    raise StaleRevision(f"Revision {postmortem.revision} was saved{who} since you opened revision "
                        f"{expected_revision}. Reload to see it, then make your change again.")


# --- the writes -------------------------------------------------------------------------------------------------------

def _downtime_of(incident: Incident) -> dt.timedelta | None:
    """Declared → resolved, to the second (the page edits it as H:MM:SS)."""
    if incident.resolved_at is None:
        return None
    return dt.timedelta(seconds=int((incident.resolved_at - incident.declared_at).total_seconds()))


def check_start(incident: Incident, by: User) -> None:
    """The rule the page's button and the write share."""
    require(by, Perm.WRITE_POSTMORTEM)
    if incident.status != Status.RESOLVED:
        raise PostMortemError(f"Post-mortems are written once the incident is resolved; this one is "
                              f"{incident.get_status_display().lower()}.")


def postmortem_start(*, incident: Incident, by: User, now: dt.datetime | None = None) -> tuple[PostMortem, bool]:
    """A draft prefilled from the record, or the one already started (False). Safe when two start at once."""
    check_start(incident, by)
    existing = PostMortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    sections = {name: "" for name in SECTIONS}
    sections.update(summary=incident.summary, lessons_learned=LESSONS_TEMPLATE)
    postmortem = PostMortem(
        incident=incident, title=incident.title, service=incident.service_affected,
        users_affected=incident.users_affected, revenue_impact="",
        downtime=_downtime_of(incident),
        timeline=timeline_rows(incident), created_by=by, created_at=now, updated_by=by, updated_at=now,
        **sections, **{f"{name}_html": render(text) for name, text in sections.items()},
    )
    try:
        with transaction.atomic():
            postmortem.save(force_insert=True)
            _keep(postmortem, by=by, change=f"Started from incident #{incident.pk}'s record", now=now)
            timeline_record(incident=incident, kind=POSTMORTEM_ENTRY, by=by, data={"postmortem": postmortem.pk},
                            text=f"{_who(by)} started the post-mortem.")
    except IntegrityError:
        # The one-to-one on incident: someone started it a moment ago. Theirs is the post-mortem.
        existing = PostMortem.objects.filter(incident=incident).first()
        if existing is None:
            raise
        return existing, False
    return postmortem, True


def _names(fields: list[str]) -> str:
    labels = {**SECTIONS, "users_affected": "users affected", "revenue_impact": "revenue impact",
              "timeline": "Timeline"}
    return ", ".join(labels.get(f, f) for f in fields)


@transaction.atomic
def postmortem_update(*, postmortem: PostMortem, by: User, changes: dict[str, Any],
                      expected_revision: int | None = None, now: dt.datetime | None = None) -> PostMortem:
    """Edit sections (Markdown, rendered to `name_html`), impact figures, title, service or the Timeline rows.

    With `expected_revision` (the revision the editor opened), a newer save by someone else is a StaleRevision.
    Editing a published post-mortem keeps it published and makes a new revision: it is "revised".
    """
    require(by, Perm.WRITE_POSTMORTEM)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({field: "This cannot be edited here." for field in unknown})
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    postmortem = _lock(postmortem)
    _check_revision(postmortem, expected_revision)
    changed = [f for f, value in cleaned.items() if getattr(postmortem, f) != value]
    if not changed:
        return postmortem
    now = now or timezone.now()
    fields = list(changed)
    for field in changed:
        setattr(postmortem, field, cleaned[field])
        if field in SECTIONS:
            setattr(postmortem, f"{field}_html", render(cleaned[field]))
            fields.append(f"{field}_html")
    postmortem.revision += 1
    postmortem.updated_by, postmortem.updated_at = by, now
    postmortem.save(update_fields=[*fields, "revision", "updated_by", "updated_at"])
    verb = "Revised after publication" if postmortem.status == PostMortemStatus.PUBLISHED else "Edited"
    _keep(postmortem, by=by, change=f"{verb}: {_names(changed)}", now=now)
    return postmortem


# Which status each move goes to, from where, and in words.
MOVES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "submit": ((PostMortemStatus.DRAFT,), PostMortemStatus.IN_REVIEW, "Submitted for review"),
    "publish": ((PostMortemStatus.IN_REVIEW,), PostMortemStatus.PUBLISHED, "Published"),
    "draft": ((PostMortemStatus.IN_REVIEW,), PostMortemStatus.DRAFT, "Back to draft"),
}
# For the sentence that refuses a move: "This post-mortem is a draft: only one in review can be published."
STATE_WORDS: dict[str, str] = {PostMortemStatus.DRAFT: "a draft", PostMortemStatus.IN_REVIEW: "in review",
                               PostMortemStatus.PUBLISHED: "published"}
ONLY: dict[str, str] = {PostMortemStatus.DRAFT: "a draft", PostMortemStatus.IN_REVIEW: "one in review"}
MOVE_VERBS = {"submit": "submitted for review", "publish": "published", "draft": "sent back to draft"}


def allowed_moves(postmortem: PostMortem, user: Any) -> list[str]:
    """The status buttons a person sees: exactly the moves postmortem_move would accept."""
    if not can(user, Perm.WRITE_POSTMORTEM):
        return []
    return [move for move, (sources, _, _) in MOVES.items() if postmortem.status in sources]


@transaction.atomic
def postmortem_move(*, postmortem: PostMortem, move: str, by: User, expected_revision: int | None = None,
                    now: dt.datetime | None = None) -> PostMortem:
    """draft → in review → published; in review → draft. Each move is a revision."""
    require(by, Perm.WRITE_POSTMORTEM)
    if move not in MOVES:
        raise ValidationError({"status": f"Unknown move {move!r}; choose one of {', '.join(MOVES)}."})
    sources, target, words = MOVES[move]
    postmortem = _lock(postmortem)
    _check_revision(postmortem, expected_revision)
    if postmortem.status not in sources:
        raise PostMortemError(f"This post-mortem is {STATE_WORDS[postmortem.status]}: only "
                              f"{' or '.join(ONLY[source] for source in sources)} can be {MOVE_VERBS[move]}.")
    now = now or timezone.now()
    postmortem.status = target
    postmortem.revision += 1
    postmortem.updated_by, postmortem.updated_at = by, now
    fields = ["status", "revision", "updated_by", "updated_at"]
    if target == PostMortemStatus.PUBLISHED and postmortem.published_at is None:
        postmortem.published_at = now
        fields.append("published_at")
    postmortem.save(update_fields=fields)
    _keep(postmortem, by=by, change=words, now=now)
    if target == PostMortemStatus.PUBLISHED:
        timeline_record(incident=postmortem.incident, kind=POSTMORTEM_ENTRY, by=by,
                        data={"postmortem": postmortem.pk, "revision": postmortem.revision},
                        text=f"{_who(by)} published the post-mortem (revision {postmortem.revision}).")
    return postmortem


def postmortem_submit(*, postmortem: PostMortem, by: User, expected_revision: int | None = None) -> PostMortem:
    return postmortem_move(postmortem=postmortem, move="submit", by=by, expected_revision=expected_revision)


def postmortem_publish(*, postmortem: PostMortem, by: User, expected_revision: int | None = None) -> PostMortem:
    return postmortem_move(postmortem=postmortem, move="publish", by=by, expected_revision=expected_revision)


# --- action items -----------------------------------------------------------------------------------------------------

def _owner(value: Any) -> User:
    if value is None or value == "":
        raise ValidationError({"owner": "Give the action item an owner (a username)."})
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL refuses NUL in a query: bad input, not a server error
            raise ValidationError({"owner": "A username cannot contain NUL characters."})
        user = get_user_model().objects.filter(username=value.strip().lstrip("@"), is_active=True).first()
        if user is None:
            raise ValidationError({"owner": f"No active user called {value.strip()!r}."})
        value = user
    if not can(value, Perm.VIEW_INCIDENT):
        raise ValidationError({"owner": f"{value.get_username()} cannot see incidents, so cannot own an action item."})
    return value


def _due_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({"due_date": "Give the due date as YYYY-MM-DD."})
        value = parsed
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({"due_date": "Give the due date as YYYY-MM-DD."})
    return value


def _ticket(value: Any) -> str:
    value = _text("ticket_url", value if value is not None else "", 500)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValidationError({"ticket_url": "A ticket link is an http:// or https:// address."}) from None
    return value


def _description(value: Any) -> str:
    return _text("description", value, 500, required=True)


ITEM_FIELDS = {"description": _description, "owner": _owner, "due_date": _due_date, "ticket_url": _ticket}


@transaction.atomic
def action_item_add(*, postmortem: PostMortem, by: User, description: str, owner: User | str,
                    due_date: dt.date | str | None = None, ticket_url: str = "",
                    now: dt.datetime | None = None) -> ActionItem:
    require(by, Perm.WRITE_POSTMORTEM)
    values = {"description": _description(description), "owner": _owner(owner), "due_date": _due_date(due_date),
              "ticket_url": _ticket(ticket_url)}
    now = now or timezone.now()
    item = ActionItem.objects.create(postmortem=postmortem, created_by=by, created_at=now, updated_by=by,
                                     updated_at=now, **values)
    search_vector_update(postmortem_id=postmortem.pk)
    return item


@transaction.atomic
def action_item_update(*, item: ActionItem, by: User, changes: dict[str, Any],
                       now: dt.datetime | None = None) -> ActionItem:
    """Description, owner, due date, ticket link, or status open/done (done keeps when: done_at)."""
    require(by, Perm.WRITE_POSTMORTEM)
    unknown = sorted(set(changes) - {*ITEM_FIELDS, "status"})
    if unknown:
        raise ValidationError({field: "This cannot be edited on an action item." for field in unknown})
    cleaned = {field: ITEM_FIELDS[field](value) for field, value in changes.items() if field != "status"}
    if "status" in changes and changes["status"] not in ActionItemStatus.values:
        raise ValidationError({"status": f"Status is one of {', '.join(ActionItemStatus.values)}."})
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    now = now or timezone.now()
    changed = [f for f, value in cleaned.items() if getattr(item, f) != value]
    for field in changed:
        setattr(item, field, cleaned[field])
    status = changes.get("status")
    if status is not None and status != item.status:
        item.status = status
        item.done_at = now if status == ActionItemStatus.DONE else None
        changed += ["status", "done_at"]
    if not changed:
        return item
    item.updated_by, item.updated_at = by, now
    item.save(update_fields=[*changed, "updated_by", "updated_at"])
    search_vector_update(postmortem_id=item.postmortem_id)
    return item
