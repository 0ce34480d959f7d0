"""AppTest of the shell: navigation from the page registry, the home page, the shared sidebar, the active model."""
import re

import pytest
import torch
from apptest_utils import APP, ROOT, TINY, AppTest, TIMEOUT, app_env, new_app, only_job, set_widgets, wait_for  # noqa: F401

from rnnviz.checkpoint import save_checkpoint
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model

pytestmark = pytest.mark.usefixtures("app_env")
TEXT = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
        "it was the season of Darkness, it was the spring of hope, it was the winter of despair. ")


# ---------------------------------------------------------------- registry and home

def test_registry_lists_every_page_once_with_emoji_icons():
    from ui import pages
    files = [p.file for p in pages.PAGES]
    assert len(files) == len(set(files)) and len({p.url_path for p in pages.PAGES}) == len(files)
    for name in ("home", "train", "generate", "hidden_states", "gates", "text", "statistics",
                 "sequence_models", "gradients"):
        assert f"pages/{name}.py" in files
    assert not any(p.icon.startswith(":") for p in pages.PAGES)  # :material/...: fetches a font online
    assert [p.file for p in pages.available()] == [f for f in files if (ROOT / f).is_file()]


def test_every_page_goes_through_the_app_shell():
    from ui import pages
    for spec in pages.available():
        assert "ui.ensure_app()" in (ROOT / spec.file).read_text(), spec.file


def test_home_links_to_every_available_page():
    from ui import pages
    at = new_app()
    assert at.title[0].value.startswith("🔁")
    links = at.get("page_link")
    assert len(links) == len(pages.available()) - 1
    assert not at.warning  # the book is available here


def test_home_warns_when_the_book_cannot_be_had(monkeypatch, tmp_path):
    from ui import loaders
    monkeypatch.setenv("RNNVIZ_TIMEMACHINE", str(tmp_path / "missing.txt"))
    loaders.corpus.clear()
    loaders.corpus_stats.clear()
    try:
        at = new_app()
        assert any("unavailable" in w.value for w in at.warning) and "missing.txt" in at.code[0].value
        assert any("Python's documentation" in w.value for w in at.sidebar.warning)
    finally:
        loaders.corpus.clear()
        loaders.corpus_stats.clear()


def test_home_in_chinese_from_the_url():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value == "🔁 rnnviz：循环神经网络，实时演示"
    assert "动手学深度学习" in at.markdown[0].value
    assert dict(at.query_params)["lang"] in ("zh", ["zh"])  # the language stays in the link


# ---------------------------------------------------------------- sidebar

def test_sidebar_choices_persist_across_pages():
    at = new_app()
    at.sidebar.selectbox(key="sidebar_corpus").set_value("offline").run()
    at.switch_page("pages/train.py").run()
    assert at.sidebar.selectbox(key="sidebar_corpus").value == "offline"
    assert "Python documentation" in at.caption[0].value
    at.switch_page("pages/home.py").run()
    assert at.sidebar.selectbox(key="sidebar_corpus").value == "offline"


def test_sidebar_shows_the_device():
    at = new_app()
    badge = [m.value for m in at.sidebar.markdown if "badge" in m.value][0]
    if torch.cuda.is_available():
        assert "GPU:" in badge and "GiB" in badge
    else:
        assert re.search(r"CPU, \d+ threads", badge)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (bytes(range(256)) * 8, "binary"),
    ("short text".encode(), "too short"),
    ("\ufeff".encode("utf-16") + "text".encode("utf-16-le") * 100, "UTF-16"),
])
def test_bad_uploads_are_refused_with_the_engine_message(content, message):
    at = new_app()
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    at.sidebar.file_uploader(key="sidebar_upload").set_value(("notes.txt", content, "text/plain")).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("notes.txt")
    at.switch_page("pages/train.py").run()
    assert any("Upload a text file or paste" in i.value for i in at.info)  # nothing to train on yet


def test_good_upload_then_a_bad_one_keeps_the_good_text():
    at = new_app()
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    at.sidebar.file_uploader(key="sidebar_upload").set_value(("tale.txt", TEXT.encode(), "text/plain")).run()
    assert "Using tale.txt" in at.sidebar.success[0].value
    at.sidebar.file_uploader(key="sidebar_upload").set_value(("junk.bin", b"\x00\x01" * 500, "")).run()
    assert "binary" in at.sidebar.error[0].value and "Still using tale.txt" in at.sidebar.success[0].value
    at.switch_page("pages/train.py").run()
    assert "Your text" in at.caption[0].value and not at.exception


def test_pasted_text_is_checked_too():
    at = new_app()
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    at.sidebar.text_area(key="sidebar_paste").set_value("too short").run()
    at.sidebar.button(key="sidebar_use_paste").click().run()
    assert "too short" in at.sidebar.error[0].value
    at.sidebar.text_area(key="sidebar_paste").set_value(TEXT).run()
    at.sidebar.button(key="sidebar_use_paste").click().run()
    assert not at.sidebar.error and "pasted text" in at.sidebar.success[0].value


# ---------------------------------------------------------------- active model

PROBE_PAGE = """
import streamlit as st
import ui
ui.ensure_app()
m = ui.active_model()
st.write(f"{m.source}|{m.label}|{m.config.kind}|{m.config.hidden_size}|{len(m.vocab)}|{m.model.training}|{m.step}")
st.session_state["probe_active"] = m
"""


@pytest.fixture
def probe_page(tmp_path, monkeypatch):
    """A page added to the registry the way later pages will be, which shows ui.active_model()."""
    from ui import pages
    page = tmp_path / "probe_active.py"
    page.write_text(PROBE_PAGE)
    spec = pages.PageSpec("Tests", str(page), "Probe", "🧪", "probe", "shows the active model")
    monkeypatch.setattr(pages, "PAGES", pages.PAGES + (spec,))
    return str(page)


@pytest.fixture
def tiny_shipped(tmp_path, monkeypatch):
    """One shipped checkpoint (a tiny GRU) instead of whatever checkpoints/ holds right now."""
    from ui import loaders
    vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    cfg = ModelConfig(kind="gru", hidden_size=8, vocab_size=len(vocab))
    save_checkpoint(tmp_path / "tiny.pt", build_model(cfg), vocab, cfg, corpus={"label": "Tiny GRU"})
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: {"tiny": tmp_path / "tiny.pt"})


def test_a_new_page_in_the_registry_appears_in_navigation_and_on_home(probe_page):
    at = new_app()
    assert any(link.label.endswith("Probe**") for link in at.get("page_link"))


def test_active_model_defaults_to_a_shipped_checkpoint(tiny_shipped, probe_page):
    at = new_app(probe_page)
    assert at.main.markdown[-1].value.split("|") == ["shipped", "Tiny GRU", "gru", "8", "28", "False", "0"]


def test_active_model_without_any_model_says_where_to_get_one(monkeypatch, probe_page):
    from ui import loaders
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: {})
    at = new_app(probe_page)
    assert "No model yet" in at.info[0].value and at.get("page_link")
    assert not any("|" in m.value for m in at.main.markdown)


def test_a_run_made_active_is_a_snapshot_of_its_weights(tiny_shipped, probe_page):
    at = new_app("pages/train.py")
    set_widgets(at, TINY)
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.run()
    at.button(key="train_make_active").click().run()
    assert at.sidebar.selectbox(key="sidebar_model").value == f"run:{job.id}"

    at.switch_page(probe_page).run()
    assert not at.exception
    active = at.session_state["probe_active"]
    step, snap = job.snapshot()
    assert active.source == "session" and active.model is snap and active.step == step == job.view().step
    assert not active.model.training and active.label == job.label and len(active.history) == step
    for (name, p), q in zip(job.trainer.model.named_parameters(), active.model.parameters()):
        assert torch.equal(p.detach().cpu(), q), name
        assert p.data_ptr() != q.data_ptr()  # a copy: the run keeps training its own
