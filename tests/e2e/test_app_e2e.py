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


def _points(page, key: str) -> int:
    """Number of x values in the first trace of the plotly chart with this widget key (0 if not drawn)."""
    return page.evaluate(
        """(key) => {
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return el && el.data && el.data.length ? el.data[0].x.length : 0;
        }""", key)


def _nav(page, url_path: str) -> None:
    """Switch pages the way a user does (the sidebar link), keeping the browser session."""
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').first.click()
    wait_idle(page, timeout=60_000)


def test_training_survives_page_switches_then_stops_and_saves(page, tmp_path):
    page.goto("/train")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)
    page.locator(".st-key-train_preset_d2l-9.2-lstm button").click()  # one click fills d2l's LSTM run
    wait_idle(page)
    page.locator(".st-key-train_start button").click()

    # the curve appears and grows while we watch
    page.wait_for_function(
        "() => { const el = document.querySelector('.st-key-train_chart_loss .js-plotly-plot');"
        " return el && el.data && el.data.length && el.data[0].x.length > 2; }", timeout=60_000)
    first = _points(page, "train_chart_loss")
    page.wait_for_function(
        "(n) => { const el = document.querySelector('.st-key-train_chart_loss .js-plotly-plot');"
        " return el && el.data[0].x.length > n; }", arg=first, timeout=30_000)
    screenshot(page, "train-running")

    # leave for another page, and come back to a curve that kept growing
    before_leaving = _points(page, "train_chart_loss")
    _nav(page, "home")
    assert_no_exception(page)
    page.wait_for_timeout(3000)
    _nav(page, "train")
    page.wait_for_function(
        "(n) => { const el = document.querySelector('.st-key-train_chart_loss .js-plotly-plot');"
        " return el && el.data && el.data.length && el.data[0].x.length > n; }",
        arg=before_leaving + 5, timeout=30_000)

    # stop: the run lands in the run table as stopped
    page.locator(".st-key-train_stop button").click()
    wait_idle(page)
    page.wait_for_function(
        "() => !document.querySelector('.st-key-train_stop button') ||"
        " document.querySelector('.st-key-train_stop button').disabled", timeout=30_000)
    assert_no_exception(page)
    screenshot(page, "train-stopped")

    # save: the downloaded file is a valid checkpoint of the run
    with page.expect_download(timeout=30_000) as dl:
        page.locator(".st-key-train_download button").click()
    path = tmp_path / "run.pt"
    dl.value.save_as(path)
    ckpt = load_checkpoint(path)
    assert ckpt.config.kind == "lstm" and ckpt.config.hidden_size == 256
    assert len(ckpt.history) >= before_leaving + 5
    assert_no_exception(page)
