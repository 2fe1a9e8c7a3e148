"""Where other apps plug into incidents, so that incidents never imports them.

An app registers in its AppConfig.ready(): a panel is a section of the incident
page (a template and a function that builds its context); a demo seeder adds
its own sample data when `manage.py demo` runs; an entry kind is a kind of
timeline line it writes (incidents' own kinds are Entry.Kind); a listener hears of
an incident's lifecycle events (declared, severity changed, acknowledged, resolved,
a timeline entry added) once the change is committed; a note option is a checkbox on
the note form whose ticked value is kept in the note entry's data ({name: true}).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable  # (request, incident) -> dict


PANELS: list[Panel] = []
DEMO_SEEDERS: list[Callable] = []  # (stdout) -> None
ENTRY_KINDS: dict[str, str] = {}  # value stored in Entry.kind -> label shown on the timeline
NOTE_OPTIONS: dict[str, str] = {}  # name kept in a note entry's data when ticked -> the checkbox's label
NOTE_OPTION_SHOWN: dict[str, Callable[[], bool]] = {}  # name -> whether the page offers it now


def register_panel(template: str, context: Callable) -> None:
    if all(p.template != template for p in PANELS):
        PANELS.append(Panel(template, context))


def register_demo_seeder(seeder: Callable) -> None:
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)


def register_entry_kind(value: str, label: str) -> None:
    if ENTRY_KINDS.get(value, label) != label:
        raise ValueError(f"Timeline entry kind {value!r} is already registered as {ENTRY_KINDS[value]!r}")
    ENTRY_KINDS[value] = label


def register_note_option(name: str, label: str, shown: Callable[[], bool] = lambda: True) -> None:
    """A checkbox on the note form (page and API `options`); a ticked one is kept as data[name] = True.

    `shown` says whether the page offers it now (e.g. only while Slack is configured): a box that would do
    nothing is not shown; the API still accepts the option, and its app decides what a tick does."""
    if NOTE_OPTIONS.get(name, label) != label:
        raise ValueError(f"Note option {name!r} is already registered as {NOTE_OPTIONS[name]!r}")
    NOTE_OPTIONS[name] = label
    NOTE_OPTION_SHOWN[name] = shown


def note_options_shown() -> list[tuple[str, str]]:
    return [(name, label) for name, label in NOTE_OPTIONS.items() if NOTE_OPTION_SHOWN.get(name, bool)()]


def panels_for(request, incident) -> list[dict]:
    return [{"template": p.template, **p.context(request, incident)} for p in PANELS]


# The dashboard's own plug-in point: a banner or panel above the open incidents (context(request) -> dict).
DASHBOARD_PANELS: list[Panel] = []


def register_dashboard_panel(template: str, context: Callable) -> None:
    if all(p.template != template for p in DASHBOARD_PANELS):
        DASHBOARD_PANELS.append(Panel(template, context))


def dashboard_panels_for(request) -> list[dict]:
    return [{"template": p.template, **p.context(request)} for p in DASHBOARD_PANELS]


class Event(StrEnum):
    """What services tell listeners about; the payload is an IncidentEvent."""

    DECLARED = "declared"
    SEVERITY_CHANGED = "severity_changed"  # old_severity_id → new_severity_id
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ENTRY_ADDED = "entry_added"  # entry_id, entry_kind: any timeline line written after the declaration


@dataclass(frozen=True)
class IncidentEvent:
    """Ids and values only, never model objects: a listener reads what it needs, after the commit."""

    event: Event
    incident_id: int
    at: dt.datetime
    by_id: int | None = None
    old_severity_id: int | None = None
    new_severity_id: int | None = None
    entry_id: int | None = None
    entry_kind: str = ""


Listener = Callable[[IncidentEvent], None]
LISTENERS: dict[Event, list[Listener]] = {event: [] for event in Event}


def register_listener(event: Event, listener: Listener) -> None:
    """Call listener(IncidentEvent) after each committed `event`; registering twice calls it once."""
    if listener not in LISTENERS[event]:
        LISTENERS[event].append(listener)


def emit(payload: IncidentEvent) -> None:
    """For incidents.services: run each listener once the current transaction commits (at once outside one).

    A listener that fails is logged and skipped (robust on_commit): the change it heard of is already saved,
    and neither the other listeners nor the page that made the change should fail because of it."""
    for listener in LISTENERS[payload.event]:
        transaction.on_commit(_bound(listener, payload), robust=True)


def _bound(listener: Listener, payload: IncidentEvent) -> Callable[[], None]:
    def call() -> None:
        listener(payload)

    call.__qualname__ = getattr(listener, "__qualname__", repr(listener))  # Django's log of a failure names it
    return call


# --- who holds a role: for panels that say "call the DBA" without importing the app that knows ---------------------

ContactLookup = Callable[[str, dt.datetime], list[dict]]  # (role name, at) -> [{"name", "phone", "slack", "email"}]
CONTACT_LOOKUPS: list[ContactLookup] = []


def register_contact_lookup(lookup: ContactLookup) -> None:
    """An app that keeps a directory (people) answers "who holds role X now"; registering twice counts once."""
    if lookup not in CONTACT_LOOKUPS:
        CONTACT_LOOKUPS.append(lookup)


def contacts_for_role(name: str, at: dt.datetime) -> list[dict]:
    """Who holds the role `name` at `at`, as display dicts (name, phone, slack, email; empty strings when unknown),
    from every registered lookup; none registered or nobody holds it: an empty list, and the caller says so."""
    found: list[dict] = []
    for lookup in CONTACT_LOOKUPS:
        for contact in lookup(name, at):
            entry = {key: str(contact.get(key) or "") for key in ("name", "phone", "slack", "email")}
            if entry not in found:
                found.append(entry)
    return found
