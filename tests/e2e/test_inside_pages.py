"""Browser end-to-end: the Hidden states and Gates pages open on the shipped model, answer a control, and show
no error."""
import pytest

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def _charts_drawn(page, n: int) -> None:
    """Wait until n plotly charts have drawn their SVG."""
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"
        f" >= {n}", timeout=60_000)


def test_hidden_states_sorts_units_by_a_feature(time_machine_file, page):
    from playwright.sync_api import expect

    open_page(page, "/hidden_states")
    assert_no_exception(page)
    if page.get_by_text("No model yet").count():
        pytest.skip("no shipped checkpoint to inspect")
    _charts_drawn(page, 1)
    expect(page.get_by_text("ordered by variance", exact=False).first).to_be_visible()
    page.locator(".st-key-hidden_sort").get_by_text("correlation with a feature", exact=True).click()
    expect(page.get_by_text("|r| with", exact=False).first).to_be_visible(timeout=60_000)
    wait_idle(page, timeout=60_000)
    _charts_drawn(page, 3)  # heatmap, selected units, PCA
    expect(page.locator("span[title^='position 0']").first).to_be_attached()  # the colored text, with tooltips
    assert_no_exception(page)
    screenshot(page, "hidden-states")


def test_gates_page_switches_to_the_forget_gate(time_machine_file, page):
    from playwright.sync_api import expect

    open_page(page, "/gates")
    assert_no_exception(page)
    if page.get_by_text("No model yet").count():
        pytest.skip("no shipped checkpoint to inspect")
    _charts_drawn(page, 1)
    page.locator(".st-key-gates_quantity").get_by_text("forget gate", exact=True).click()
    expect(page.get_by_text("forget gate F", exact=False).first).to_be_visible(timeout=60_000)
    wait_idle(page, timeout=60_000)
    _charts_drawn(page, 5)  # gate heatmap, unit lines, saturation, memory heatmap and curves
    assert_no_exception(page)
    screenshot(page, "gates")
