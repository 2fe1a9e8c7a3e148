"""What bench/run.py and bench/diagnostics_bench.py share: the error that stops a run, percentiles, child processes."""

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv that runs the bench also runs the app


class BenchError(Exception):
    """The bench could not run (as opposed to: it ran and a page was slow)."""


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value that p % of the samples do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)]


def run(env: dict, *args: str) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode:
        raise BenchError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def last_json(env: dict, *args: str):
    """Run a bench child script (seed.py, diagnostics_child.py) and read the JSON line it ends with."""
    return json.loads(run(env, str(BIN / "python"), *args).splitlines()[-1])


def stop(process: subprocess.Popen, *, group: bool = False) -> None:
    """SIGTERM is gunicorn's and Celery's graceful shutdown; kill if that takes too long.

    group: the process leads its own session (start_new_session), so a kill also reaches its children
    (Celery's pool processes) should the parent die without reaping them.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # only stragglers are left by now
