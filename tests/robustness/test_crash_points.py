"""Kill `audiobook produce` at every stage boundary (AUDIOBOOK_FAULT, see pipeline/faults.py), then
rerun: the rerun completes, synthesises only the chunks that were not finished, and the final files
are byte-identical to an uninterrupted run. SIGTERM/SIGINT at several points stop cleanly (exit
130) and leave a resumable state."""

from __future__ import annotations

import os
import signal

import pytest

from tests.robustness.conftest import SLUG
from tests.robustness.helpers import (produce_args, book_files, cached_keys, finish, leftovers, produce,
                                      report, resume, start, wait_stopped)

# (point, hit): where the SIGKILL lands. Hits counted per run; the three-chapter book has 19 chunks
# and 5 tracks (credits + 3 chapters + closing credits).
KILL_POINTS = [
    ("ingest", 1),     # manuscript read, nothing written yet
    ("plan", 1),       # plan.json written, no chunk yet
    ("chunk", 1),      # first chunk cached
    ("chunk", 9),      # mid-synthesis, some tracks already mastering
    ("render", 2),     # mid-mastering: ffmpeg half-fed
    ("rendered", 1),   # part's audio renamed into place, its metadata not yet written
    ("mp3", 2),        # mid-packaging: MP3 copy/tag into the staging folder
    ("swap", 1),       # final rename of mp3/: the old one moved aside, the new one not yet in place
    ("m4b", 1),        # M4B muxed and tagged under its temporary name, not yet renamed
    ("manifest", 1),   # audio final, manifest/report not yet written
]
SLOW_POINTS = {("plan", 1), ("rendered", 1), ("manifest", 1)}


def _resume_and_compare(reference, out, cached_before: set[str]) -> None:
    done = produce(reference.book, out)
    assert done.returncode == 0, done.stderr[-3000:]
    root = out / SLUG
    synth = report(root)["synthesis"]
    assert synth["chunks"] == reference.chunks
    assert synth["synthesized"] == reference.chunks - len(cached_before), "re-synthesised finished chunks"
    assert book_files(root) == reference.files, "resumed output differs from an uninterrupted run"
    assert not leftovers(root), leftovers(root)


@pytest.mark.parametrize("point,hit", [pytest.param(p, n, marks=[pytest.mark.slow] if (p, n) in SLOW_POINTS else [],
                                                    id=f"{p}-{n}") for p, n in KILL_POINTS])
def test_sigkill_at_point_then_rerun_matches_uninterrupted_run(tmp_path, reference, point, hit):
    out = tmp_path / "out"
    killed = produce(reference.book, out, env={"AUDIOBOOK_FAULT": f"{point}:{hit}"})
    assert killed.returncode == -signal.SIGKILL, f"fault point {point}:{hit} never hit: {killed.stderr[-2000:]}"
    root = out / SLUG
    if point not in ("m4b", "manifest"):
        assert not (root / f"{SLUG}.m4b").exists()
    cached = cached_keys(root)
    if point == "chunk":
        assert len(cached) == hit
    _resume_and_compare(reference, out, cached)


def test_sigkill_twice_in_a_row_then_rerun(tmp_path, reference):
    """A crash during the run that was resuming a crash."""
    out = tmp_path / "out"
    assert produce(reference.book, out, env={"AUDIOBOOK_FAULT": "chunk:5"}).returncode == -signal.SIGKILL
    assert produce(reference.book, out, env={"AUDIOBOOK_FAULT": "render:3"}).returncode == -signal.SIGKILL
    _resume_and_compare(reference, out, cached_keys(out / SLUG))


@pytest.mark.parametrize("point,hit,sig", [("chunk", 4, "TERM"), ("render", 2, "INT"), ("mp3", 1, "TERM")],
                         ids=["term-mid-synthesis", "int-mid-render", "term-mid-packaging"])
def test_sigterm_sigint_stop_cleanly_and_resume(tmp_path, reference, point, hit, sig):
    out = tmp_path / "out"
    stopped = produce(reference.book, out, env={"AUDIOBOOK_FAULT": f"{point}:{hit}:{sig}"})
    assert stopped.returncode == 130, stopped.stderr[-3000:]
    assert "Traceback" not in stopped.stderr
    assert "interrupted" in stopped.stderr.strip().splitlines()[-1]
    assert not (out / SLUG / f"{SLUG}.m4b").exists()
    _resume_and_compare(reference, out, cached_keys(out / SLUG))


def test_ctrl_c_to_the_process_group_mid_render(tmp_path, reference):
    """A terminal's Ctrl-C reaches the whole foreground group, ffmpeg included: still a clean stop."""
    out = tmp_path / "out"
    proc = start(*produce_args(reference.book, out), env={"AUDIOBOOK_FAULT": "render:2:STOP"},
                 start_new_session=True)
    wait_stopped(proc)
    os.killpg(proc.pid, signal.SIGINT)
    os.killpg(proc.pid, signal.SIGCONT)
    done = finish(proc)
    assert done.returncode == 130, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr.strip().splitlines()[-1]
    _resume_and_compare(reference, out, cached_keys(out / SLUG))
