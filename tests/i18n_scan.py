"""Find text on a page that did not come through the catalogue (rnnviz.i18n.t).

The app is run in the pseudo-language ``qps``, in which every catalogue string is wrapped in ⟦ ⟧. Then
every piece of text an element shows (titles, markdown, captions, alerts, widget labels, help, options,
placeholders, metric labels, tab and expander labels, dataframe column names, chart titles, axis titles,
legend entries and annotations) is checked: once the ⟦…⟧ spans, HTML tags and markdown syntax are taken
out, no word of two or more Latin letters may be left. What the page shows as *data* — the corpus, a
generated sample, characters, numbers, maths — is exempt: inside ``st.code``/``st.latex``, in HTML marked
``class="rnnviz-data"``, or in a widget whose key is listed in :data:`DATA_WIDGETS`.
"""
from __future__ import annotations

import json
import re

from rnnviz.i18n import PSEUDO_CLOSE, PSEUDO_OPEN

# Widgets whose options or labels are data, not interface text (characters, unit numbers, file names …).
DATA_WIDGETS: set[str] = {"lang", "chart_format", "shapes_weight"}
SKIP_TYPES = {"code", "latex", "divider", "empty", "json", "html_data"}
_TEXT_FIELDS = ("label", "body", "help", "placeholder", "caption", "text", "title", "description")
_DATA_HTML = re.compile(r"<(\w+)[^>]*class=[\"'][^\"']*rnnviz-data[^\"']*[\"'][^>]*>.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_DIRECTIVE = re.compile(r":[a-z]+(-[a-z]+)*\[")  # :green-badge[ … ], :gray[ … ], :material/…:
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_LATEX = re.compile(r"\$[^$]+\$")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _strip_catalogued(text: str) -> str:
    """Remove ⟦…⟧ spans (they nest when one catalogue string is formatted into another)."""
    out, depth = [], 0
    for ch in text:
        if ch == PSEUDO_OPEN:
            depth += 1
        elif ch == PSEUDO_CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def leftover(text: str) -> str:
    """The part of ``text`` that looks like interface words outside the catalogue ('' if none)."""
    text = _DATA_HTML.sub(" ", text)
    text = _strip_catalogued(text)
    for pattern in (_LINK_TARGET, _TAG, _DIRECTIVE, _ENTITY, _LATEX):
        text = pattern.sub(" ", text)
    words = _WORD.findall(text)
    return " ".join(words)


def _figure_texts(spec: dict) -> list[str]:
    texts: list[str] = []
    layout = spec.get("layout", {})

    def title(obj):
        t = obj.get("title") if isinstance(obj, dict) else None
        if isinstance(t, dict):
            for k in ("text",):
                if isinstance(t.get(k), str):
                    texts.append(t[k])
            sub = t.get("subtitle")
            if isinstance(sub, dict) and isinstance(sub.get("text"), str):
                texts.append(sub["text"])
        elif isinstance(t, str):
            texts.append(t)

    title(layout)
    for name, value in layout.items():
        if re.match(r"[xy]axis\d*$|coloraxis\d*$", name) and isinstance(value, dict):
            title(value)
            if isinstance(value.get("colorbar"), dict):
                title(value["colorbar"])
    for ann in layout.get("annotations", []) or []:
        if isinstance(ann.get("text"), str) and not ann.get("name", "").startswith("data"):
            texts.append(ann["text"])
    for trace in spec.get("data", []) or []:
        if isinstance(trace.get("name"), str) and trace.get("showlegend", True) is not False:
            texts.append(trace["name"])
        if isinstance(trace.get("colorbar"), dict):
            title(trace["colorbar"])
    return texts


def _proto_texts(proto) -> list[str]:
    texts: list[str] = []
    for field, value in proto.ListFields():
        if field.name in _TEXT_FIELDS and isinstance(value, str):
            texts.append(value)
        elif field.name == "options":
            for opt in value:
                if isinstance(opt, str):
                    texts.append(opt)
                elif hasattr(opt, "content") and isinstance(opt.content, str):
                    texts.append(opt.content)
        elif field.name == "tabs":
            texts.extend(str(v) for v in value)
    return texts


def _element_texts(node) -> list[str]:
    kind = getattr(node, "type", "")
    if kind in SKIP_TYPES:
        return []
    proto = getattr(node, "proto", None)
    key = getattr(node, "key", None) if kind not in ("markdown", "caption") else None
    if key in DATA_WIDGETS:
        return []
    if kind == "plotly_chart":
        return _figure_texts(json.loads(proto.spec))
    if kind == "arrow_data_frame" or kind == "dataframe":
        try:
            return [str(c) for c in node.value.columns]
        except Exception:  # noqa: BLE001 - a dataframe the test API cannot decode is not text to check
            return []
    if proto is None:
        return []
    if kind == "markdown" and getattr(proto, "element_type", None) == 3:  # LATEX
        return []
    if hasattr(proto, "ListFields"):
        texts = _proto_texts(proto)
        if kind == "expandable" and hasattr(proto, "expandable"):
            texts.append(proto.expandable.label)
        return texts
    return []


def _walk(node, found: list[tuple[str, str]]) -> None:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            for text in _element_texts(child):
                rest = leftover(text)
                if rest:
                    found.append((getattr(child, "type", "?"), f"{rest}   ← {text[:160]!r}"))
            _walk(child, found)


def uncatalogued(at, part: str | None = None) -> list[tuple[str, str]]:
    """(element type, offending words ← text) for every piece of text outside the catalogue, on the whole
    page or only in ``part`` ('main' or 'sidebar')."""
    found: list[tuple[str, str]] = []
    if part is None:
        _walk(at._tree, found)
    else:
        _walk(getattr(at, part), found)
    return found
