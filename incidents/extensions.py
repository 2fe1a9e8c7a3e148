"""Where other apps plug into incidents, so that incidents never imports them.

An app registers in its AppConfig.ready(): a panel is a section of the incident
page (a template and a function that builds its context); a demo seeder adds
its own sample data when `manage.py demo` runs; an entry kind is a kind of
timeline line it writes (incidents' own kinds are Entry.Kind).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable  # (request, incident) -> dict


PANELS: list[Panel] = []
DEMO_SEEDERS: list[Callable] = []  # (stdout) -> None
ENTRY_KINDS: dict[str, str] = {}  # value stored in Entry.kind -> label shown on the timeline


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


def panels_for(request, incident) -> list[dict]:
    return [{"template": p.template, **p.context(request, incident)} for p in PANELS]
