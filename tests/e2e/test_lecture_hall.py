"""Issue 7 in a real browser: presentation mode, the Chinese interface, and settings carried in the address."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from e2e_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_presentation_mode_hides_the_sidebar_and_enlarges_the_type(page):
    open_page(page, "/bidirectional?present=1", "↔ Bidirectional RNNs: why they cannot write")
    assert_no_exception(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    leave = page.get_by_role("button", name="✕ Leave presentation mode")
    expect(leave).to_be_visible()  # waits: the button is drawn after the page's first elements
    page.locator(".st-key-bidirectional_leak").scroll_into_view_if_needed()
    screenshot(page, "present-bidirectional")
    page.locator(".st-key-bidirectional_reading").scroll_into_view_if_needed()
    leave.click()
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').wait_for(state="visible")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    assert parse_qs(urlparse(page.url).query)["present"] == ["0"]


def test_the_interface_in_chinese(page):
    open_page(page, "/bidirectional?lang=zh", "↔ 双向循环神经网络：为什么它写不出文字")
    assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    for words in ("困惑度（未来可见）", "困惑度（如同生成）", "前缀", "结论（d2l 9.4）"):
        expect(main).to_contain_text(words)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "演示模式" in sidebar and "双向循环神经网络" in sidebar  # the switch and the navigation, in Chinese
    screenshot(page, "zh-bidirectional")


def test_the_address_carries_the_settings(page):
    open_page(page, "/bidirectional?bi_prefix=the+machine+&lang=en", "↔ Bidirectional RNNs: why they cannot write")
    box = page.locator(".st-key-bi_prefix input")
    expect(box).to_have_value("the machine ")
    box.fill("a dark night ")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"bi_prefix=a\+dark\+night\+"))
    wait_idle(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["bi_prefix"] == ["a dark night "] and query["bi_model"] == ["shipped:bilstm"]
    shared = page.url
    page.goto("/")
    wait_idle(page)
    page.goto(shared)  # a student opens the link: the same page, the same settings
    wait_idle(page)
    page.get_by_role("heading", level=1, name="↔ Bidirectional RNNs: why they cannot write").wait_for()
    expect(page.locator(".st-key-bi_prefix input")).to_have_value("a dark night ")
    assert_no_exception(page)


def test_a_chart_downloads_as_svg_when_the_sidebar_says_so(page):
    open_page(page, "/bidirectional?chart_format=svg&lang=en", "↔ Bidirectional RNNs: why they cannot write")
    chart = page.locator(".st-key-bidirectional_leak")
    chart.scroll_into_view_if_needed()
    chart.hover()
    with page.expect_download(timeout=60_000) as info:
        chart.locator('.modebar-btn[data-title="Download plot as a svg"], .modebar-btn[data-title*="Download"]').first.click()
    download = info.value
    assert download.suggested_filename == "rnnviz-bidirectional_leak.svg"
    assert download.path().read_bytes().lstrip().startswith(b"<svg")
