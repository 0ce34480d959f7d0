"""The sidebar every page shares: the text, the active model and the device."""
from __future__ import annotations

import functools
import hashlib

import streamlit as st
import torch

from rnnviz.checkpoint import CheckpointError
from rnnviz.i18n import t

from . import active, charts, corpus, language, loaders, present
from .state import (CORPUS_ERROR, CORPUS_USER, SIDEBAR_CORPUS, SIDEBAR_KEEP_CASE, SIDEBAR_MODEL, SIDEBAR_PASTE,
                    SIDEBAR_UPLOAD, SIDEBAR_USE_PASTE, remember, set_widget)

_SEEN_UPLOAD = "corpus_upload_seen"  # file id of the upload already checked
SIDEBAR_CHECKPOINT_UPLOAD = "sidebar_checkpoint_upload"
_CHECKPOINT_NOTE = "sidebar_checkpoint_note"  # ("error" | "success", message) about the last checkpoint upload


def sidebar() -> None:
    with st.sidebar:
        language.picker()
        _text_picker()
        st.divider()
        _model_picker()
        st.divider()
        _display()
        device_badge()


def _display() -> None:
    """For the lecture hall: presentation mode and the format charts download in."""
    present.toggle()
    charts.image_format()
    st.segmented_control(t("sidebar.chart_format"), list(charts.FORMATS), key=charts.FORMAT_KEY, required=True,
                         format_func=str.upper, help=t("sidebar.chart_format_help"))


def _text_picker() -> None:
    st.subheader(t("sidebar.text_heading"))
    remember(SIDEBAR_CORPUS, corpus.DEFAULT, list(corpus.CHOICES))
    kind = st.selectbox(t("sidebar.text_label"), list(corpus.CHOICES), format_func=lambda k: t(f"sidebar.choice_{k}"),
                        key=SIDEBAR_CORPUS, help=t("sidebar.text_help"))
    if kind == "user":
        _own_text()
    current = corpus.current_corpus()
    if current is None:
        return
    if current.note:
        st.warning(t("sidebar.offline_note"), icon="📴")
    n_chars, n_distinct = loaders.corpus_stats(*corpus.current_spec())
    st.caption(t("sidebar.corpus_stats", name=corpus.display_name(current), chars=n_chars, distinct=n_distinct))



def _own_text() -> None:
    remember(SIDEBAR_KEEP_CASE, False)
    st.toggle(t("sidebar.keep_case"), key=SIDEBAR_KEEP_CASE)
    upload = st.file_uploader(t("sidebar.upload"), key=SIDEBAR_UPLOAD, help=t("sidebar.upload_help"))
    if upload is not None and st.session_state.get(_SEEN_UPLOAD) != upload.file_id:
        st.session_state[_SEEN_UPLOAD] = upload.file_id
        corpus.accept_user_text(upload.getvalue(), upload.name, upload.file_id)
    remember(SIDEBAR_PASTE, "")
    st.text_area(t("sidebar.paste"), key=SIDEBAR_PASTE, height=110, placeholder=t("sidebar.paste_placeholder"))
    st.button(t("sidebar.use_paste"), key=SIDEBAR_USE_PASTE, width="stretch", on_click=_use_paste)
    error = st.session_state.get(CORPUS_ERROR)
    own = st.session_state.get(CORPUS_USER)
    if error:
        st.error(error, icon="🚫")
    if own:
        st.success(t("sidebar.still_using" if error else "sidebar.using", name=own["name"], size=len(own["data"])),
                   icon="📄")


def _use_paste() -> None:
    pasted = st.session_state.get(SIDEBAR_PASTE, "")
    digest = hashlib.sha1(pasted.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    corpus.accept_user_text(pasted, "pasted text", f"paste:{digest}")


def _model_picker() -> None:
    st.subheader(t("sidebar.model_heading"))
    opts = active.options()
    if opts:
        remember(SIDEBAR_MODEL, active.default_key(opts), list(opts))
        st.selectbox(t("sidebar.model_label"), list(opts), format_func=opts.get, key=SIDEBAR_MODEL,
                     help=t("sidebar.model_help"))
    else:
        st.caption(t("sidebar.no_model"))
    _checkpoint_upload()


def _checkpoint_upload() -> None:
    """An rnnviz checkpoint from the user's disk: checked by rnnviz.checkpoint, then the active model."""
    st.file_uploader(t("hardening.upload_checkpoint"), type=["pt", "pth"], key=SIDEBAR_CHECKPOINT_UPLOAD,
                     on_change=_load_uploaded_checkpoint,
                     help=t("hardening.upload_checkpoint_help", mb=st.get_option("server.maxUploadSize")))
    note = st.session_state.get(_CHECKPOINT_NOTE)
    if note and note[0] == "error":
        st.error(note[1], icon="🚫")
    elif note:
        st.success(note[1], icon="🧩")


def _load_uploaded_checkpoint() -> None:
    """on_change of the checkpoint uploader (runs before the script, so it may set the model picker)."""
    upload = st.session_state.get(SIDEBAR_CHECKPOINT_UPLOAD)
    if upload is None:  # the file was removed from the uploader: the model stays, the note goes
        st.session_state.pop(_CHECKPOINT_NOTE, None)
        return
    try:
        key = active.add_upload(upload.getvalue(), upload.name)
    except CheckpointError as e:  # the previous active model stays active
        st.session_state[_CHECKPOINT_NOTE] = ("error", t("hardening.upload_failed", name=upload.name, error=e))
        return
    set_widget(SIDEBAR_MODEL, key)
    st.session_state[_CHECKPOINT_NOTE] = ("success", t("hardening.upload_loaded", name=upload.name))


@functools.cache
def _gpu() -> tuple[str, float] | None:
    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return props.name, props.total_memory / 2**30


def device_label() -> str:
    """'GPU: <name>, <N> GiB' when CUDA is available, else 'CPU, <N> threads' (in the interface language)."""
    gpu = _gpu()
    if gpu:
        return t("sidebar.device_gpu", name=gpu[0], gib=gpu[1])
    return t("sidebar.device_cpu", threads=torch.get_num_threads())


def device_badge() -> None:
    gpu = torch.cuda.is_available()
    st.badge(device_label(), icon="⚡" if gpu else "🖥", color="green" if gpu else "gray")
