"""`streamlit run`, timing the server's own answer to every page request: for the load benchmarks only.

    python benchmarks/timed_server.py TIMES_FILE run app.py [streamlit's options]

Each page request (a rerun that is not a fragment's) is timed from the moment the server takes the browser's
message off the websocket to the moment the script run it started has finished, one line per request in
TIMES_FILE: ``<session> <seconds>``. This is the server's response with nothing of the browser in it, which on
this machine shares the two cores with the server (benchmarks/load_sessions.py reports it beside the times seen
in the browser). It hooks two private Streamlit methods; with another Streamlit that lacks them the server runs
untimed and the file stays empty.
"""
from __future__ import annotations

import sys
import threading
import time


def install(path: str) -> bool:
    """Hook the timing into Streamlit; False if this Streamlit does not have the methods hooked."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    if not (hasattr(AppSession, "_handle_rerun_script_request") and hasattr(ScriptRunner, "_run_script")):
        return False
    lock = threading.Lock()
    asked: dict[str, float] = {}  # session id -> when its page request arrived (the earliest not yet answered)
    out = open(path, "a", buffering=1)  # noqa: SIM115 — open for the server's lifetime

    handle_rerun, run_script = AppSession._handle_rerun_script_request, ScriptRunner._run_script

    def _handle_rerun_script_request(self, client_state=None):
        if client_state is not None and not client_state.fragment_id:
            with lock:
                asked.setdefault(self.id, time.monotonic())
        return handle_rerun(self, client_state)

    def _run_script(self, rerun_data):
        try:
            return run_script(self, rerun_data)
        finally:
            if not rerun_data.fragment_id_queue:
                with lock:
                    t0 = asked.pop(self._session_id, None)
                    if t0 is not None:
                        out.write(f"{self._session_id} {time.monotonic() - t0:.4f}\n")

    AppSession._handle_rerun_script_request = _handle_rerun_script_request
    ScriptRunner._run_script = _run_script
    return True


def main() -> int:
    path, args = sys.argv[1], sys.argv[2:]
    if not install(path):
        print("timed_server: this Streamlit lacks the hooked methods; running untimed", file=sys.stderr)
    from streamlit.web import cli

    sys.argv = ["streamlit", *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
