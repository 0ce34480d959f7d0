"""Home: what rnnviz is, and a link to every page in teaching order."""
import streamlit as st

import ui
from ui import loaders, pages

ui.ensure_app()

st.title("🔁 rnnviz: recurrent neural networks, live")
st.markdown(
    "An interactive companion to the recurrent-network chapters of *Dive into Deep Learning* "
    "([d2l.ai](https://d2l.ai)). Train a character-level RNN, GRU or LSTM on H. G. Wells' "
    "*The Time Machine* in front of the class, watch its loss fall and its text improve, then look "
    "inside: hidden states, gates and gradients."
)

corpus = ui.current_corpus()
book = loaders.corpus(corpus.kind if corpus is not None and corpus.kind in ("timemachine", "raw")
                      else "timemachine")
if book.note:
    st.warning(book.note, icon="📴")

st.markdown("**To start:** pick the text and the model in the sidebar, then follow the pages in order.")

specs = [p for p in pages.available() if p.file != "pages/home.py"]
left, right = st.columns(2, gap="large")
for i, spec in enumerate(specs):
    with (left if i % 2 == 0 else right), st.container(border=True):
        st.page_link(spec.file, label=f"**{spec.label()}**", icon=spec.icon)
        st.caption(spec.summary() if spec.group() in ("", spec.label()) else f"{spec.group()} · {spec.summary()}")
