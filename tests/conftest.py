"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def time_machine_file():
    """Path to the real Time Machine text, exported as RNNVIZ_TIMEMACHINE for the session.

    CI sets RNNVIZ_TIMEMACHINE; locally the shared copy beside the checkout is used. The book is
    never copied into the repository, so without either copy the tests that need it are skipped.
    """
    env = os.environ.get("RNNVIZ_TIMEMACHINE")
    if env:
        yield Path(env)
        return
    shared = Path(__file__).resolve().parents[2] / "shared/data/timemachine.txt"
    if not shared.is_file():
        pytest.skip(f"The Time Machine text not found: set RNNVIZ_TIMEMACHINE or provide {shared}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_TIMEMACHINE", str(shared))
        yield shared
