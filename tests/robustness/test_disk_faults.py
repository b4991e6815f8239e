"""Disk and resource faults beyond tests/produce: a disk that fills during packaging, the output
folder deleted mid-run, ffmpeg missing. Each ends in one clear line and a rerun finishes the book."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.robustness.conftest import SLUG
from tests.robustness.helpers import (produce_args, assert_one_line_error, book_files, cached_keys, finish, leftovers, produce,
                                      report, resume, start, wait_stopped)

PAGE = 4096


def pages(root) -> int:
    """Bytes tmpfs charges for the files under root (whole pages per file)."""
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in root.rglob("*") if p.is_file())


@pytest.fixture
def tmpfs(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = []

    def make(size: int):
        if os.geteuid() != 0:
            pytest.skip("needs root to mount a tmpfs")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(mount)
        return mount

    yield make
    for m in mounted:
        subprocess.run(["umount", "-l", str(m)], check=False)


def _free_space_then_resume_synthesises_nothing(disk, reference) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    done = produce(reference.book, disk)
    assert done.returncode == 0, done.stderr[-3000:]
    root = disk / SLUG
    assert report(root)["synthesis"]["synthesized"] == 0
    assert book_files(root) == reference.files
    assert not leftovers(root), leftovers(root)


def test_disk_full_during_packaging_then_resume_synthesises_nothing(tmp_path, reference, tmpfs):
    # Room for everything synthesis and mastering write (.work/ of a finished run), plus half the MP3s.
    size = pages(reference.root / ".work") + pages(reference.root / "mp3") // 2
    disk = tmpfs(size)
    done = produce(reference.book, disk)
    message = assert_one_line_error(done)
    assert "No space left on device" in message
    root = disk / SLUG
    assert len(cached_keys(root)) == reference.chunks, "synthesis should have fitted"
    assert not (root / f"{SLUG}.m4b").exists() and not (root / "mp3").exists()
    _free_space_then_resume_synthesises_nothing(disk, reference)


def test_output_folder_deleted_mid_synthesis(tmp_path, reference):
    out = tmp_path / "out"
    proc = start(*produce_args(reference.book, out), env={"AUDIOBOOK_FAULT": "chunk:3:STOP"})
    wait_stopped(proc)
    shutil.rmtree(out / SLUG)
    resume(proc)
    done = finish(proc)
    if done.returncode != 0:  # a clear error is fine; so is recreating the folder and finishing
        assert_one_line_error(done)
    done = produce(reference.book, out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert book_files(out / SLUG) == reference.files


def test_ffmpeg_missing_is_a_clear_error_and_resumable(tmp_path, reference):
    out = tmp_path / "out"
    done = produce(reference.book, out, env={"IMAGEIO_FFMPEG_EXE": str(tmp_path / "no" / "ffmpeg")})
    message = assert_one_line_error(done)
    assert "ffmpeg" in message
    cached = cached_keys(out / SLUG)
    done = produce(reference.book, out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert report(out / SLUG)["synthesis"]["synthesized"] == reference.chunks - len(cached)
    assert book_files(out / SLUG) == reference.files


def test_disk_full_while_mastering_says_so_in_one_line_and_resumes_identically(tmp_path, reference, tmpfs):
    # Every chunk already cached (nothing to synthesise) and room for a third of the mastered parts:
    # the encoder (ffmpeg) hits the wall, which it reports only as "Conversion failed!".
    size = pages(reference.root / ".work" / "cache") + pages(reference.root / ".work" / "render") // 3
    disk = tmpfs(size)
    root = disk / SLUG
    shutil.copytree(reference.root / ".work" / "cache", root / ".work" / "cache")
    done = produce(reference.book, disk)
    message = assert_one_line_error(done)
    assert "No space left on device" in message and f"the disk holding {root} is full" in message, message
    assert "Conversion failed" not in message and ".mp3" not in message and ".tmp" not in message, message
    _free_space_then_resume_synthesises_nothing(disk, reference)
