"""What a ``st.download_button`` would hand the browser, read back in AppTest.

AppTest gives every run a fresh in-memory media store and drops it afterwards, so a button's file is gone by the
time the test looks. The :func:`downloads` fixture makes all runs share one store, and returns a function that
reads a button's bytes (running a deferred ``data=callable`` the way a click would).
"""
from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage


@pytest.fixture
def downloads(monkeypatch):
    from streamlit.testing.v1 import app_test

    storage = MemoryMediaFileStorage("/mock/media")
    manager = MediaFileManager(storage)
    monkeypatch.setattr(app_test, "MediaFileManager", lambda _storage: manager)

    def data(button) -> bytes:
        proto = button.proto
        url = manager.execute_deferred(proto.deferred_file_id) if proto.deferred_file_id else proto.url
        return storage.get_file(url.rsplit("/", 1)[-1]).content

    return data
