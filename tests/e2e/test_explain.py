"""Browser end-to-end: on the Gates page with a shipped LSTM, open "One step, opened up", pick a unit, and see the
typeset equations; open "What you are looking at". No exception, no console error; screenshots saved."""
import pytest

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e

STEP_TITLE = "One step, opened up"
PANEL_TITLE = "What you are looking at"




def test_gates_step_panel_shows_the_lstm_equations(time_machine_file, page):
    from playwright.sync_api import expect

    open_page(page, "/gates")
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


def test_a_click_on_the_heatmap_opens_that_cell_in_the_step_panel(time_machine_file, page):
    """Issue 8: click a cell of the Hidden states heatmap → the step panel opens on that character and unit."""
    from playwright.sync_api import expect

    open_page(page, "/hidden_states")
    chart = page.locator(".st-key-hidden_heatmap")
    chart.scroll_into_view_if_needed()
    expect(chart.locator(".nsewdrag").first).to_be_attached(timeout=60_000)
    box = chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    wait_idle(page, timeout=60_000)
    panel = page.locator('[data-testid="stExpander"]', has_text=STEP_TITLE).first
    expect(panel.get_by_text("clicked", exact=False).first).to_be_visible(timeout=60_000)
    expect(panel.locator(".katex").first).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    panel.scroll_into_view_if_needed()
    screenshot(page, "explain-click")
