"""The page registry: every page file is listed, and deep links work on a fresh server."""
from pathlib import Path

from ui.pages import PAGES, ROOT


def test_url_paths_are_the_file_stems():
    # Before app.py has run once in the process, Streamlit resolves /<path> by file name; a url_path that
    # differs from the stem would show "Page not found" for a bookmarked link.
    for spec in PAGES:
        assert spec.url_path == Path(spec.file).stem, spec


def test_every_page_file_is_registered():
    listed = {spec.file for spec in PAGES}
    for f in (ROOT / "pages").glob("*.py"):
        assert f"pages/{f.name}" in listed, f"{f.name} is not in ui/pages.py's PAGES"
