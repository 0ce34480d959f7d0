"""Home: what rnnviz is, and a link to every page in teaching order."""
import streamlit as st

import ui
from rnnviz.i18n import t
from ui import loaders, pages

ui.ensure_app()

st.title(t("home.title"))
st.markdown(t("home.intro"))

corpus = ui.current_corpus()
book = loaders.corpus(corpus.kind if corpus is not None and corpus.kind in ("timemachine", "raw")
                      else "timemachine")
if book.note:  # the engine's reason (a URL, an error) is technical: shown as it is, under a translated headline
    st.warning(t("home.book_unavailable"), icon="📴")
    st.code(book.note, language=None, wrap_lines=True)

st.markdown(t("home.start"))

specs = [p for p in pages.available() if p.file != "pages/home.py"]
left, right = st.columns(2, gap="large")
for i, spec in enumerate(specs):
    with (left if i % 2 == 0 else right), st.container(border=True):
        st.page_link(spec.file, label=f"**{spec.label()}**", icon=spec.icon)
        st.caption(spec.summary() if spec.group() in ("", spec.label()) else f"{spec.group()} · {spec.summary()}")
