"""The interface catalogues: English and Chinese hold the same keys with the same placeholders, every key the
code names exists, and no page shows text that bypassed the catalogue."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnviz import i18n
from apptest_utils import APP, TIMEOUT, app_env  # noqa: F401
from i18n_scan import leftover, uncatalogued

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("rnnviz", "ui", "pages") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]
_KEY_CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _files(lang: str) -> set[str]:
    return {p.name for p in (i18n.LOCALES / lang).glob("*.toml")}


def test_both_languages_have_the_same_files():
    assert _files("en") == _files("zh")
    assert _files("en"), "no catalogue at all"


def test_both_languages_have_the_same_keys():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert sorted(set(en) - set(zh)) == [], "keys missing in Chinese"
    assert sorted(set(zh) - set(en)) == [], "keys missing in English"


def test_placeholders_agree():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    wrong = {k: (i18n.fields(en[k]), i18n.fields(zh[k])) for k in en if i18n.fields(en[k]) != i18n.fields(zh[k])}
    assert wrong == {}


def test_chinese_catalogue_is_chinese():
    """A value copied over untranslated is a gap too (names, symbols and formulas excepted)."""
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    same = [k for k in zh if zh[k] == en[k] and len(re.findall(r"[A-Za-z]{3,}", en[k])) >= 3 and not _CJK.search(zh[k])]
    assert same == []


def test_every_key_named_in_the_code_exists():
    en = i18n.catalogue("en")
    missing = {}
    for path in SOURCES:
        for key in _KEY_CALL.findall(path.read_text(encoding="utf-8")):
            if key not in en:
                missing.setdefault(key, path.relative_to(ROOT).as_posix())
    assert missing == {}


def test_d2l_terms_in_chinese():
    zh = " ".join(i18n.catalogue("zh").values())
    for term in ("词元", "词表", "困惑度", "隐状态", "遗忘门", "梯度裁剪"):
        assert term in zh, term


def test_t_formats_and_falls_back():
    with i18n.using("zh"):
        assert i18n.t("app.url_ignored", name="lr", value="abc").startswith("链接中 **lr**")
    assert i18n.t("no.such_key") == "no.such_key"
    with i18n.using("qps"):
        assert i18n.t("present.toggle") == "⟦Presentation mode⟧"
    assert i18n.language() == "en"


def test_scanner_flags_uncatalogued_words():
    assert leftover("⟦Hidden size⟧") == ""
    assert leftover("⟦Using ⟦the book⟧ now⟧ — 1,234") == ""
    assert leftover("⟦Loss⟧ per character") == "per character"
    assert leftover('<span class="rnnviz-data">time traveller</span> ⟦is here⟧') == ""
    assert leftover("**3.14** · 42 %") == ""


PAGES = ["pages/home.py", "pages/sequence_models.py", "pages/text.py", "pages/statistics.py", "pages/train.py",
         "pages/generate.py", "pages/hidden_states.py", "pages/gates.py", "pages/gradients.py",
         "pages/memory_lab.py", "pages/shapes.py", "pages/bidirectional.py"]


def pseudo_app(page: str):
    from streamlit.testing.v1 import AppTest
    with i18n.using(i18n.PSEUDO):  # AppTest calls the widgets' format_func in the test's thread as well
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["lang"] = i18n.PSEUDO
        at.run()
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_only_catalogued_text(page, app_env):
    assert uncatalogued(pseudo_app(page), "main") == []


def test_sidebar_shows_only_catalogued_text(app_env):
    assert uncatalogued(pseudo_app("pages/home.py"), "sidebar") == []


def test_the_resolver_speaks_for_runs_that_set_no_language():
    """A fragment's rerun skips app.py: the session's choice must still reach it through the resolver."""
    before = i18n._resolver
    try:
        i18n.set_resolver(lambda: "zh")
        assert i18n.t("present.toggle") == "演示模式"
        with i18n.using("en"):  # an explicit choice wins
            assert i18n.t("present.toggle") == "Presentation mode"
        i18n.set_resolver(lambda: "klingon")  # nonsense falls back to English
        assert i18n.t("present.toggle") == "Presentation mode"
    finally:
        i18n.set_resolver(before)
