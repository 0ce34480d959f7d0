"""The interface's words in English and Simplified Chinese: one catalogue folder per language.

Every string a reader sees (page titles, labels, help, explanations, axis titles, messages) is looked up
by key: ``t("present.toggle")`` reads the key ``toggle`` of ``rnnviz/locales/<lang>/present.toml``; values are
``str.format`` templates (``t("app.url_ignored", name="lr", value="x")``). The Chinese catalogue uses the terms of the
Chinese edition of d2l (词元, 词表, 困惑度, 隐状态, 遗忘门, 梯度裁剪 …).

The language is a :class:`contextvars.ContextVar`: the app sets it at the start of every script run (each
browser session runs its script in its own thread), and registers a resolver (:func:`set_resolver`) that
reads the session's choice for runs that skip app.py (fragment reruns). The CLI, the training threads and
the tests get English unless they ask otherwise.
A key missing from a catalogue falls back to English, then to the key itself, so a gap shows up as an
odd word on screen, never as a crash; tests/test_i18n.py makes such gaps fail the build.

``qps`` is a pseudo-language for tests only: English wrapped in ⟦ ⟧, so any text on a page that did not
come through :func:`t` stands out.
"""
from __future__ import annotations

import contextvars
import functools
import logging
import string
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"
PSEUDO = "qps"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("rnnviz_language", default=None)
_resolver: Callable[[], str | None] | None = None


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Where the language comes from when this context never set one: the app registers a function that reads
    the browser session's choice, so code run outside app.py's run (a fragment's rerun) still speaks it."""
    global _resolver
    _resolver = resolver


def set_language(lang: str) -> str:
    """Make ``lang`` the language of this thread's context; an unknown code falls back to English."""
    lang = lang if lang in LANGUAGES or lang == PSEUDO else DEFAULT
    _language.set(lang)
    return lang


def language() -> str:
    """The current language code ('en', 'zh', or the test pseudo-language 'qps')."""
    lang = _language.get()
    if lang is None and _resolver is not None:
        lang = _resolver()
    return lang if lang in LANGUAGES or lang == PSEUDO else DEFAULT


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Temporarily switch the language (tests, exports)."""
    token = _language.set(lang)
    try:
        yield
    finally:
        _language.reset(token)


def _flatten(prefix: str, table: dict, out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language: ``"<file stem>.<key>"`` → template."""
    if lang == PSEUDO:
        return {k: f"{PSEUDO_OPEN}{v}{PSEUDO_CLOSE}" for k, v in catalogue(DEFAULT).items()}
    out: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with path.open("rb") as f:
            _flatten(path.stem, tomllib.load(f), out)
    return out


def has(key: str) -> bool:
    return key in catalogue(DEFAULT)


def t(key: str, /, **values) -> str:
    """The text of ``key`` in the current language, formatted with ``values``."""
    lang = language()
    template = catalogue(lang).get(key)
    if template is None:
        log.warning("i18n: no %r in %s", key, lang)
        template = catalogue(DEFAULT).get(key, key)
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("i18n: cannot format %r in %s: %s", key, lang, exc)
        return template


def fields(template: str) -> set[str]:
    """The ``{names}`` a template expects (tests check both languages expect the same)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}

