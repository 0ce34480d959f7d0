"""AppTest of the Train page: settings and presets, errors, the run lifecycle, the run table, keeping a run.

Runs here are real but tiny (LSTM with 16 units on 2,000 characters: a few ms per step). Each at.run()
is one tick of the live panel's fragment, which never fires by itself under AppTest.
"""
import io
import json
import math

import pandas as pd
import pytest
from apptest_downloads import downloads  # noqa: F401
from apptest_utils import APP, TIMEOUT, TINY, app_env, new_app, only_job, opened_at, run_book, set_widgets, wait_for  # noqa: F401
from streamlit.testing.v1 import AppTest

from rnnviz import i18n
from rnnviz.checkpoint import load_checkpoint
from rnnviz.train import PRESETS
from ui import train_form

pytestmark = pytest.mark.usefixtures("app_env")
TRAIN = "pages/train.py"




def button(at, key: str):
    return next(b for b in at.get("download_button") if b.key == key)


def texts(node, kind: str) -> list[str]:
    """The values of every ``kind`` element (e.g. 'latex') inside a block, however deep."""
    found = [node.value] if getattr(node, "type", "") == kind else []
    for child in (getattr(node, "children", None) or {}).values():
        found += texts(child, kind)
    return found


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_idle_page_shows_settings_and_a_model_summary():
    at = new_app(TRAIN)
    assert at.title[0].value.startswith("🏋")
    assert any("parameters" in c.value and "steps per epoch" in c.value for c in at.caption)
    assert not at.button(key="train_start").disabled
    assert not at.get("plotly_chart")  # nothing to draw before a run
    assert any("Start training" in i.value for i in at.info)


def test_preset_fills_the_widgets_in_one_click():
    at = new_app(TRAIN)
    preset = PRESETS["d2l-9.2-lstm"]
    at.button(key="train_preset_d2l-9.2-lstm").click().run()
    assert not at.exception
    assert at.get_by_key("train_kind").value == preset.model.kind
    assert at.get_by_key("train_hidden").value == preset.model.hidden_size
    assert at.get_by_key("train_optimizer").value == preset.train.optimizer
    assert at.get_by_key("train_lr").value == preset.train.lr
    assert at.get_by_key("train_epochs").value == preset.train.epochs
    assert at.get_by_key("train_max_tokens").value == preset.train.max_tokens
    assert any(preset.name in c.value for c in at.caption)
    set_widgets(at, {"train_hidden": 128})  # edited: no longer the preset, so its caption goes
    assert not any(preset.name in c.value for c in at.caption)


def test_invalid_combination_shows_the_engine_message_and_blocks_start():
    at = new_app(TRAIN)
    set_widgets(at, {"train_kind": "scratch", "train_bidirectional": True})
    assert not at.exception
    assert any("scratch RNN is unidirectional" in e.value for e in at.error)
    assert at.button(key="train_start").disabled


def test_start_error_from_the_engine_is_shown_not_raised():
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_batch_size": 512, "train_num_steps": 100})  # 2,000 characters: too few
    at.button(key="train_start").click().run()
    assert not at.exception
    assert any("needs at least" in e.value for e in at.error)
    assert not run_book(at).jobs


def test_start_pause_resume_stop_table_download_and_make_active():
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_epochs": 1000})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: job.view().step >= 3)
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert {"Step", "Epoch", "Training perplexity", "Validation perplexity", "Tokens / s", "Time left"} <= set(labels)
    assert chart_titles(at)[:3] == ["Training loss", "Perplexity", "Gradient norm"]

    at.button(key="train_pause").click().run()
    wait_for(at, lambda: job.status == "paused")
    step = job.view().step
    assert any("paused" in w.value for w in at.warning)
    assert at.button(key="train_pause").disabled and not at.button(key="train_resume").disabled
    at.run()
    assert job.view().step == step  # paused means no steps

    at.button(key="train_resume").click().run()
    wait_for(at, lambda: job.view().step > step)
    at.button(key="train_stop").click().run()
    wait_for(at, lambda: job.status == "stopped")
    at.run()  # the fragment notices the run ended and reruns the page
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["stopped"] and table["Steps"][0] == job.view().step

    assert button(at, "train_download").label.startswith("💾")
    ckpt = load_checkpoint(job.checkpoint_bytes())
    assert ckpt.config.hidden_size == 16 and len(ckpt.history) == job.view().step
    assert ckpt.train_config.max_tokens == 2_000 and ckpt.corpus["label"] == job.label

    at.button(key="train_make_active").click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="sidebar_model").value == f"run:{job.id}"


def test_run_survives_leaving_the_page_and_settings_are_kept():
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_epochs": 1000})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: job.view().step >= 1)
    at.switch_page("pages/home.py").run()
    before = job.view().step
    wait_for(at, lambda: job.view().step > before + 5)  # still training while another page shows
    at.switch_page(TRAIN).run()
    assert not at.exception
    assert at.get_by_key("train_hidden").value == 16 and at.get_by_key("train_epochs").value == 1000
    assert job.status == "running" and len(at.get("plotly_chart")) >= 3


def test_diverged_run_stops_with_a_message_and_finite_weights():
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_kind": "rnn", "train_nonlinearity": "relu", "train_optimizer": "sgd",
                     "train_lr": 100.0, "train_clip": 0.0, "train_epochs": 50})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.run()
    assert job.status == "diverged"
    assert any("diverged" in e.value for e in at.error)
    step, model = job.snapshot()
    assert all(p.isfinite().all() for p in model.parameters())


def test_runs_beyond_the_cap_wait_in_a_queue(monkeypatch):
    from ui import worker
    monkeypatch.setattr(worker, "SCHEDULER", worker.Scheduler(max_running=1))
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_epochs": 1000})
    at.button(key="train_start").click().run()
    at.button(key="train_start").click().run()
    first, second = run_book(at).jobs.values()
    wait_for(at, lambda: first.status == "running" and second.status == "queued")
    assert any("Queued: 1 run ahead of you" in i.value for i in at.info)
    first.stop()
    wait_for(at, lambda: second.status == "running")


def test_compare_overlays_the_picked_runs():
    at = new_app(TRAIN)
    set_widgets(at, TINY)
    at.button(key="train_start").click().run()
    set_widgets(at, {"train_kind": "gru"})
    at.button(key="train_start").click().run()
    jobs = list(run_book(at).jobs.values())
    wait_for(at, lambda: not any(j.active for j in jobs))
    at.run()
    assert at.multiselect(key="train_compare").value == [f"run:{j.id}" for j in jobs]
    compare = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert [t["name"] for t in compare["data"]] == [j.label for j in jobs]
    at.get_by_key("train_compare_metric").set_value("val_ppl").run()
    assert not at.exception


def test_kind_select_offers_the_cell_variants_and_trains_one():
    at = new_app(TRAIN)
    options = at.selectbox(key="train_kind").options
    assert "Minimal GRU (update gate only)" in options and "LSTM with peepholes" in options
    set_widgets(at, {**TINY, "train_kind": "gru-min"})
    assert not at.error and any(c.value.startswith("Minimal GRU") and "parameters" in c.value for c in at.caption)
    set_widgets(at, {"train_kind": "lstm-peephole", "train_epochs": 1})
    assert not at.error and any(c.value.startswith("LSTM with peepholes") for c in at.caption)
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    assert not at.exception
    ckpt = load_checkpoint(job.checkpoint_bytes())
    assert ckpt.config.kind == "lstm-peephole" and ckpt.history and "LSTM with peepholes" in job.label


def test_hyperparameters_round_trip_through_the_url():
    at = new_app(TRAIN)
    values = {"train_kind": "gru", "train_hidden": 128, "train_layers": 2, "train_bidirectional": True,
              "train_embedding": 32, "train_sampler": "random", "train_num_steps": 20, "train_batch_size": 16,
              "train_max_tokens": 10_000, "train_val_frac": 0.2, "train_optimizer": "sgd", "train_lr": 0.5,
              "train_clip": 2.0, "train_epochs": 7, "train_max_seconds": 60.0, "train_dropout": 0.1,
              "train_seed": 3, "train_eval_every": 50}
    set_widgets(at, values)
    query = dict(at.query_params)
    assert query["train_kind"] in ("gru", ["gru"]) and "train_lr" in query
    fresh = opened_at(TRAIN, query)
    assert not fresh.exception and not fresh.warning
    assert {key: fresh.get_by_key(key).value for key in values} == values


def test_a_preset_round_trips_through_the_url():
    at = new_app(TRAIN)
    at.button(key="train_preset_d2l-9.4-bilstm").click().run()
    preset = PRESETS["d2l-9.4-bilstm"]
    fresh = opened_at(TRAIN, dict(at.query_params))
    assert not fresh.exception
    assert fresh.get_by_key("train_bidirectional").value is True and fresh.get_by_key("train_layers").value == 2
    assert fresh.get_by_key("train_epochs").value == preset.train.epochs
    assert any(preset.name in c.value for c in fresh.caption)  # recognised as the preset, from the values alone


@pytest.mark.parametrize("name,raw", [("train_hidden", "lots"), ("train_kind", "transformer"), ("train_lr", "fast"),
                                      ("train_sampler", "shuffled"), ("train_val_frac", "0.9"),
                                      ("train_layers", "99")])
def test_a_tampered_link_falls_back_with_a_note(name, raw):
    at = opened_at(TRAIN, {name: raw})
    assert not at.exception
    assert any(name in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.get_by_key(name).value == train_form.values_of(train_form.DEFAULT_MODEL, train_form.DEFAULT_TRAIN)[name]


def test_run_table_as_csv_checkpoint_download_and_perplexity_definition(downloads):  # noqa: F811
    at = new_app(TRAIN)
    set_widgets(at, {**TINY, "train_val_frac": 0.2})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.run()
    assert not at.exception
    view = job.view()

    table = pd.read_csv(io.BytesIO(downloads(button(at, "train_table_csv"))))
    assert list(table.columns) == list(at.dataframe[0].value.columns)
    assert table["Status"][0] == "done" and table["Steps"][0] == view.step and table["Run"][0] == 1
    assert table["Val ppl"][0] == pytest.approx(view.val_ppl, abs=1e-3)

    ckpt_button = button(at, "train_download")
    assert ckpt_button.label == "💾 Download checkpoint"
    ckpt = load_checkpoint(downloads(ckpt_button))
    assert ckpt.config.hidden_size == 16 and len(ckpt.history) == view.step
    assert ckpt.metrics["val_ppl"] == pytest.approx(view.val_ppl)

    # Beside each perplexity, its definition with this run's numbers: exp(mean cross-entropy) = the metric.
    latex = [" ".join(texts(p, "latex")) for p in at.get("popover")]
    for ppl in (view.train_ppl, view.val_ppl):
        shown = next(m.value for m in at.metric if m.value == f"{ppl:,.2f}")
        assert any(f"\\exp({math.log(ppl):.3f})" in x and f"= {shown}" in x for x in latex), (shown, latex)


def test_a_run_speaks_the_language_of_the_page():
    at = new_app(TRAIN)
    set_widgets(at, TINY)
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.run()
    assert at.selectbox(key="train_pick").options[0].startswith("Run 1 · LSTM 16")
    assert any("Finished" in s.value for s in at.success)
    at.sidebar.selectbox(key="lang").set_value("zh").run()  # after the run: its name and message follow
    assert not at.exception
    with i18n.using("zh"):  # AppTest calls the page's format_funcs on this thread: give it the page's language
        at.run()
        assert at.selectbox(key="train_pick").options[0].startswith("运行 1 · LSTM 16")
        assert any("训练完成" in s.value for s in at.success)
        assert list(at.dataframe[0].value["状态"]) == ["已完成"]
        assert job.label == at.selectbox(key="train_pick").options[0]
