"""Every chart of the app goes through :func:`show`: one place for the projector and the exports.

- Exports: plotly's modebar camera button downloads the chart as an image in the format chosen in the
  sidebar (PNG at twice the screen's resolution, or SVG for slides), named after the chart.
- Presentation mode: every font of the figure is scaled up for the back of the room, and the figure grows
  a little taller to keep its proportions.
"""
from __future__ import annotations

import copy

import plotly.graph_objects as go
import streamlit as st

from . import present
from .state import remember

FORMAT_KEY = "chart_format"
FORMATS = ("png", "svg")
PRESENT_FONT_SCALE = 1.4
PRESENT_HEIGHT_SCALE = 1.15
_BASE_FONT = 14  # plotly's own default when a figure sets none


def _scale_fonts(node, factor: float) -> None:
    """Multiply every font size found in a figure's (nested) dict in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict):
                size = value.get("size")
                if isinstance(size, (int, float)):
                    value["size"] = round(size * factor, 1)
                elif isinstance(size, list):
                    value["size"] = [round(s * factor, 1) if isinstance(s, (int, float)) else s for s in size]
            _scale_fonts(value, factor)
    elif isinstance(node, list):
        for item in node:
            _scale_fonts(item, factor)


def for_projector(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` with every font ×1.4 and the height ×1.15 (presentation mode)."""
    spec = copy.deepcopy(fig.to_dict())
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {}).setdefault("size", _BASE_FONT)
    _scale_fonts(spec, PRESENT_FONT_SCALE)
    if isinstance(layout.get("height"), (int, float)):
        layout["height"] = int(layout["height"] * PRESENT_HEIGHT_SCALE)
    return go.Figure(spec)


def image_format() -> str:
    remember(FORMAT_KEY, "png", list(FORMATS))
    return st.session_state[FORMAT_KEY]


def config(name: str) -> dict:
    """The plotly config of a chart called ``name``: modebar export in the chosen format, no logo."""
    fmt = image_format()
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": f"rnnviz-{name}", "scale": 2 if fmt == "png" else 1},
    }


def show(fig: go.Figure, *, key: str, where=None, **kwargs):
    """``st.plotly_chart`` with the app's export config, scaled up in presentation mode.

    ``where`` is a container or column to draw in (default: the current one); other keyword arguments go
    to ``st.plotly_chart`` (``on_select``, ``selection_mode`` …). Returns what it returns.
    """
    target = where if where is not None else st
    if present.is_on():
        fig = for_projector(fig)
    kwargs.setdefault("theme", None)
    return target.plotly_chart(fig, key=key, config=config(key), **kwargs)
