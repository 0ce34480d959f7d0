"""Helpers for the browser tests (imported by the tests; fixtures live in conftest.py)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMain\"]')", timeout=timeout)
    page.wait_for_timeout(300)


def assert_no_exception(page) -> None:
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, "the page shows an exception:\n" + exc.first.inner_text()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_page(page, path: str, heading: str | None = None, timeout: float = 60_000) -> None:
    """Open the app at its root first (a fresh server starts in Streamlit's legacy pages/ mode until app.py has run
    once, and a deep link would open the main page), then ``path``; wait for the page's title (``heading``, or any
    h1) and for the script to finish, and fail on an exception shown on the page."""
    page.goto("/")
    page.get_by_role("heading", level=1).wait_for(timeout=timeout)
    wait_idle(page, timeout=timeout)
    page.goto(path)
    wait_idle(page, timeout=timeout)
    if heading:
        page.get_by_role("heading", level=1, name=heading).wait_for(timeout=timeout)
    else:
        page.get_by_role("heading", level=1).wait_for(timeout=timeout)
    wait_idle(page, timeout=timeout)
    assert_no_exception(page)