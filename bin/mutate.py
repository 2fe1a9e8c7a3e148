"""make mutate: mutation testing of Warroom's safety rules, bounded in time (docs/testing.md).

Each mutant changes one thing in one safety function (a comparison flipped or moved across its boundary,
`and`/`or` swapped, a `not` dropped, a refusal's `raise` removed, a returned True/False swapped). The tests
that guard that file then run against the mutant, in a copy of the tree, so the work tree is never touched.
A mutant the tests do not kill is a rule no test holds: the report lists each with its file, line and change.

Dev tooling: it runs pytest in subprocesses; nothing in the app does.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The safety rules and the tests that guard them. A function not named here is not mutated.
TARGETS: dict[str, dict[str, list[str]]] = {
    "incidents/services.py": {
        "functions": [
            "incident_acknowledge", "incident_transition", "incident_change_severity", "incident_assign_role",
            "incident_update", "timeline_note", "next_step", "_refuse_if_resolved", "sla_breaches_record",
        ],
        "tests": ["tests/incidents/test_services.py", "tests/incidents/test_service_refusals.py",
                  "tests/incidents/test_sla.py", "tests/incidents/test_api.py", "tests/incidents/test_views.py"],
    },
    "incidents/models.py": {
        "functions": ["monitoring_remaining", "monitoring_remaining_at", "is_open", "sla_breached"],
        "tests": ["tests/incidents/test_models.py", "tests/incidents/test_services.py", "tests/incidents/test_sla.py"],
    },
    "incidents/sla.py": {
        "functions": ["is_business_day", "next_business_day_end", "response_due"],
        "tests": ["tests/incidents/test_sla.py", "tests/incidents/test_models.py", "tests/incidents/test_services.py"],
    },
    "mitigations/services.py": {
        "functions": [
            "needs_approval", "check_approve", "check_execute", "check_cancel", "mitigation_allowed_actions",
            "mitigation_request", "mitigation_change_params", "mitigation_approve", "mitigation_confirm",
            "mitigation_cancel", "mitigation_claim", "mitigation_expire", "mitigations_reap", "confirm_word",
        ],
        "tests": ["tests/mitigations/test_services.py", "tests/mitigations/test_two_commanders.py",
                  "tests/mitigations/test_restart_services.py",
                  "tests/mitigations/test_cancel.py", "tests/mitigations/test_reap.py",
                  "tests/mitigations/test_watching.py", "tests/mitigations/test_api.py",
                  "tests/mitigations/test_views.py",
                  # the races that need no worker process
                  "tests/mitigations/test_concurrency.py::test_a_cancel_and_a_workers_claim_at_once_exactly_one_wins",
                  "tests/mitigations/test_concurrency.py::test_changing_params_holds_no_row_lock_during_the_dry_run",
                  "tests/mitigations/test_concurrency.py::test_a_cancel_during_the_dry_run_wins_and_the_new_params_"
                  "are_not_saved",
                  "tests/mitigations/test_concurrency.py::test_someone_elses_change_during_the_dry_run_is_not_"
                  "overwritten"],
    },
    "warroom/permissions.py": {"functions": ["can", "require"], "tests": ["tests/test_permission_matrix.py"]},
    # h/runbook: restarting pods, watching memory, the trend
    "mitigations/actions/restart.py": {
        "functions": ["resolve_int_or_percent", "rolling_bounds", "ready_minimum", "controller_of", "delete_refusal",
                      "restart_annotation", "paused_message"],
        "tests": ["tests/mitigations/actions/test_restart.py", "tests/mitigations/test_restart_services.py"],
    },
    "diagnostics/trend.py": {
        "functions": ["least_squares", "minutes_to_limit", "assess"],
        "tests": ["tests/diagnostics/test_trend.py"],
    },
    "diagnostics/watches.py": {
        "functions": ["clean_duration", "watch_start", "_claim", "watch_sample", "watch_finish", "watch_cancel",
                      "watches_end_for_incident", "watches_reap", "series_of"],
        "tests": ["tests/diagnostics/test_memory_watch.py", "tests/diagnostics/test_watch_views.py"],
    },
    "diagnostics/panel.py": {"functions": ["scale_up_to"], "tests": ["tests/diagnostics/test_watch_views.py"]},
}

FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
        ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
EDGE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}


@dataclass
class Mutant:
    path: str
    function: str
    line: int
    before: str
    after: str
    source: str  # the whole mutated file


def _replace(text: str, node: ast.AST, new: str) -> str:
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: node.lineno - 1]) + node.col_offset
    end = sum(len(line) for line in lines[: node.end_lineno - 1]) + node.end_col_offset
    return text[:start] + new + text[end:]


def _variants(node: ast.AST) -> list[str]:
    """The mutated source of one node, one string per mutant."""
    out = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table in (FLIP, EDGE):
                if type(op) in table:
                    mutated = copy.deepcopy(node)
                    mutated.ops[i] = table[type(op)]()
                    out.append(ast.unparse(mutated))
    elif isinstance(node, ast.BoolOp):
        mutated = copy.deepcopy(node)
        mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append(ast.unparse(mutated))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(f"({ast.unparse(node.operand)})")
    elif isinstance(node, ast.Raise):
        out.append("pass")
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool):
        out.append(f"return {not node.value.value}")
    return out


def mutants_of(path: str, functions: list[str]) -> list[Mutant]:
    text = (ROOT / path).read_text()
    found = []
    for fn in ast.walk(ast.parse(text)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name not in functions:
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node is not fn:
                continue
            for new in _variants(node):
                before = ast.get_source_segment(text, node) or ast.unparse(node)
                found.append(Mutant(path, fn.name, node.lineno, before.splitlines()[0], new.splitlines()[0],
                                    _replace(text, node, new)))
    return found


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "node_modules", "*.egg-info")
    shutil.copytree(ROOT, dest, ignore=ignore, dirs_exist_ok=True)


def _pytest(tree: Path, tests: list[str], timeout: float, extra: list[str]) -> str:
    """'killed', 'survived' or 'timeout' for the tree as it is."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--reuse-db", "-p", "no:randomly", "-m", "not browser",
           *extra, *tests]
    try:
        done = subprocess.run(cmd, cwd=tree, capture_output=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode == 0:
        return "survived"
    if done.returncode == 1:
        return "killed"
    raise RuntimeError(f"pytest could not run ({done.returncode}):\n{done.stdout.decode()[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20, help="time budget for the whole run")
    parser.add_argument("--only", default="", help="only files whose path contains one of these (comma-separated)")
    parser.add_argument("--report", default="var/mutation-report.txt")
    args = parser.parse_args()

    wanted = [part for part in args.only.split(",") if part] or [""]
    plan = [(path, spec) for path, spec in TARGETS.items()
            if (ROOT / path).exists() and any(part in path for part in wanted)]
    deadline = time.monotonic() + args.minutes * 60
    results: list[tuple[str, Mutant]] = []
    skipped = 0
    with tempfile.TemporaryDirectory(prefix="warroom-mutate-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        for index, (path, spec) in enumerate(plan):
            # Each file gets an equal share of what is left, so that every rule is tried within the budget.
            share = time.monotonic() + (deadline - time.monotonic()) / (len(plan) - index)
            tests = [t for t in spec["tests"] if (ROOT / t.partition("::")[0]).exists()]
            start = time.monotonic()
            if _pytest(tree, tests, timeout=600, extra=["--create-db"]) != "survived":
                print(f"{path}: its tests fail without any mutant; fix them first.", file=sys.stderr)
                return 2
            clean = time.monotonic() - start
            original = (ROOT / path).read_text()
            for mutant in mutants_of(path, spec["functions"]):
                if time.monotonic() > share:
                    skipped += 1
                    continue
                (tree / path).write_text(mutant.source)
                try:
                    verdict = _pytest(tree, tests, timeout=max(60, 3 * clean), extra=[])
                finally:
                    (tree / path).write_text(original)
                results.append((verdict, mutant))
                print(f"{verdict:8} {path}:{mutant.line} {mutant.function}: {mutant.before!r} -> {mutant.after!r}",
                      flush=True)

    counts = {v: sum(1 for r, _ in results if r == v) for v in ("killed", "timeout", "survived")}
    lines = [f"{len(results)} mutants: {counts['killed']} killed, {counts['timeout']} timed out, "
             f"{counts['survived']} survived" + (f"; {skipped} not tried within the time budget" if skipped else "")]
    lines += [f"SURVIVED {m.path}:{m.line} in {m.function}: {m.before!r} -> {m.after!r}"
              for r, m in results if r == "survived"]
    report = ROOT / args.report
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"(report: {args.report})")
    return 1 if counts["survived"] else 0


if __name__ == "__main__":
    sys.exit(main())
