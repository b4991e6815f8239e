"""Concurrent runs: the same book is refused while a run holds it; different books run in parallel;
a lock left by a killed run is taken over at once."""

from __future__ import annotations

import signal

from tests.conftest import write_book
from tests.robustness.conftest import SLUG
from tests.robustness.helpers import (produce_args, assert_one_line_error, book_files, finish, produce, report, resume, start,
                                      wait_stopped)


def test_same_book_is_refused_while_the_first_run_is_packaging(tmp_path, reference):
    """The lock covers the whole run, not only synthesis: a second run arriving during packaging
    (first run frozen mid-MP3) is refused and changes nothing; the first then finishes intact."""
    out = tmp_path / "out"
    first = start(*produce_args(reference.book, out), env={"AUDIOBOOK_FAULT": "mp3:1:STOP"})
    wait_stopped(first)
    try:
        second = produce(reference.book, out)
        message = assert_one_line_error(second)
        assert "being produced by another run" in message
    finally:
        resume(first)
    done = finish(first)
    assert done.returncode == 0, done.stderr[-3000:]
    assert book_files(out / SLUG) == reference.files


def test_different_books_run_in_parallel(tmp_path, reference):
    other = write_book(tmp_path, "other.md", title="Another Small Book")
    out = tmp_path / "out"  # the same output root: only the book folders differ
    a = start(*produce_args(reference.book, out))
    b = start(*produce_args(other, out))
    done_a, done_b = finish(a), finish(b)
    assert done_a.returncode == 0, done_a.stderr[-3000:]
    assert done_b.returncode == 0, done_b.stderr[-3000:]
    assert book_files(out / SLUG) == reference.files
    assert (out / "another-small-book" / "another-small-book.m4b").is_file()
    assert report(out / "another-small-book")["synthesis"]["synthesized"] > 0


def test_stale_lock_of_a_kill_9_run_is_taken_over(tmp_path, reference):
    """kill -9 mid-render (an ffmpeg child alive): the lock file stays, naming a dead pid; the next
    run does not wait or refuse, and finishes the book."""
    out = tmp_path / "out"
    first = start(*produce_args(reference.book, out), env={"AUDIOBOOK_FAULT": "render:1:STOP"})
    wait_stopped(first)
    pid = first.pid
    first.send_signal(signal.SIGKILL)
    assert finish(first).returncode == -signal.SIGKILL
    lock = out / SLUG / ".work" / "lock"
    assert lock.read_text().strip() == str(pid)
    done = produce(reference.book, out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert book_files(out / SLUG) == reference.files
