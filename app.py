"""rnnviz in the browser: ``streamlit run app.py``. The router: navigation, the shared sidebar, the page."""
import streamlit as st

import ui
from ui import pages, state

st.set_page_config(page_title="rnnviz · recurrent networks, live", page_icon="🔁", layout="wide")
state.save_widgets()
page = pages.navigation()
ui.sidebar()
page.run()
