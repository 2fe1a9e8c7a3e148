"""One Kubernetes layer that both apps use and neither owns: targets imports neither app, and diagnostics and
mitigations do not import each other (they meet in targets)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_apps(app: str) -> dict[str, set[str]]:
    """Top-level packages each module of this app imports, anywhere in the file (imports on use too)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue  # a migration may name another app's model: that is history, not an import
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(("app", "forbidden"), [
    ("targets", {"diagnostics", "mitigations", "incidents"}),
    ("diagnostics", {"mitigations"}),
    ("mitigations", {"diagnostics"}),
])
def test_apps_meet_in_targets_not_in_each_other(app, forbidden):
    imports = imported_apps(app)
    assert {name: sorted(imports[name]) for name in forbidden & set(imports)} == {}
