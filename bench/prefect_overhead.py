"""Prefect overhead: the sample book through a served deployment vs `pipeline.produce.produce`.

Usage: .venv/bin/python bench/prefect_overhead.py [path/to/book]
Starts a throwaway Prefect server (loopback, temporary PREFECT_HOME) and `python -m flows.serve`,
then times, one run each, into fresh output folders on this machine:
  direct   `python -c "pipeline.produce.produce(...)"` in a fresh interpreter (imports and engine
           load included, as for a served run);
  served   `produce-audiobook/manuscript` from the moment the run is created to its final state
           (runner pick-up, subprocess start, Prefect imports, API calls and artifacts included);
           also its own start-to-end time as the server recorded it.
Prints the ratios; writes bench/results/prefect_overhead.json. Server start-up is not counted.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench/results/prefect_overhead.json"
DEFAULT_BOOK = REPO / "books/the-lighthouse-keepers-cat.md"
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


def main() -> None:
    book = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BOOK).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="prefect-overhead-"))
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp / "home"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_SERVER_UI_ENABLED": "false",
                "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false"})
    procs: list[subprocess.Popen] = []
    try:
        # direct first, before the server exists, so that nothing else runs on the machine
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c",
                        "import sys; from pathlib import Path; from pipeline.produce import ProduceOptions, produce;"
                        "produce(ProduceOptions(manuscript=Path(sys.argv[1]), output_root=Path(sys.argv[2])))",
                        str(book), str(tmp / "direct")], cwd=REPO, env=env, check=True, capture_output=True)
        direct_s = time.perf_counter() - began

        logs = open(tmp / "prefect.log", "wb")
        for args in ([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                     [sys.executable, "-m", "flows.serve", "--no-schedule"]):
            procs.append(subprocess.Popen(args, cwd=REPO, env=env, stdout=logs, stderr=subprocess.STDOUT,
                                          start_new_session=True))
            if args[0] == PREFECT:
                import httpx

                while True:
                    try:
                        if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.5)

        from prefect.client.orchestration import SyncPrefectClient
        from prefect.exceptions import ObjectNotFound

        with SyncPrefectClient(env["PREFECT_API_URL"]) as client:
            while True:
                try:
                    deployment = client.read_deployment_by_name("produce-audiobook/manuscript")
                    break
                except ObjectNotFound:
                    time.sleep(0.5)
            time.sleep(3)  # let the runner settle into its polling loop
            began = time.perf_counter()
            run = client.create_flow_run_from_deployment(
                deployment.id, parameters={"manuscript": str(book), "output_root": str(tmp / "served")})
            while not (run := client.read_flow_run(run.id)).state.is_final():
                time.sleep(0.25)
            served_s = time.perf_counter() - began
            assert run.state.is_completed(), run.state
            executed_s = (run.end_time - run.start_time).total_seconds()
        result = {"book": book.name, "machine": platform.platform(), "cpus": os.cpu_count(),
                  "direct_s": round(direct_s, 2), "served_total_s": round(served_s, 2),
                  "served_execution_s": round(executed_s, 2),
                  "ratio_total": round(served_s / direct_s, 3), "ratio_execution": round(executed_s / direct_s, 3),
                  "runner_poll_frequency_s": 10, "note": "one run each, fresh output folders"}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=1) + "\n")
        print(f"direct {direct_s:.1f} s · served {served_s:.1f} s end to end ({executed_s:.1f} s running) · "
              f"ratio {served_s / direct_s:.2f} (running only {executed_s / direct_s:.2f})")
        print(f"wrote {RESULTS}")
    finally:
        for proc in reversed(procs):
            _stop(proc)


if __name__ == "__main__":
    main()
