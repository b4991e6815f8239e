"""`audiobook words` benchmark: the whole command on War and Peace, as a user runs it.

Usage: .venv/bin/python bench/words_bench.py [path/to/book.epub] [--runs N]
Target: under 10 s on this 2-core machine, with the most frequent names first (Pierre, Natásha,
Andréy, Rostóv...). Times the CLI in a subprocess (start-up, reading the EPUB, counting, the
dictionary, espeak phonemes for the listed words); best and median of N runs, with the load average,
since the machine is shared. Writes bench/results/words.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BOOK = REPO.parent / "shared/books/leo-tolstoy_war-and-peace_louise-maude_aylmer-maude.epub"
RESULTS = REPO / "bench/results/words.json"
EXPECTED_FIRST = ["Pierre", "Natásha"]  # in that order at the head; Rostóv in the top five


def _children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes: on a shared machine, what the
    command itself costs (it runs on one core, so on an idle machine its wall time is about this)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times, cpu, listed = [], [], []
    for _ in range(args.runs):
        began, used = time.perf_counter(), _children_cpu()
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", "words", str(args.book), "--json",
                               "--output", str(REPO / "output")], capture_output=True, text=True, env=env, check=True)
        times.append(time.perf_counter() - began)
        cpu.append(_children_cpu() - used)
        listed = json.loads(done.stdout)
    top = [(w["word"], w["count"]) for w in listed[:10]]
    words = [w for w, _ in top]
    ok = words[:2] == EXPECTED_FIRST and "Rostóv" in words[:5]
    result = {"book": args.book.name, "runs_s": [round(t, 2) for t in times], "best_s": round(min(times), 2),
              "median_s": round(statistics.median(times), 2),
              "cpu_s": [round(t, 2) for t in cpu], "under_10_s": min(times) < 10, "cpu_under_10_s": min(cpu) < 10, "top10": top,
              "names_first": ok, "load_average": os.getloadavg(), "cpus": os.cpu_count(),
              "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M")}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if not ok:
        sys.exit("the most frequent names are not first")


if __name__ == "__main__":
    main()
