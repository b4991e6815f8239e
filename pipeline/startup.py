"""A Ctrl-C while the `audiobook` command is still loading its libraries ends in one line and
exit status 130, never a `KeyboardInterrupt` traceback from the middle of an import.

`pipeline.cli` calls `begin()` before its first heavy import; `end()` hands SIGINT back to Python's
usual handling (or to `pipeline.stopping`, if a command installed it) once a command starts. Nothing
has been written before that, so leaving at once is safe.
"""

from __future__ import annotations

import os
import signal
import threading

from pipeline.faults import fault_point

MESSAGE = b"interrupted while starting; nothing was done\n"


def _leave(signum: int, _frame: object) -> None:
    os.write(2, MESSAGE)
    os._exit(130)


def begin() -> None:
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _leave)
    fault_point("startup")


def end() -> None:
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is _leave:
        signal.signal(signal.SIGINT, signal.default_int_handler)
