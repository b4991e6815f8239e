"""End to end through a real Prefect server: a served deployment run from the CLI (its report as the
UI shows it, looked at with headless Chromium), the run form, and the nightly batch on a fleet of
workers deployed as the README says (states, worker sharing, names and logs)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import UUID

import pytest

from tests.conftest import system_tool
from tests.flows.conftest import FLEET, POOL

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "books" / "the-lighthouse-keepers-cat.md"
STAMP = r"\d{8}-\d{4}"
ROUTINE_LINES = ("Downloading flow code from storage", "Finished in state Completed()")


def _logs(server, run_id) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with server.client() as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(str(run_id))])), limit=200)
    return [log.message for log in logs]


def _logs_once(server, run_id, arrived, timeout: float = 60) -> list[str]:
    """The run's logs once `arrived(logs)` holds: a run's last lines reach the server a moment after its
    state does (the worker ships logs in batches), so reading them at once can miss the end."""
    deadline = time.monotonic() + timeout
    while True:
        logs = _logs(server, run_id)
        if arrived(logs) or time.monotonic() > deadline:
            return logs
        time.sleep(1)


def _markdown_tables(markdown: str) -> list[int]:
    """Column count of every Markdown table row."""
    return [line.count("|") - 1 for line in markdown.splitlines() if line.startswith("|")]


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([system_tool("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--virtual-time-budget=20000", *args],
                          capture_output=True, text=True, timeout=120)


def test_produce_deployment_run_from_cli(served, tmp_path):
    out = tmp_path / "out"
    run_id = served.run_deployment("produce-audiobook/manuscript", manuscript=str(SAMPLE), output_root=str(out))
    run = served.wait_final(run_id, timeout=300)
    assert run.state.is_completed(), f"{run.state}\n{served.procs.log('serve')[-6000:]}"
    assert re.fullmatch(rf"the-lighthouse-keepers-cat-joe-{STAMP}", run.name), run.name
    assert "all pass ACX" in run.state.message

    book = out / "the-lighthouse-keepers-cat"
    assert (book / "the-lighthouse-keepers-cat.m4b").stat().st_size > 10_000
    assert (book / "manifest.json").is_file() and (book / "report.md").is_file()

    logs = _logs_once(served, run_id, lambda logs: any("synthesised" in line for line in logs))
    assert any("synthesised" in line for line in logs), logs
    assert not [line for line in logs if line.startswith(ROUTINE_LINES) or "Traceback" in line], logs

    artifacts = {a.type: a for a in served.artifacts(run_id)}
    assert set(artifacts) >= {"progress", "table", "markdown"}, artifacts
    assert float(artifacts["progress"].data) == 100.0
    rows = artifacts["table"].data
    assert "Chapter 1" in str(rows) and "rms_db" in str(rows) and "wer_mean" in str(rows) and "acx" in str(rows)

    report = artifacts["markdown"].data
    assert "ACX check" in report and "the-lighthouse-keepers-cat.m4b" in report
    assert not re.findall(r"\]\((?!data:|https?:)", report), "relative links 404 in the UI"
    assert report.count("](data:image/png;base64,") == 5  # one loudness plot per file (credits included)
    assert max(_markdown_tables(report)) <= 6  # narrow enough to show the verdict column

    # Look at it as a user would: the artifact page in the UI, rendered by headless Chromium.
    page = f"{served.url.removesuffix('/api')}/artifacts/artifact/{artifacts['markdown'].id}"
    dom = _chromium("--dump-dom", page).stdout
    assert '<img src="data:image/png;base64,' in dom and "Chapter 1" in dom, dom[-3000:]
    shot = tmp_path / "report-artifact.png"
    _chromium("--window-size=1280,2400", f"--screenshot={shot}", page)
    assert shot.stat().st_size > 20_000
    print(f"screenshot of the report artifact: {shot}")


def test_run_form_explains_itself(served):
    with served.client() as client:
        produce = client.read_deployment_by_name("produce-audiobook/manuscript")
        nightly = client.read_deployment_by_name("nightly-batch/nightly")
    for deployment in (produce, nightly):
        props = deployment.parameter_openapi_schema["properties"]
        assert all(p.get("description") for p in props.values()), props
        assert {"piper", "voxtral"} <= set(props["engine"]["enum"])
        assert props["formats"]["items"]["enum"] == ["m4b", "mp3", "epub"]
    assert produce.parameter_openapi_schema["required"] == ["manuscript"]
    [schedule] = nightly.schedules
    assert schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone  # an explicit zone


def _fleet_runs(server, flow_deployment: str) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with server.client() as client:
        deployment = client.read_deployment_by_name(flow_deployment)
        return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))


def _workers(server, run_ids: list[UUID], timeout: float = 30) -> dict[str, str]:
    """flow run id -> name of the worker that ran it, from the workers' submitted-flow-run events."""
    from prefect.events.filters import EventFilter, EventNameFilter

    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    with server.client() as client:
        while True:
            page = client.read_events(EventFilter(event=EventNameFilter(name=["prefect.worker.submitted-flow-run"])),
                                      limit=50)
            for event in page.events:
                for related in event.related:
                    if related.role == "flow-run":
                        found[related.id.removeprefix("prefect.flow-run.")] = event.resource.name
            if all(str(r) in found for r in run_ids) or time.monotonic() > deadline:
                return found
            time.sleep(1)  # events are stored a moment after they are sent


def _summary(server, run_id: str) -> str:
    [summary] = [a.data for a in server.artifacts(run_id) if a.key == "nightly-batch-summary"]
    return summary


class Webhook(BaseHTTPRequestHandler):
    """Stands in for Slack & co.: records what the automation's notification posts."""

    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.received.append(self.rfile.read(int(self.headers.get("content-length", 0))).decode())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def alert_hook(fleet):
    """A webhook notification block and `python -m flows.alerts` on it, as in the README."""
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
    fleet.python("from prefect.blocks.notifications import CustomWebhookNotificationBlock as B\n"
                 f"B(name='nightly', url={url!r}, json_data={{'text': '{{{{body}}}}'}})"
                 ".save('nightly-alerts', overwrite=True)\n")
    done = subprocess.run([sys.executable, "-m", "flows.alerts", "--block", "custom-webhook/nightly-alerts"],
                          cwd=REPO, env=fleet.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    yield Webhook.received
    hook.shutdown()


@pytest.fixture(scope="module")
def batch(fleet, alert_hook, tmp_path_factory):
    """Two tiny valid books and a broken one; one nightly run of the fleet deployment."""
    folder = tmp_path_factory.mktemp("books")
    # The batch queues books in name order: the two good ones first, so that the two book workers take
    # one each at once (a broken book first would make one worker's second book start late).
    (folder / "tiny-one.md").write_text("---\ntitle: Tiny One\nauthor: Test Writer\n---\n\n# One\n\n"
                                        "The cat sat by the lamp. It watched the moths circle the glass, "
                                        "and then it slept until the fire was cold.\n", encoding="utf-8")
    (folder / "tiny-two.md").write_text("# Tiny Two\n\nThe boat came home at dawn. The nets were full, "
                                        "and the gulls followed it all the way into the harbour.\n",
                                        encoding="utf-8")
    (folder / "zz-broken.txt").write_text("", encoding="utf-8")
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # not a manuscript: ignored
    out = tmp_path_factory.mktemp("batch-out")
    params = {"folder": str(folder), "output_root": str(out)}
    run_id = fleet.run_deployment(f"nightly-batch/{FLEET}", **params)
    run = fleet.wait_final(run_id, timeout=400)
    return {"server": fleet, "params": params, "out": out, "run": run, "run_id": run_id, "alerts": alert_hook}


def test_batch_with_a_broken_book_ends_failed_with_counts(batch):
    server, run, out = batch["server"], batch["run"], batch["out"]
    assert run.state.is_failed(), f"{run.state}\n{server.procs.log('batch-worker')[-6000:]}"
    assert run.state.message == "2 produced, 0 skipped, 1 failed"
    assert (out / "tiny-one" / "tiny-one.m4b").is_file() and (out / "tiny-two" / "tiny-two.m4b").is_file()

    runs = _fleet_runs(server, f"produce-audiobook/{FLEET}")
    assert len(runs) == 3 and all(r.work_pool_name == POOL and r.work_queue_name == "books" for r in runs)
    assert sorted(r.state.type.value for r in runs) == ["COMPLETED", "COMPLETED", "FAILED"]
    names = sorted(r.name for r in runs if r.state.is_completed())
    assert [re.sub(STAMP + "$", "STAMP", n) for n in names] == ["tiny-one-joe-STAMP", "tiny-two-joe-STAMP"]
    failed = next(r for r in runs if r.state.is_failed())
    assert failed.state.message.startswith("InputError:") and "zz-broken.txt" in failed.state.message

    # the broken book: one error line, no traceback; the good ones: no routine noise
    broken_logs = _logs_once(server, failed.id, lambda logs: any("InputError" in line for line in logs))
    assert sum("InputError" in line and "Finished in state" not in line for line in broken_logs) == 1, broken_logs
    assert not [line for line in broken_logs if "Traceback" in line], broken_logs
    good_logs = [line for r in runs if r.state.is_completed()
                 for line in _logs_once(server, r.id, lambda logs: any("synthesised" in line for line in logs))]
    assert not [line for line in good_logs if line.startswith(ROUTINE_LINES)], good_logs

    # the batch log names each child as the UI does, with a link to it
    expected = [f"run {child.name} ended" for child in runs]
    batch_log = "\n".join(_logs_once(server, batch["run_id"],
                                      lambda logs: all(line in "\n".join(logs) for line in expected)))
    for child in runs:
        assert f"run {child.name} ended" in batch_log and f"/runs/flow-run/{child.id}" in batch_log, batch_log

    summary = _summary(server, batch["run_id"])
    assert "2 produced, 0 skipped, 1 failed" in summary
    assert "zz-broken.txt" in summary and "the text file is empty" in summary

    deadline = time.monotonic() + 90  # the automation notifies (the server's triggers run every few seconds)
    while not any("2 produced, 0 skipped, 1 failed" in text for text in batch["alerts"]):
        assert time.monotonic() < deadline, f"no notification: {batch['alerts']}"
        time.sleep(1)
    [alert] = batch["alerts"]
    assert run.name in alert and f"/runs/flow-run/{run.id}" in alert, alert


def test_two_workers_produce_two_books_at_once(batch):
    server = batch["server"]
    print(f"fleet database: {server.database}")
    runs = _fleet_runs(server, f"produce-audiobook/{FLEET}")
    parent = batch["run"]
    workers = _workers(server, [r.id for r in runs] + [parent.id])
    assert {workers.get(str(r.id)) for r in runs} == {"book-worker-1", "book-worker-2"}, workers
    assert workers.get(str(parent.id)) == "batch-worker", workers  # the parent holds no book slot

    def overlap(a, b) -> bool:
        return a.start_time < b.end_time and b.start_time < a.end_time

    pairs = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]]
    assert not [p for p in pairs if workers[str(p[0].id)] == workers[str(p[1].id)] and overlap(*p)]  # --limit 1
    assert any(overlap(a, b) for a, b in pairs), "no two books ran at the same time"  # so on two workers


def test_nightly_batch_rerun_with_nothing_changed_produces_nothing(batch):
    server = batch["server"]
    before = len(_fleet_runs(server, f"produce-audiobook/{FLEET}"))
    began = time.monotonic()
    run_id = server.run_deployment(f"nightly-batch/{FLEET}", **batch["params"])
    run = server.wait_final(run_id, timeout=120)
    assert run.state.is_completed(), run.state
    assert run.state.message == "0 produced, 3 skipped, 0 failed"
    assert re.fullmatch(rf"nightly-{Path(batch['params']['folder']).name}-{STAMP}", run.name), run.name
    assert time.monotonic() - began < 90
    assert len(_fleet_runs(server, f"produce-audiobook/{FLEET}")) == before  # no produce runs were created
    summary = _summary(server, run_id)
    assert "up to date" in summary and "unchanged since it failed" in summary
    assert len(batch["alerts"]) == 1  # a good night sends nothing
    with server.client() as client:
        nightly = client.read_deployment_by_name(f"nightly-batch/{FLEET}")
    assert [s.schedule.timezone for s in nightly.schedules] == ["UTC"] and nightly.global_concurrency_limit.limit == 1


def test_nightly_batch_in_process_returns_its_final_state(prefect_server, tmp_path):
    """The flows stay plain functions for scripts (here against the session's server)."""
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "broken.txt").write_text("", encoding="utf-8")
    script = ("import sys\nfrom flows.batch import nightly_batch\nfrom flows.outcome import summary_of\n"
              "state = nightly_batch(folder=sys.argv[1], output_root=sys.argv[2], dispatch='in-process', "
              "return_state=True)\nsummary = summary_of(state)\n"
              "print('RESULT', state.type.value, state.message, len(summary['failed']))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "books"), str(tmp_path / "out")], cwd=REPO,
                          env=prefect_server.env, capture_output=True, text=True, timeout=300)
    assert "RESULT FAILED 0 produced, 0 skipped, 1 failed 1" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_cli_in_prefect_mode_prints_the_acx_table(prefect_server, tmp_path):
    book = tmp_path / "tiny.md"
    book.write_text("# Tiny\n\nThe kettle sang on the stove.\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "produce", str(book), "--output", str(tmp_path / "out"),
                           "--no-qa"], cwd=REPO, env=prefect_server.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "running as the produce-audiobook Prefect flow" in done.stderr
    assert "RMS dB" in done.stdout and "pass" in done.stdout and "wrote" in done.stdout, done.stdout


def test_nightly_batch_keeps_two_same_titled_books_apart(prefect_server, tmp_path):
    """Two manuscripts whose titles give the same slug: both produced, each in its own folder, and
    the next night both are up to date (neither overwrote the other)."""
    import json

    from tests.conftest import write_book

    folder = tmp_path / "books"
    folder.mkdir()
    write_book(folder, "first.md", title="Twin Title")
    write_book(folder, "second.md", title="Twin Title", chapters={"One": ["The second twin book is short."]})
    out = tmp_path / "out"
    night = (f"from flows.batch import nightly_batch\n"
             f"print('SUMMARY', json.dumps(nightly_batch(folder={str(folder)!r}, output_root={str(out)!r}, "
             f"dispatch='in-process')))\n")
    stdout = prefect_server.python("import json\n" + night + night, timeout=600)
    first, second = [json.loads(line.split(" ", 1)[1]) for line in stdout.splitlines() if line.startswith("SUMMARY ")]

    assert sorted(r["file"] for r in first["produced"]) == ["first.md", "second.md"] and not first["failed"]
    roots = {r["file"]: Path(r["root"]) for r in first["produced"]}
    assert roots["first.md"].name == "twin-title" and roots["second.md"].name.startswith("twin-title-")
    for name, root in roots.items():
        manifest = json.loads((root / "manifest.json").read_text())
        assert Path(manifest["source"]).name == name
        assert (root / f"{root.name}.m4b").stat().st_size > 10_000
    assert not second["produced"] and not second["failed"]
    assert {r["file"]: r["reason"] for r in second["skipped"]} == {
        name: f"up to date ({root})" for name, root in roots.items()}
