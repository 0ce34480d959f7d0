"""What Streamlit does with every chart on every redraw — ``plotly.io.to_json`` — keeps nothing behind.

The live charts' hover data is a numpy object array (seconds, clock time). plotly serialises with orjson when it
is installed; orjson refuses object arrays and plotly falls back to its own encoder, but orjson 3.8 leaked the
array's objects on that refusal: two blocks per hover point, ~1,000 a figure, three figures a redraw — what
made the app's server grow ~1.5 MB a minute in a long run (README "Long runs"). requirements.txt pins an orjson
without the leak; this test fails with the old one installed.
"""
import gc
import sys

import plotly.io as pio

from rnnviz import plots

from test_plots import history  # noqa: E402 (tests/ is on the path, as for apptest_utils)


def _serialise_live_charts(rows):
    for fig in (plots.loss_figure(rows), plots.perplexity_figure(rows, 28), plots.grad_norm_figure(rows, 1.0)):
        pio.to_json(fig, validate=False)  # as st.plotly_chart does


def test_the_live_charts_json_keeps_no_objects():
    rows = history(3000)
    for _ in range(3):  # plotly's own caches fill on the first figures
        _serialise_live_charts(rows)
    gc.collect()
    before = sys.getallocatedblocks()
    redraws = 20
    for _ in range(redraws):
        _serialise_live_charts(rows)
    gc.collect()
    per_figure = (sys.getallocatedblocks() - before) / (3 * redraws)
    assert per_figure < 50, f"{per_figure:.0f} Python objects kept per figure serialised (engine {pio.json.config.default_engine})"
