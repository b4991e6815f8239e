"""Resume after a kill, partial re-synthesis after an edit, and faults: each ends cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli, write_book

LONGER = {
    "Chapter 1: The Road": [
        "The road ran north from the village, past the mill and the old stone bridge.",
        "Nobody walked it after dark. The farmers said the fog came up from the river like a tide.",
        "Martha walked it anyway, every evening, with a lantern and a dog called Biscuit.",
    ],
    "Chapter 2: The Fog": [
        "On the ninth of October the fog came early. By four o'clock she could not see the hedges.",
        "Biscuit stopped at the bridge and would not cross. Martha lifted the lantern and listened.",
        "Somewhere below, in the white, a bell was ringing, slow and steady, like a heartbeat.",
    ],
    "Chapter 3: The Bell": [
        "It was the ferry bell, of course. The ferryman had lost his way and was calling for help.",
        "Martha shouted until he found the bank, and the three of them walked home together.",
    ],
}


def book_files(root: Path) -> dict[str, bytes]:
    """The finished audio files of a produced book, by name."""
    files = {p.name: p.read_bytes() for p in (root / "mp3").glob("*.mp3")}
    files.update({p.name: p.read_bytes() for p in root.glob("*.m4b")})
    return files


def report(root: Path) -> dict:
    return json.loads((root / "report.json").read_text())


def produce_cli(book: Path, out: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("produce", str(book), "--output", str(out), env=env)


def edited_copy(book: Path, folder: Path, old: str, new: str, produced: Path) -> Path:
    """An edited copy of `book`, made the owner of the copied book folder `produced`, as if the
    reference manuscript itself had been edited (the copy keeps the reference intact for other tests)."""
    from pipeline.book_owner import ManuscriptIdentity, record_owner
    from pipeline.plan import file_sha256

    edited = folder / book.name
    edited.write_text(book.read_text().replace(old, new))
    record_owner(produced, ManuscriptIdentity.of(edited, file_sha256(edited)))
    return edited


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted production of the longer book."""
    folder = tmp_path_factory.mktemp("reference")
    book = write_book(folder, "road.md", title="The Fog Road", chapters=LONGER)
    done = produce_cli(book, folder / "out")
    assert done.returncode == 0, done.stderr
    return book, folder / "out" / "the-fog-road"


def test_kill_9_mid_synthesis_then_resume_matches_uninterrupted_run(tmp_path, reference):
    book, ref_root = reference
    out = tmp_path / "out"
    index = out / "the-fog-road" / ".work" / "cache" / "index.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "produce", str(book), "--output", str(out)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if index.exists() and len(index.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cached_before = len({json.loads(line)["key"] for line in index.read_text().splitlines()})
    total = report(ref_root)["synthesis"]["chunks"]
    assert 4 <= cached_before < total, "the kill should land mid-synthesis"
    assert not (out / "the-fog-road" / "the-fog-road.m4b").exists()

    done = produce_cli(book, out)
    assert done.returncode == 0, done.stderr
    synth = report(out / "the-fog-road")["synthesis"]
    assert synth["synthesized"] == total - cached_before  # only the missing chunks
    assert book_files(out / "the-fog-road") == book_files(ref_root)  # byte-identical to an uninterrupted run


def test_editing_one_paragraph_resynthesises_only_its_chunks(tmp_path, reference):
    book, ref_root = reference
    out = tmp_path / "out"
    import shutil

    shutil.copytree(ref_root, out / "the-fog-road")
    edited = edited_copy(book, tmp_path, "a dog called Biscuit", "a dog called Pudding", out / "the-fog-road")
    done = produce_cli(edited, out)
    assert done.returncode == 0, done.stderr
    assert report(out / "the-fog-road")["synthesis"]["synthesized"] == 1
    changed = {n for n, data in book_files(out / "the-fog-road").items() if book_files(ref_root)[n] != data}
    assert changed == {"02 - Chapter 1 The Road.mp3", "the-fog-road.m4b"}


def test_corrupt_cached_chunk_is_resynthesised(tmp_path, reference):
    book, ref_root = reference
    import shutil

    shutil.copytree(ref_root, tmp_path / "out" / "the-fog-road")
    victim = next((tmp_path / "out" / "the-fog-road" / ".work" / "cache" / "chunks").rglob("*.flac"))
    data = bytearray(victim.read_bytes())
    data[100:110] = b"\0" * 10
    victim.write_bytes(bytes(data))
    done = produce_cli(book, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert report(tmp_path / "out" / "the-fog-road")["synthesis"]["synthesized"] == 1
    assert book_files(tmp_path / "out" / "the-fog-road") == book_files(ref_root)


def test_ffmpeg_failing_is_one_line_and_keeps_the_previous_audiobook(tmp_path, reference):
    book, ref_root = reference
    import shutil

    shutil.copytree(ref_root, tmp_path / "out" / "the-fog-road")
    before = book_files(tmp_path / "out" / "the-fog-road")
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'Conversion failed: simulated encoder crash' >&2\nexit 1\n")
    fake.chmod(0o755)
    edited = edited_copy(book, tmp_path, "old stone bridge", "new iron bridge", tmp_path / "out" / "the-fog-road")
    done = produce_cli(edited, tmp_path / "out", env={"IMAGEIO_FFMPEG_EXE": str(fake)})
    assert done.returncode == 1
    assert "ffmpeg failed while" in done.stderr and "simulated encoder crash" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2  # the bar, the error
    assert book_files(tmp_path / "out" / "the-fog-road") == before
    assert not list((tmp_path / "out").rglob("*.tmp*"))


def test_unwritable_output_is_a_clear_error(tmp_path):
    book = write_book(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = produce_cli(book, blocker)
    assert done.returncode == 1
    assert "cannot create" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_fails_cleanly_and_resumes_after_space_is_freed(tmp_path, small_disk):
    book = write_book(tmp_path, "road.md", title="The Fog Road", chapters=LONGER)
    done = produce_cli(book, small_disk)
    assert done.returncode == 1
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    root = small_disk / "the-fog-road"
    assert not (root / "the-fog-road.m4b").exists() and not (root / "mp3").exists()
    cached = len((root / ".work" / "cache" / "index.jsonl").read_text().splitlines())
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    done = produce_cli(book, small_disk)
    assert done.returncode == 0, done.stderr
    synth = report(root)["synthesis"]
    assert synth["synthesized"] == synth["chunks"] - cached


def test_second_run_of_the_same_book_is_refused_while_the_first_runs(tmp_path):
    book = write_book(tmp_path, "road.md", title="The Fog Road", chapters=LONGER)
    out = tmp_path / "out"
    index = out / "the-fog-road" / ".work" / "cache" / "index.jsonl"
    first = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "produce", str(book), "--output", str(out)],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not index.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = produce_cli(book, out)
        assert second.returncode == 1
        assert "being produced by another run" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 130  # SIGTERM stops cleanly, as an interrupt
