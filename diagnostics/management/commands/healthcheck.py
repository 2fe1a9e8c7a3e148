"""Run the runbook's triage checks from a terminal; exit 1 when any verdict is critical or error."""

from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from diagnostics import services
from diagnostics.checks import REGISTRY
from diagnostics.models import Run
from diagnostics.playbooks import TRIAGE
from targets.models import Target

BAD = {Run.Verdict.CRITICAL, Run.Verdict.ERROR}


def _table(columns: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v)[:80] for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("    " + line for line in lines)


class Command(BaseCommand):
    help = "Run the triage checks (health, deployments, pods, connections, Redis memory) against the targets."

    def add_arguments(self, parser):
        parser.add_argument("--target", help="Only this target (by name)")

    def handle(self, *args, target=None, **options):
        targets = Target.objects.filter(enabled=True)
        if target:
            targets = targets.filter(name=target)
            if not targets:
                raise CommandError(f"No enabled target called {target!r}.")
        plan = [(step, t) for step in TRIAGE for t in targets if t.kind == REGISTRY[step.check].kind]
        if not plan:
            raise CommandError("No enabled target fits the triage checks: add targets in the admin.")

        def one(item):
            step, t = item
            try:
                check = REGISTRY[step.check]
                return step.check, t, services.execute(step.check, t, check.clean_params(step.params))
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(plan)) as pool:
            outcomes = list(pool.map(one, plan))

        worst_seen = set()
        for check, t, (_status, result, error) in outcomes:
            verdict = result.verdict if result else Run.Verdict.ERROR
            worst_seen.add(verdict)
            style = {Run.Verdict.OK: self.style.SUCCESS, Run.Verdict.WARN: self.style.WARNING}.get(
                verdict, self.style.ERROR)
            self.stdout.write(style(f"[{verdict.upper()}] {check} on {t.name}: ") +
                              (result.summary if result else error))
            if result and result.rows:
                self.stdout.write(_table(result.columns, result.rows))
        if worst_seen & BAD:
            raise SystemExit(1)
