"""Browser end-to-end: the nn.LSTM shapes page opens at /shapes, follows its switches (the shapes in the code
change), draws the gate-block figure, and shows no error; screenshots in English and Chinese."""
import pytest

from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_shapes_page_follows_its_settings(page):
    from playwright.sync_api import expect

    open_page(page, "/shapes", "nn.LSTM shapes")
    assert_no_exception(page)
    code = page.locator('[data-testid="stCode"]').first
    expect(code).to_contain_text("torch.randn(35, 32, 28)")
    expect(code).to_contain_text("(L, N, D·H_out) = (35, 32, 32)")
    for name in ("bidirectional", "batch_first"):
        page.locator('[data-testid="stCheckbox"]', has_text=name).click()
        wait_idle(page, timeout=60_000)
    expect(code).to_contain_text("bidirectional=True, batch_first=True")
    expect(code).to_contain_text("(N, L, D·H_out) = (32, 35, 64)")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot .main-svg')", timeout=60_000)
    expect(page.locator(".js-plotly-plot").first).to_contain_text("forget gate F")
    assert_no_exception(page)
    screenshot(page, "shapes")


def test_shapes_page_in_chinese(page):
    from playwright.sync_api import expect

    open_page(page, "/shapes?lang=zh&shapes_num_layers=2&shapes_bidirectional=1", "nn.LSTM 的形状")
    assert_no_exception(page)
    expect(page.locator('[data-testid="stCode"]').first).to_contain_text("num_layers=2")
    expect(page.locator(".js-plotly-plot").first).to_contain_text("遗忘门 F")
    screenshot(page, "shapes-zh")
