"""Every page's settings in the URL's query string, so a bookmark opens exactly what was on the screen.

The mechanism rides on :func:`ui.state.remember`, which every page already calls before drawing a
widget that should keep its value: the widget key is the query parameter's name
(``/generate?gen_prefix=the+time&gen_strategy=top-k&lang=zh``).

- :func:`begin` (app.py, before anything is drawn) compares the query string with the one this session
  last wrote. Only a query string that changed from outside (a bookmark, a pasted link, an edited
  address) is applied; otherwise a widget the user just moved would be put back by the stale URL.
- :func:`apply` (inside ``remember``) parses an incoming value to the type of the widget's default, or
  matches it against the widget's options. A value that does not parse, or is not among the options, is
  ignored with a visible note and the widget keeps its value.
- :func:`publish` (app.py, after the page) writes the values of every widget remembered in this run.
- A value that parses but that the widget itself refuses (out of its min/max) raises Streamlit's
  ``StreamlitAPIException`` while the page draws: :func:`recover` puts that widget back to its default
  and reruns, with the note; the other values of the link still apply.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

_PUBLISHED = "_url_published"  # the query string this session last wrote: {name: [values]}
_INCOMING = "_url_incoming"  # this run's externally changed query string, to apply
_APPLIED = "_url_applied"  # {key: default} applied from the URL in this run
_WANTED = "_url_wanted"  # {key: value} the URL asked for in this run (a number box clamps silently)
_SEEN = "_url_seen"  # {key: True} remembered in this run, in order
_NOTES = "_url_notes"  # ignored parameters, shown once: [(name, value)]
_REVERT = "_url_revert"  # {key: default} to reset at the start of the next run
_REFUSED = "_url_refused"  # {key: raw values} a widget refused: not applied again from the same URL
MAX_VALUE_CHARS = 2_000  # a bookmark, not a document; longer values are ignored


def _query() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params.keys()}


def begin() -> None:
    """Start of a run: decide whether the URL is new, reset the run's bookkeeping."""
    ss = st.session_state
    for key, default in ss.pop(_REVERT, {}).items():
        ss[key] = default
        ss.setdefault("_kept_widgets", {})[key] = default
    query = _query()
    incoming = query if query and query != ss.get(_PUBLISHED) else {}
    refused = ss.get(_REFUSED, {})
    ss[_INCOMING] = {k: v for k, v in incoming.items() if refused.get(k) != v}
    ss[_APPLIED] = {}
    ss[_WANTED] = {}
    ss[_SEEN] = {}


def _parse_scalar(raw: str, like):
    if isinstance(like, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    return raw


def _encode_scalar(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _match(raw: str, options: Sequence):
    for option in options:
        if _encode_scalar(option) == raw:
            return option
    raise ValueError(raw)


def _parse(raw: list[str], default, options: Sequence | None):
    if any(len(r) > MAX_VALUE_CHARS for r in raw):
        raise ValueError("too long")
    if isinstance(default, (list, tuple)):
        like = default[0] if default else (options[0] if options else "")
        if options is not None:
            # a multiselect (list) or a range select_slider (tuple): each value one of the options
            values = [_match(r, options) for r in raw if r != ""]
        else:
            values = [_parse_scalar(r, like) for r in raw if r != ""]
        if isinstance(default, tuple) and len(values) != len(default):  # a range has both its ends
            raise ValueError(raw)
        return tuple(values) if isinstance(default, tuple) else values
    if len(raw) != 1:
        raise ValueError(raw)
    if options is not None:
        return _match(raw[0], options)
    return _parse_scalar(raw[0], default)


def apply(key: str, default, options: Sequence | None = None) -> None:
    """Inside ``remember``: if this run's URL names ``key``, set the widget from it (or note why not)."""
    ss = st.session_state
    seen = ss.setdefault(_SEEN, {})
    if key in seen:  # remembered twice in one run: the widget may already be drawn, and must not be set again
        return
    seen[key] = True
    raw = ss.get(_INCOMING, {}).get(key)
    if raw is None:
        return
    try:
        value = _parse(raw, default, options)
    except (ValueError, TypeError):
        ss.setdefault(_NOTES, []).append((key, ",".join(raw)[:80]))
        return
    ss[key] = value
    ss.setdefault(_APPLIED, {})[key] = default
    ss.setdefault(_WANTED, {})[key] = value


def publish() -> None:
    """End of a run: write every remembered widget's value into the query string."""
    ss = st.session_state
    for key, wanted in ss.pop(_WANTED, {}).items():
        if key in ss and ss[key] != wanted:  # the widget put it inside its own range without a word: say so
            raw = ss.get(_INCOMING, {}).get(key, [])
            ss.setdefault(_NOTES, []).append((key, ",".join(raw)[:80]))
    query: dict[str, list[str]] = {}
    for key in ss.get(_SEEN, {}):
        if key not in ss:
            continue
        value = ss[key]
        if isinstance(value, (list, tuple)):
            if value:  # an empty selection cannot be written in a query string: it would never read back equal
                query[key] = [_encode_scalar(v) for v in value]
        elif value is None or isinstance(value, (bool, int, float, str)):
            if value is not None:
                query[key] = [_encode_scalar(value)]
    if not query:
        return
    if query != _query():
        st.query_params.from_dict(query)
    ss[_PUBLISHED] = query


def _drawn_keys() -> frozenset[str]:
    """Keys of the widgets registered so far in this run (a widget registers before it checks its value)."""
    ctx = get_script_run_ctx()
    return ctx.shared.widget_user_keys_this_run.snapshot() if ctx is not None else frozenset()


def recover(exc: Exception) -> bool:
    """After a widget refused a value: if it was a value from the URL, put that one back and rerun.

    The culprit is the last URL-applied key whose widget got as far as registering itself. Returns False
    (the caller re-raises) when no URL value is to blame.
    """
    ss = st.session_state
    applied = ss.get(_APPLIED) or {}
    drawn = _drawn_keys()
    culprits = [key for key in ss.get(_SEEN, {}) if key in applied and key in drawn]
    if not culprits:
        return False
    key = culprits[-1]
    raw = ss.get(_INCOMING, {}).get(key, [])
    ss.setdefault(_REVERT, {})[key] = applied[key]
    ss.get(_WANTED, {}).pop(key, None)
    ss.setdefault(_REFUSED, {})[key] = raw
    ss.setdefault(_NOTES, []).append((key, ",".join(raw)[:80]))
    st.rerun()
    return True  # not reached


def take_notes() -> list[tuple[str, str]]:
    """The ignored parameters not yet shown (each shown once).

    None while :func:`recover`'s rerun is pending: app.py's ``finally`` runs on the way out of the discarded
    run too, and the notes must wait for the run that is shown.
    """
    if _REVERT in st.session_state:
        return []
    return st.session_state.pop(_NOTES, [])
