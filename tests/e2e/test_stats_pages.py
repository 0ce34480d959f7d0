"""Browser end-to-end: the Text to tokens and Language statistics pages open, answer a control, and show no error."""
import pytest

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_text_page_switches_to_characters(time_machine_file, page):
    from playwright.sync_api import expect

    open_page(page, "/text")
    assert_no_exception(page)
    expect(page.get_by_text("the time machine by h g wells", exact=True)).to_be_visible()
    page.locator(".st-key-text_level").get_by_text("Characters", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text("a vocabulary of 28 tokens", exact=False)).to_be_visible()
    expect(page.get_by_text("rows continue the previous minibatch").first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "text")


def test_statistics_page_shows_infinity_at_zero_epsilon(time_machine_file, page):
    from playwright.sync_api import expect

    open_page(page, "/statistics")
    assert_no_exception(page)
    # st.dataframe draws its cells on a canvas; the grid's accessible cells are in the DOM but not "visible"
    expect(page.get_by_text("of the", exact=True).first).to_be_attached(timeout=30_000)
    slider = page.locator(".st-key-stats_eps3 input[type='range']")
    slider.focus()
    slider.press("Home")  # ε3 = 0
    wait_idle(page)
    expect(page.get_by_text("Infinite perplexity: the trigram", exact=False)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "statistics")
