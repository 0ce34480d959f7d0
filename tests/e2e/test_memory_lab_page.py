"""Browser end-to-end: the Memory lab opens at /memory_lab, trains its three cells for a short run, and shows no
error."""
import pytest

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_memory_lab_trains_three_cells(page):
    from playwright.sync_api import expect

    open_page(page, "/memory_lab", "Memory lab")
    assert_no_exception(page)
    slider = page.get_by_role("slider", name="Dependency length T")
    slider.focus()
    for _ in range(10):  # T from 20 down to 10: a short, sure-to-learn run
        slider.press("ArrowLeft")
    wait_idle(page, timeout=60_000)
    page.get_by_role("button", name="▶ Train").click()
    expect(page.get_by_text("held-out accuracy", exact=False).first).to_be_visible(timeout=120_000)
    wait_idle(page, timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length >= 7",
        timeout=60_000)
    assert_no_exception(page)
    screenshot(page, "memory-lab")
