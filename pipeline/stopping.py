"""Cooperative stop on SIGINT/SIGTERM.

Raising from a signal handler can land inside a C callback (libsndfile's I/O hooks, for one),
where the exception is swallowed and the run goes on. Instead the handler sets a flag, and the
long loops check it at safe points: between synthesis batches, chunks and files. A second signal
stops at once.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()


class StopRequested(KeyboardInterrupt):
    """Raised at a safe point after SIGINT/SIGTERM; finished work is on disk and a rerun resumes."""


def _handler(signum: int, _frame: object) -> None:
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


def install() -> None:
    """Route SIGINT and SIGTERM to the flag (main thread only, as Python requires)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)


def stop_requested() -> bool:
    return _requested.is_set()


def checkpoint() -> None:
    if _requested.is_set():
        raise StopRequested
