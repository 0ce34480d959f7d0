"""Browser end-to-end: the Generate, Sequence models and Gradients pages open at their URL, take one interaction
without an exception, and leave a screenshot in artifacts/screenshots/."""
import pytest
from playwright.sync_api import expect

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_generate_page_colors_each_character_and_changes_decoding(page):
    open_page(page, "/generate")
    expect(page.get_by_role("heading", name="Generate text")).to_be_visible()
    text = page.locator(".rnnviz-generated").first
    expect(text).to_be_visible()
    first = text.inner_text()
    tip = text.locator("span[title]").first.get_attribute("title")
    assert tip.startswith("character 1:") and "▶" in tip
    page.get_by_text("Top-k sample", exact=True).click()
    wait_idle(page)
    assert_no_exception(page)
    expect(page.locator(".rnnviz-generated").first).not_to_have_text(first)
    expect(page.get_by_text("Score sentences")).to_be_visible()
    screenshot(page, "generate")


def test_sequence_models_page_trains_and_compares_a_latent_model(page):
    open_page(page, "/sequence_models")
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(6, timeout=30_000)
    page.get_by_text("Compare with a latent-variable model").click()
    expect(page.get_by_text("GRU (latent state), fed back.")).to_be_visible(timeout=60_000)  # trained, then drawn
    wait_idle(page)
    assert_no_exception(page)
    expect(charts).to_have_count(7, timeout=30_000)
    expect(page.get_by_text("Training the GRU")).to_have_count(0)
    screenshot(page, "sequence-models")


def test_gradients_page_explodes_when_lambda_passes_one(page):
    open_page(page, "/gradients")
    expect(page.get_by_text("it vanishes")).to_be_visible()
    slider = page.get_by_role("slider", name="Spectral radius λ of W_hh")
    slider.focus()
    slider.press("End")  # λ = 1.5
    wait_idle(page)
    assert_no_exception(page)
    expect(page.get_by_text("it explodes")).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length >= 8",
                           timeout=30_000)
    screenshot(page, "gradients")
