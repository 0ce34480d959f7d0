"""The whole app in a real browser: every page opens cleanly, and a training run lives through page switches.

Run against `streamlit run app.py` on 127.0.0.1 by the fixtures in conftest.py; screenshots land in
artifacts/screenshots/.
"""
import re

import pytest

from rnnviz.checkpoint import load_checkpoint
from ui.pages import available

from e2e_helpers import assert_no_exception, screenshot, wait_idle

pytestmark = pytest.mark.e2e

PAGES = available()


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_opens_without_errors(page, spec):
    page.goto("/" if spec.url_path == "home" else f"/{spec.url_path}")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)
    title = page.locator("h1").first
    title.wait_for(timeout=30_000)
    assert title.inner_text().strip()
    # the shared sidebar is there on every page: corpus, model and device badge
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert re.search(r"CPU, \d+ threads?|GPU", sidebar.inner_text())
    screenshot(page, f"page-{spec.url_path}")


STEP_JS = """() => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const label = m.querySelector('[data-testid="stMetricLabel"]');
        if (label && label.innerText.trim().startsWith('Step')) {
            return parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/[^0-9]/g, '')) || 0;
        }
    }
    return 0;
}"""


def _steps(page) -> int:
    """The live panel's Step metric (0 before a run shows)."""
    return page.evaluate(STEP_JS)


def _wait_steps_above(page, n: int, timeout: float = 60_000) -> None:
    page.wait_for_function(f"() => ({STEP_JS})() > {n}", timeout=timeout)


def _wait_curve_drawn(page, key: str) -> None:
    """Wait until the plotly chart with this widget key has drawn at least one line."""
    page.wait_for_function(
        "(key) => { const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);"
        " return !!(el && el.querySelector('path.js-line')); }", arg=key, timeout=30_000)


def _nav(page, title: str) -> None:
    """Switch pages the way a user does (the sidebar link), keeping the browser session."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_idle(page, timeout=60_000)


def test_training_survives_page_switches_then_stops_and_saves(page, tmp_path):
    page.goto("/train")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)
    page.locator(".st-key-train_preset_d2l-9-2-lstm button").first.click()  # one click fills d2l's LSTM run
    wait_idle(page)
    page.locator(".st-key-train_start button").first.click()

    # the run starts, its curve is drawn and keeps growing while we watch
    _wait_steps_above(page, 2)
    first = _steps(page)
    _wait_steps_above(page, first + 10, timeout=30_000)
    _wait_curve_drawn(page, "train_chart_loss")
    screenshot(page, "train-running")

    # leave for another page, and come back to a run that kept training
    before_leaving = _steps(page)
    _nav(page, "Home")
    assert_no_exception(page)
    page.wait_for_timeout(3000)
    _nav(page, "Train")
    _wait_steps_above(page, before_leaving + 5, timeout=30_000)
    _wait_curve_drawn(page, "train_chart_loss")

    # stop: the run lands in the run table as stopped
    page.locator(".st-key-train_stop button").first.click()
    wait_idle(page)
    page.wait_for_function(
        "() => !document.querySelector('.st-key-train_stop button') ||"
        " document.querySelector('.st-key-train_stop button').disabled", timeout=30_000)
    assert_no_exception(page)
    screenshot(page, "train-stopped")

    # save: the downloaded file is a valid checkpoint of the run
    with page.expect_download(timeout=30_000) as dl:
        page.locator(".st-key-train_download button").first.click()
    path = tmp_path / "run.pt"
    dl.value.save_as(path)
    ckpt = load_checkpoint(path)
    assert ckpt.config.kind == "lstm" and ckpt.config.hidden_size == 256
    assert len(ckpt.history) >= before_leaving + 5
    assert_no_exception(page)
