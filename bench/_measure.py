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
    peak_at_s: float = 0.0  # when the peak was seen, seconds after the start
    peak_children_mb: float = 0.0  # the children's share of the peak
    root_hwm_mb: float = 0.0  # the kernel's exact RSS high-water mark of the process itself (VmHWM; no children)


def _own_memory(child: psutil.Process, parent_cmdline: list[str]) -> int:
    """A child's own memory (USS), or 0 before it has exec'd (its command line still the parent's):
    a child made by vfork shares its parent's whole address space until exec, and its USS would count
    the parent's heap a second time (seen: a 610 MB "child" of a 640 MB parent, on a cold disk)."""
    try:
        if child.cmdline() == parent_cmdline:
            return 0
        return child.memory_full_info().uss
    except psutil.Error:
        return 0


def _high_water_mb(pid: int) -> float:
    """The kernel's peak RSS of one process (VmHWM): exact, unlike sampling, which misses short spikes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreePeakRss:
    """Samples the resident memory of a process (RSS) and all its descendants (ffmpeg included,
    their own pages) on a thread, every `interval` seconds, keeping the peak in MB. Use as a
    context manager."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self.peak_at_s = self.peak_children_mb = self.root_hwm_mb = 0.0
        self._began = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            root_cmdline = root.cmdline()
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                children = sum(_own_memory(c, root_cmdline) for c in root.children(recursive=True))
                total = (root.memory_info().rss + children) / 2**20
                if total > self.peak_mb:
                    self.peak_mb, self.peak_children_mb = total, children / 2**20
                    self.peak_at_s = time.perf_counter() - self._began
                self.root_hwm_mb = max(self.root_hwm_mb, _high_water_mb(self.pid))
            except psutil.Error:
                pass
            time.sleep(self.interval)

    def __enter__(self) -> "TreePeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(args: list[str], env: dict | None = None) -> Run:
    began = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    with TreePeakRss(proc.pid) as memory:
        output = proc.communicate()[0]
    return Run(proc.returncode, time.perf_counter() - began, memory.peak_mb, output, memory.peak_at_s,
               memory.peak_children_mb, memory.root_hwm_mb)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
