"""A real Prefect server on loopback (session-wide; on a throwaway PostgreSQL when the postgresql
package is installed, else SQLite), the served deployments, and a fleet: a process work pool
deployed with `python -m flows.deploy`, two book workers and one batch worker, started as the
README says. Every subprocess is killed (with its children) in teardown."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PREFECT = str(VENV_BIN / "prefect")
POOL = "audiobooks-test"
FLEET = "fleet"  # deployment name of both flows in the pool (the served ones keep the default names)


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
    def __init__(self, url: str, env: dict, procs: Processes, tmp: Path, database: str):
        self.url, self.env, self.procs, self.tmp, self.database = url, env, procs, tmp, database

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


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary folder, listening on loopback only (as the
    `postgres` user when we are root: initdb refuses root)."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="prefect-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        data = self.dir / "data"
        self._run(_pg_tool("initdb"), "-D", str(data), "-U", "prefect", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._run(_pg_tool("pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "start", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off")
        self._run(_pg_tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "prefect", "prefect")
        return f"postgresql+asyncpg://prefect@127.0.0.1:{self.port}/prefect"

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run([*self.as_user, _pg_tool("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                            "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


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
        "DO_NOT_TRACK": "1", "PREFECT_SERVER_DATABASE_TIMEOUT": "30",
        "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false", "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "AUDIOBOOK_OUTPUT_ROOT": str(tmp / "default-output"),
    })
    postgres = None
    if _pg_tool("initdb") and _pg_tool("pg_ctl"):
        postgres = Postgres(free_port())
        try:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = postgres.start()
        except (OSError, subprocess.SubprocessError) as exc:
            postgres.stop()
            raise RuntimeError(f"could not start PostgreSQL: {exc}: {getattr(exc, 'stderr', '')}") from None
    elif os.environ.get("CI", "").lower() == "true":
        pytest.fail("postgresql is not installed (scripts/system-deps.sh installs it)")
    procs = Processes(logs)
    server = procs.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                    "--analytics-off"], env)
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
        yield Server(url, env, procs, tmp, "postgresql" if postgres else "sqlite")
    finally:
        procs.stop_all()
        if postgres:
            postgres.stop()


@pytest.fixture(scope="session")
def served(prefect_server):
    """`python -m flows.serve`: produce-audiobook/manuscript and nightly-batch/nightly."""
    proc = prefect_server.procs.start("serve", [sys.executable, "-m", "flows.serve"], prefect_server.env)
    prefect_server.wait_deployments("produce-audiobook/manuscript", "nightly-batch/nightly")
    yield prefect_server
    prefect_server.procs.stop(proc)


@pytest.fixture(scope="session")
def fleet(served):
    """`python -m flows.deploy` to a process pool, two book workers (`--work-queue books --limit 1`)
    and a batch worker (`--work-queue batch`), as in the README's fleet section."""
    server = served
    done = subprocess.run([sys.executable, "-m", "flows.deploy", "--pool", POOL, "--timezone", "UTC",
                           "--manuscript-name", FLEET, "--nightly-name", FLEET], cwd=REPO, env=server.env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    server.wait_deployments(f"produce-audiobook/{FLEET}", f"nightly-batch/{FLEET}")
    workers = [server.procs.start(name, [PREFECT, "worker", "start", "--pool", POOL, "--work-queue", queue,
                                         "--limit", "1", "--name", name], server.env)
               for name, queue in (("book-worker-1", "books"), ("book-worker-2", "books"),
                                   ("batch-worker", "batch"))]
    yield server
    for proc in workers:
        server.procs.stop(proc)
