"""A Ctrl-C at any moment of start-up (libraries loading, options parsed, the run beginning) ends
in one line and exit status 130, never a KeyboardInterrupt traceback."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import write_book
from tests.robustness.helpers import NO_QA, finish, start, wait_stopped


@pytest.mark.parametrize("after_s", [0.0, 0.5, 2.0])
def test_ctrl_c_during_start_up_is_one_line_and_exit_130(tmp_path, after_s):
    """The process stops itself where the CLI begins loading its libraries (so that the moment does
    not depend on the machine's speed), then gets Ctrl-C `after_s` seconds after it goes on."""
    book = write_book(tmp_path)
    proc = start("produce", str(book), "--output", str(tmp_path / "out"), *NO_QA,
                 env={"AUDIOBOOK_FAULT": "startup:1:STOP"})
    wait_stopped(proc)
    if after_s:
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    os.kill(proc.pid, signal.SIGCONT)
    done = finish(proc, timeout=120)
    assert done.returncode == 130, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and "interrupted" in lines[-1] and len(lines) <= 2, done.stderr[-3000:]
