"""Which app may import which (docs/architecture.md), read from the source: a new import across the lines fails."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# app -> the project packages it may import. Anything not listed is refused.
MAY_IMPORT = {
    "warroom": {"warroom"},
    "incidents": {"warroom", "incidents"},
    "targets": {"warroom", "targets"},
    "diagnostics": {"warroom", "incidents", "targets", "diagnostics"},
    "mitigations": {"warroom", "incidents", "targets", "mitigations", "audit"},
    "postmortems": {"warroom", "incidents", "postmortems"},
    "people": {"warroom", "incidents", "people"},
    "alerts": {"warroom", "incidents", "alerts", "audit"},  # manage.py alert_source records new tokens
    "chat": {"warroom", "incidents", "people", "chat"},
    "status": {"warroom", "incidents", "status"},
    "audit": {"warroom", "audit"},  # apps record through audit.services.record; incidents never does
}
# warroom/urls.py and the settings wire the apps together; that is their job.
WIRING = {"warroom/urls.py", "warroom/settings.py", "warroom/celery.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(MAY_IMPORT)


def _sources(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_apps_import_only_what_they_may(app):
    wrong = {}
    for path in _sources(app):
        relative = path.relative_to(ROOT).as_posix()
        if relative in WIRING:
            continue
        extra = _imports(path) - MAY_IMPORT[app]
        if extra:
            wrong[relative] = sorted(extra)
    assert not wrong, f"imports across the app lines (docs/architecture.md): {wrong}"


def test_every_app_has_a_rule():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"warroom"}
    assert apps <= set(MAY_IMPORT), apps - set(MAY_IMPORT)


def test_the_check_itself_sees_an_import(tmp_path):
    """The rule bites: a file importing another app is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("from diagnostics.models import Run\nimport mitigations.services\nfrom . import local\n")
    assert _imports(sample) == {"diagnostics", "mitigations"}
