"""Three students at once, for real: benchmarks/load_sessions.py with N = 3 against its own `streamlit run app.py`.

Run in a subprocess (it drives Chromium through Playwright's asyncio API, which must not share this process's
event loop with the other browser tests). It checks what the lecture hall needs, not how fast: every session gets
a running job or a queue message, a stopped run hands its slot to a queued one, the server stays up without a
traceback, and once the tabs close no training thread is left.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")


def test_three_sessions_get_a_run_or_a_queue_and_leave_no_training_thread(time_machine_file, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("RNNVIZ_REQUIRE_E2E") == "1":
            pytest.fail(f"browser tests are required here but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "benchmarks/load_sessions.py", "--sessions", "3", "--hold", "3",
                           "--max-jobs", "2", "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert out.exists(), f"the load script did not finish:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    r = json.loads(out.read_text())
    assert r["errors"] == [] and r["served"] == 3, proc.stdout
    assert r["jobs_run"] == 2 and r["jobs_queued"] >= 1 and r["queue_moved"] is True, proc.stdout
    assert r["workers_ended"] and r["training_threads_after"] == 0, proc.stdout
    assert r["server_alive"] and r["tracebacks"] == 0, proc.stdout
    # every page load was also timed on the websocket and inside the server (the hooks still fit this Streamlit)
    assert r["responses"] == 3 * 6, proc.stdout
    assert math.isfinite(r["p95_response_s"]) and math.isfinite(r["p95_server_s"]), proc.stdout
    assert r["ok"] and proc.returncode == 0, proc.stdout
