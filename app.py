"""rnnviz in the browser: ``streamlit run app.py``. The router: language, URL state, navigation, the
shared sidebar, presentation mode, the page."""
import streamlit as st
from streamlit.errors import StreamlitAPIException

import ui
from rnnviz.i18n import t
from ui import heap, language, pages, present, state, urlstate, warmup

warmup.start()
heap.start()
state.save_widgets()
urlstate.begin()
language.setup()
present.setup()
st.set_page_config(page_title=t("app.page_title"), page_icon="🔁", layout="wide")
page = pages.navigation()
ui.sidebar()
present.apply()
notice = st.container()
try:
    page.run()
except StreamlitAPIException as exc:
    if not urlstate.recover(exc):
        raise
finally:
    urlstate.publish()
    for name, value in urlstate.take_notes():
        notice.warning(t("app.url_ignored", name=name, value=value), icon="🔗")
