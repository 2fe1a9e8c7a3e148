"""The metrics on SQLite, which `make run` uses: the same queries give the same numbers as on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_metrics_on_sqlite_give_the_same_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path}/metrics.sqlite3", "TIME_ZONE": "Europe/Berlin",
            "DJANGO_SETTINGS_MODULE": "warroom.settings", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(ROOT / "tests/postmortems/sqlite_metrics_child.py")], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["counts"] == [[0, 4, 0, 0], [0, 0, 5, 0]]  # months in Berlin's time, as on PostgreSQL
    assert found["breaches"] == [2, 0]  # a second late and never acknowledged; not the one at its deadline
    assert found["sev2_jan"] == [120, 600, 1, 3600]
    assert found["total_mtta"] == [50, 900]  # 10 20 30 40 60 120 600 900: (40+60)/2; ⌈7.2⌉ = 8th
