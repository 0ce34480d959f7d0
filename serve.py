"""Start rnnviz for a class: ``python serve.py [streamlit options]``.

The same as ``streamlit run app.py`` (which works too), with the one setting that has to be made before the
server's process starts and that a lecture-long server needs:

``MALLOC_ARENA_MAX=2``
    glibc gives each thread that allocates while another holds the allocator its own arena, up to eight per core,
    and keeps each arena's freed memory for that arena. A Streamlit server runs every page on a fresh thread, so
    the heavy pages leave tens of MB stranded in arenas nothing reuses, and the server's memory creeps up all
    lecture. Two arenas halve that creep, at a price in page time when many sessions click at once (threads
    wait for the two arenas' locks): README "Long runs" and "Many sessions at once" have both measured. For a lab
    full of students, ``MALLOC_ARENA_MAX=16 python serve.py`` (glibc's own limit on two cores). glibc reads this
    once, at start-up: set from the app's own code it does not take (the server has made ten arenas by then).

A value already in the environment wins. The process then becomes ``python -m streamlit run app.py`` with the
arguments given (same interpreter, same process id: signals, Ctrl-C and the exit status are Streamlit's), from
the project's folder so that its ``.streamlit/config.toml`` applies.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
APP = ROOT / "app.py"
ENV_DEFAULTS: dict[str, str] = {"MALLOC_ARENA_MAX": "2"}


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the defaults added where it has no value of its own."""
    return {**ENV_DEFAULTS, **base}


def command(args: Sequence[str]) -> list[str]:
    """The server's command line: this interpreter running Streamlit on app.py, then ``args``."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), *args]


def main(args: Sequence[str] | None = None) -> None:
    """Become the Streamlit server (never returns)."""
    cmd = command(sys.argv[1:] if args is None else args)
    os.chdir(ROOT)
    os.execve(sys.executable, cmd, environment(os.environ))


if __name__ == "__main__":
    main()
