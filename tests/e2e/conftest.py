"""Browser end-to-end fixtures: the app started as a user starts it (`python serve.py`, which becomes
`streamlit run app.py`) on 127.0.0.1, driven by Debian's Chromium via Playwright.

Without /usr/bin/chromium or the playwright package these tests skip with the reason — unless
RNNVIZ_REQUIRE_E2E=1 (set by .ci/run), where a missing browser is a failure, so CI cannot pass on skips.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str):
    if os.environ.get("RNNVIZ_REQUIRE_E2E") == "1":
        pytest.fail(f"browser tests are required here (RNNVIZ_REQUIRE_E2E=1) but cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """A fresh server (`python serve.py`) on a free loopback port, stopped at the end of the session."""
    if not shutil.which("streamlit") and not (Path(sys.executable).parent / "streamlit").exists():
        _unavailable("streamlit is not installed")
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "serve.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, f"the server logged a traceback:\n{server_log[-4000:]}"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    """A new browser tab (1400×2200, tall so screenshots need no scrolling) that fails the test on any
    console error or uncaught page error."""
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, base_url=app_url)
    pg = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        # Opened at a deep link (/train), Streamlit's frontend first probes <path>/_stcore/health and
        # <path>/_stcore/host-config, gets 404s, then finds its server at /. Those are expected; any other
        # failed load is not.
        url = (msg.location or {}).get("url", "")
        if "404" in msg.text and re.search(r"/[^/]+/_stcore/(health|host-config)", url):
            return
        errors.append(f"console {msg.type}: {msg.text} ({url})")

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.console_errors = errors
    yield pg
    context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)
