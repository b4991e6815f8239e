"""A real Prefect server on loopback (session-wide), the served deployments, and a process work
pool with two workers. Every subprocess is killed (with its children) in teardown."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PREFECT = str(VENV_BIN / "prefect")
POOL = "audiobooks-test"
POOL_DEPLOYMENT = "produce-audiobook/pool"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Subprocesses started in their own process group, so teardown can end them with children."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


class Server:
    def __init__(self, url: str, env: dict, procs: Processes, tmp: Path):
        self.url, self.env, self.procs, self.tmp = url, env, procs, tmp

    def cli(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([PREFECT, "--no-prompt", *args], cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def python(self, code: str, timeout: float = 180) -> str:
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"python failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def run_deployment(self, name: str, **params: str) -> str:
        """`prefect deployment run` through the CLI; returns the flow run id."""
        args = ["deployment", "run", name]
        for key, value in params.items():
            args += ["--param", f"{key}={value}"]
        out = self.cli(*args)
        match = re.search(r"UUID: ([0-9a-f-]{36})", out)
        assert match, out
        return match.group(1)

    def client(self):
        """A sync client for this server, usable from the test process."""
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(self.url)

    def wait_final(self, run_id: str, timeout: float = 300):
        from uuid import UUID

        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                run = client.read_flow_run(UUID(run_id))
                if run.state is not None and run.state.is_final():
                    return run
                if time.monotonic() > deadline:
                    raise AssertionError(f"flow run {run_id} not finished after {timeout} s: {run.state}\n"
                                         + self.procs.log("serve")[-5000:])
                time.sleep(1)

    def artifacts(self, run_id: str) -> list:
        from uuid import UUID

        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

        with self.client() as client:
            return client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)])))

    def wait_deployments(self, *names: str, timeout: float = 120) -> None:
        from prefect.exceptions import ObjectNotFound

        deadline = time.monotonic() + timeout
        with self.client() as client:
            for name in names:
                while True:
                    try:
                        client.read_deployment_by_name(name)
                        break
                    except ObjectNotFound:
                        if time.monotonic() > deadline:
                            raise AssertionError(f"deployment {name} never appeared\n" + self.procs.log("serve"))
                        time.sleep(1)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prefect")
    logs = tmp / "logs"
    logs.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(tmp / "home"), "PREFECT_API_URL": url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1", "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_SERVER_DATABASE_TIMEOUT": "30",
        "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false", "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "AUDIOBOOK_OUTPUT_ROOT": str(tmp / "default-output"),
    })
    procs = Processes(logs)
    server = procs.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                    "--no-ui", "--analytics-off"], env)
    try:
        import httpx

        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Prefect server did not start:\n" + procs.log("server"))
            time.sleep(0.5)
        yield Server(url, env, procs, tmp)
    finally:
        procs.stop_all()


@pytest.fixture(scope="session")
def served(prefect_server):
    """`python -m flows.serve`: produce-audiobook/manuscript and nightly-batch/nightly."""
    proc = prefect_server.procs.start("serve", [sys.executable, "-m", "flows.serve"], prefect_server.env)
    prefect_server.wait_deployments("produce-audiobook/manuscript", "nightly-batch/nightly")
    yield prefect_server
    prefect_server.procs.stop(proc)


@pytest.fixture(scope="session")
def work_pool(served):
    """A process work pool with two workers, and produce-audiobook deployed to it from this checkout."""
    server = served
    server.cli("work-pool", "create", POOL, "--type", "process")
    workers = [server.procs.start(f"worker-{n}", [PREFECT, "worker", "start", "--pool", POOL, "--name",
                                                   f"test-worker-{n}"], server.env) for n in (1, 2)]
    server.python(
        "from prefect import flow\n"
        f"flow.from_source(source={str(REPO)!r}, entrypoint='flows/produce.py:produce_audiobook')"
        f".deploy(name='pool', work_pool_name={POOL!r}, print_next_steps=False)\n")
    server.wait_deployments(POOL_DEPLOYMENT)
    yield server
    for proc in workers:
        server.procs.stop(proc)
