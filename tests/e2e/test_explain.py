"""Browser end-to-end: on the Gates page with a shipped LSTM, open "One step, opened up", pick a unit, and see the
typeset equations; open "What you are looking at". No exception, no console error; screenshots saved."""
import pytest

from e2e_helpers import assert_no_exception, screenshot, wait_idle

pytestmark = pytest.mark.e2e

STEP_TITLE = "One step, opened up"
PANEL_TITLE = "What you are looking at"


def _open(page, path: str) -> None:
    """The root first, then the page (see tests/e2e/test_inside_pages.py for why)."""
    page.goto("/")
    page.get_by_role("heading", level=1).wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    page.goto(path)
    wait_idle(page, timeout=60_000)
    page.get_by_role("heading", level=1).wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)


def test_gates_step_panel_shows_the_lstm_equations(time_machine_file, page):
    from playwright.sync_api import expect

    _open(page, "/gates")
    assert_no_exception(page)
    if page.get_by_text("No model yet").count():
        pytest.skip("no shipped checkpoint to inspect")
    lstm = "LSTM"
    page.get_by_role("combobox", name="Active model").click()
    options = page.get_by_role("option").filter(has_text=lstm)
    if options.count():
        options.first.click()
    else:
        page.keyboard.press("Escape")
        lstm = None
    wait_idle(page, timeout=60_000)

    page.get_by_text(STEP_TITLE, exact=False).first.click()
    expect(page.locator(".st-key-gates_step_unit")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Unit j").click()
    page.get_by_role("option").nth(1).click()
    wait_idle(page, timeout=60_000)
    panel = page.locator('[data-testid="stExpander"]', has_text=STEP_TITLE).first
    expect(panel.locator(".katex").first).to_be_visible(timeout=60_000)
    if lstm:
        expect(panel.locator(".katex-mathml", has_text="I_t").first).to_be_attached()
    assert_no_exception(page)
    panel.scroll_into_view_if_needed()
    screenshot(page, "explain-step")
    panel.screenshot(path=str(screenshot(page, "explain-step").with_name("explain-step-panel.png")))

    page.get_by_text(PANEL_TITLE, exact=False).first.click()
    wait_idle(page, timeout=60_000)
    expect(page.get_by_text("Look for", exact=False).first).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    what = page.locator('[data-testid="stExpander"]', has_text=PANEL_TITLE).first
    what.scroll_into_view_if_needed()
    what.screenshot(path=str(screenshot(page, "explain-what").with_name("explain-what-panel.png")))
