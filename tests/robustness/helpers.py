"""Running `audiobook` in a subprocess for the robustness tests: exit status, stderr, wall time and
the peak RSS of the whole process tree (bench/_measure.TreePeakRss)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench._measure import TreePeakRss
from tests.conftest import REPO

MAX_RSS_MB = 1536  # 1.5 GB for the whole process tree, whatever the input
ONE_LINE_ERROR_LINES = 2  # produce's progress bar may print a line before the error


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mb: float


def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def start(*args: str, env: dict | None = None, prefix: list[str] | None = None, **popen) -> subprocess.Popen:
    return subprocess.Popen([*(prefix or []), *cli_args(*args)], cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, **popen)


def finish(proc: subprocess.Popen, timeout: float = 300) -> Done:
    """Wait for `proc`, sampling its tree's memory; kill it (and fail) past `timeout`."""
    began = time.perf_counter()
    with TreePeakRss(proc.pid, interval=0.05) as memory:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"{proc.args} still running after {timeout} s\n{err[-2000:]}") from None
    return Done(proc.returncode, out, err, time.perf_counter() - began, memory.peak_mb)


def run(*args: str, env: dict | None = None, timeout: float = 300, prefix: list[str] | None = None) -> Done:
    return finish(start(*args, env=env, prefix=prefix), timeout)


# Chunk QA (speech recognition on every chunk) is orthogonal to crash safety and costs a minute per
# run on 2 cores: these tests produce with --no-qa where the CLI has it.
NO_QA = ["--no-qa"] if "--no-qa" in (REPO / "pipeline" / "cli.py").read_text() else []


def produce_args(book: Path, out: Path) -> list[str]:
    return ["produce", str(book), "--output", str(out), *NO_QA]


def produce(book: Path, out: Path, env: dict | None = None, timeout: float = 300, **popen) -> Done:
    return finish(start(*produce_args(book, out), env=env, **popen), timeout)


def wait_stopped(proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until `proc` has stopped itself (AUDIOBOOK_FAULT=point:N:STOP)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED:
                return
        except psutil.NoSuchProcess:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"never reached the fault point; exit {proc.poll()}: {proc.communicate()[1][-2000:]}")


def resume(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGCONT)


def assert_one_line_error(done: Done) -> str:
    """Exit non-zero with `error: ...` as the last stderr line, no traceback. Returns the message."""
    assert done.returncode not in (0, -9), (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, "no message on stderr"
    error_lines = [line for line in lines if line.startswith(("error:", "internal error:"))]
    assert len(error_lines) == 1 and error_lines[0] == lines[-1], done.stderr[-3000:]
    assert not error_lines[0].startswith("internal error"), error_lines[0]  # a bug, not a user error
    assert len(lines) <= ONE_LINE_ERROR_LINES, done.stderr[-3000:]
    return error_lines[0]


def book_files(root: Path) -> dict[str, bytes]:
    """The finished audio files of a produced book, by name."""
    files = {f"mp3/{p.name}": p.read_bytes() for p in (root / "mp3").glob("*.mp3")}
    files.update({p.name: p.read_bytes() for p in root.glob("*.m4b")})
    return files


def report(root: Path) -> dict:
    return json.loads((root / "report.json").read_text())


def cached_keys(root: Path) -> set[str]:
    """Chunks validly in a book's cache (index line written and file present)."""
    index = root / ".work" / "cache" / "index.jsonl"
    keys = set()
    if index.exists():
        for line in index.read_text().splitlines():
            try:
                key = json.loads(line)["key"]
            except (ValueError, KeyError):
                continue
            if (root / ".work" / "cache" / "chunks" / key[:2] / f"{key}.flac").is_file():
                keys.add(key)
    return keys


def leftovers(root: Path) -> list[Path]:
    """Temporary files that a finished run must not leave (staging folders, *.tmp)."""
    return [p for p in root.rglob("*") if ".tmp" in p.name or p.name in ("mp3.new", "mp3.old")]
