"""Where other apps plug into incidents, so that incidents never imports them.

An app registers in its AppConfig.ready(): a panel is a section of the incident
page (a template and a function that builds its context); a demo seeder adds
its own sample data when `manage.py demo` runs.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable  # (request, incident) -> dict


PANELS: list[Panel] = []
DEMO_SEEDERS: list[Callable] = []  # (stdout) -> None


def register_panel(template: str, context: Callable) -> None:
    if all(p.template != template for p in PANELS):
        PANELS.append(Panel(template, context))


def register_demo_seeder(seeder: Callable) -> None:
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)


def panels_for(request, incident) -> list[dict]:
    return [{"template": p.template, **p.context(request, incident)} for p in PANELS]
