"""List the text a page shows outside the interface catalogue (what tests/test_i18n.py fails on).

    RNNVIZ_TIMEMACHINE=../shared/data/timemachine.txt python tools/i18n_scan_page.py pages/train.py [main|sidebar]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from streamlit.testing.v1 import AppTest  # noqa: E402

from i18n_scan import uncatalogued  # noqa: E402

page = sys.argv[1] if len(sys.argv) > 1 else "pages/home.py"
part = sys.argv[2] if len(sys.argv) > 2 else None
from rnnviz import i18n  # noqa: E402

i18n.set_language(i18n.PSEUDO)  # AppTest calls the widgets' format_func in this thread too
at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
at.session_state["lang"] = i18n.PSEUDO
at.run()
at.switch_page(page).run()
print("exceptions:", at.exception)
for kind, text in uncatalogued(at, part):
    print(kind, "|", text)
