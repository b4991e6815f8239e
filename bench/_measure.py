"""Shared by the benchmarks: run a command in a subprocess and sample its process tree's memory."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
RESULTS = REPO / "bench" / "results"


@dataclass
class Run:
    returncode: int
    wall_s: float
    peak_rss_mb: float  # the whole process tree (Python + ffmpeg children), sampled every 0.1 s
    output: str


def run_measured(args: list[str], env: dict | None = None) -> Run:
    began = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0]
    done.set()
    sampler.join()
    return Run(proc.returncode, time.perf_counter() - began, peak, output)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
