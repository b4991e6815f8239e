"""Prefect overhead: a book through a served deployment vs `audiobook produce --no-prefect`.

Usage: .venv/bin/python bench/prefect_overhead.py [--pairs 3] [--chapter-pairs 2] [--chapter 1] [--allow-load]

Starts a throwaway Prefect server (loopback, temporary PREFECT_HOME, SQLite) and
`python -m flows.serve --no-schedule` (as the README says: it checks for runs every 2 s), then runs
paired measurements, each into a fresh output folder (so every chunk is synthesised), alternating
which of the two goes first so that drift in the machine's load does not favour one side:
  direct   `python -m pipeline.cli produce --no-prefect` as a user types it (interpreter start,
           imports and engine load included);
  served   `produce-audiobook/manuscript` from the moment the run is created until the client,
           polling every 0.25 s, sees it final: runner pick-up, subprocess start, Prefect imports,
           API calls and artifacts all included. Also its pick-up delay (created to running).
on the bundled sample and on one chapter of the Wodehouse book. Prints each pair and the median
ratio served/direct; writes bench/results/prefect_overhead.json. Server start-up is not counted.
Like produce_bench.py, each pair waits for a 1-minute load average <= --max-load (0.5) and refuses
to measure on a busy machine unless --allow-load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
RESULTS = REPO / "bench/results/prefect_overhead.json"
SAMPLE = REPO / "books/the-lighthouse-keepers-cat.md"
PREFECT = str(Path(sys.executable).parent / "prefect")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_health(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the Prefect server did not start")


def direct(book: Path, out: Path, env: dict) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline.cli", "produce", str(book), "--output", str(out), "--no-prefect"],
                   cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def served(client, deployment_id, book: Path, out: Path) -> tuple[float, float]:
    began = time.perf_counter()
    run = client.create_flow_run_from_deployment(deployment_id,
                                                 parameters={"manuscript": str(book), "output_root": str(out)})
    while not (run := client.read_flow_run(run.id)).state.is_final():
        time.sleep(0.25)
    total = time.perf_counter() - began
    assert run.state.is_completed(), run.state
    return total, (run.start_time - run.created).total_seconds()


def measure(name: str, book: Path, pairs: int, client, deployment_id, env: dict, tmp: Path, max_load: float,
            allow_load: bool) -> dict:
    from produce_bench import wait_for_quiet

    rows = []
    for n in range(pairs):
        load = wait_for_quiet(max_load, allow_load)  # a busy machine slows both sides, but not alike
        out = tmp / f"{name}-{n}"
        if n % 2 == 0:
            d = direct(book, out / "direct", env)
            s, pickup = served(client, deployment_id, book, out / "served")
        else:
            s, pickup = served(client, deployment_id, book, out / "served")
            d = direct(book, out / "direct", env)
        rows.append({"direct_s": round(d, 2), "served_s": round(s, 2), "pickup_s": round(pickup, 2),
                     "ratio": round(s / d, 3), "first": "direct" if n % 2 == 0 else "served",
                     "load_1min": round(load, 2), "loaded": load > max_load})
        print(f"{name} pair {n + 1}: direct {d:.1f} s · served {s:.1f} s (picked up after {pickup:.1f} s) · "
              f"ratio {s / d:.2f}", flush=True)
    ratios = [r["ratio"] for r in rows]
    return {"book": book.name, "pairs": rows, "median_ratio": round(statistics.median(ratios), 3),
            "median_extra_s": round(statistics.median(r["served_s"] - r["direct_s"] for r in rows), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="paired runs of the sample (default 3)")
    parser.add_argument("--chapter-pairs", type=int, default=2, help="paired runs of the chapter (default 2; 0: skip)")
    parser.add_argument("--chapter", type=int, default=1, help="Wodehouse chapter index (default 1, ~1000 words)")
    parser.add_argument("--max-load", type=float, default=0.5, help="highest 1-minute load average before a pair")
    parser.add_argument("--allow-load", action="store_true", help="measure on a busy machine, flagging pairs loaded")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="prefect-overhead-"))
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp / "home"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_SERVER_UI_ENABLED": "false"})
    procs: list[subprocess.Popen] = []
    logs = open(tmp / "prefect.log", "wb")
    try:
        procs.append(subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                                      cwd=REPO, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))
        _wait_health(env["PREFECT_API_URL"])
        procs.append(subprocess.Popen([sys.executable, "-m", "flows.serve", "--no-schedule"], cwd=REPO, env=env,
                                      stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))

        from prefect.client.orchestration import SyncPrefectClient
        from prefect.exceptions import ObjectNotFound

        books = [("sample", SAMPLE, args.pairs)]
        if args.chapter_pairs:
            from produce_bench import book_manuscript

            books.append((f"wodehouse-chapter-{args.chapter}", book_manuscript([args.chapter], tmp), args.chapter_pairs))
        with SyncPrefectClient(env["PREFECT_API_URL"]) as client:
            while True:
                try:
                    deployment = client.read_deployment_by_name("produce-audiobook/manuscript")
                    break
                except ObjectNotFound:
                    time.sleep(0.5)
            time.sleep(3)  # let the runner settle into its polling loop
            results = {name: measure(name, book, pairs, client, deployment.id, env, tmp, args.max_load,
                                     args.allow_load) for name, book, pairs in books}
        sample = results["sample"]
        result = {"machine": platform.platform(), "cpus": os.cpu_count(), "runner_poll_frequency_s": 2,
                  "ratio_total": sample["median_ratio"], "books": results,
                  "note": "median of paired runs (order alternated), fresh output folders; direct = "
                          "`audiobook produce --no-prefect`, served = trigger to Completed incl. the client's poll"}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=1) + "\n")
        for name, r in results.items():
            print(f"{name}: median ratio {r['median_ratio']:.2f} over {len(r['pairs'])} pairs, "
                  f"median extra {r['median_extra_s']:.1f} s")
        print(f"wrote {RESULTS}")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        logs.close()


if __name__ == "__main__":
    main()
