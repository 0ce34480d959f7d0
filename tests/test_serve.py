"""serve.py: the launcher sets glibc's arena cap before the server's process starts, and becomes the server."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import serve  # noqa: E402


def test_defaults_fill_only_what_is_unset():
    assert serve.environment({"PATH": "/bin"}) == {"PATH": "/bin", "MALLOC_ARENA_MAX": "2"}
    assert serve.environment({"MALLOC_ARENA_MAX": "4"})["MALLOC_ARENA_MAX"] == "4"  # the user's own setting wins


def test_command_runs_this_interpreters_streamlit_on_the_app():
    cmd = serve.command(["--server.port", "9999"])
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(cmd[4]) == ROOT / "app.py" and Path(cmd[4]).is_file()
    assert cmd[5:] == ["--server.port", "9999"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the server's environment from /proc")
def test_launched_from_elsewhere_it_becomes_the_server_with_the_cap(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"), "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.3)
        # The process we started is the server itself (exec, not a child), running from the project's folder.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"streamlit" in cmdline and str(ROOT / "app.py").encode() in cmdline
        assert Path(f"/proc/{proc.pid}/cwd").resolve() == ROOT
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environ
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert "Traceback" not in log.read_text(errors="replace")
