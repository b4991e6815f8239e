"""End to end through a real Prefect server: a served deployment run from the CLI, and the nightly
batch fanned out to a process work pool with two workers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
POOL, POOL_DEPLOYMENT = "audiobooks-test", "produce-audiobook/pool"  # as in conftest.py
SAMPLE = REPO / "books" / "the-lighthouse-keepers-cat.md"


def test_produce_deployment_run_from_cli(served, tmp_path):
    out = tmp_path / "out"
    run_id = served.run_deployment("produce-audiobook/manuscript", manuscript=str(SAMPLE), output_root=str(out))
    run = served.wait_final(run_id, timeout=300)
    assert run.state.is_completed(), f"{run.state}\n{served.procs.log('serve')[-6000:]}"
    assert run.name == "the-lighthouse-keepers-cat-joe"  # renamed to <slug>-<voice> once the book was read

    book = out / "the-lighthouse-keepers-cat"
    assert (book / "the-lighthouse-keepers-cat.m4b").stat().st_size > 10_000
    assert (book / "manifest.json").is_file() and (book / "report.md").is_file()

    artifacts = {a.type: a for a in served.artifacts(run_id)}
    assert set(artifacts) >= {"progress", "table", "markdown"}, artifacts
    assert float(artifacts["progress"].data) == 100.0
    assert artifacts["progress"].key == "progress-the-lighthouse-keepers-cat"
    rows = artifacts["table"].data
    assert "Chapter 1" in str(rows) and "rms_db" in str(rows) and "synthesis_speed_x" in str(rows)
    assert "ACX check" in artifacts["markdown"].data and "the-lighthouse-keepers-cat.m4b" in artifacts["markdown"].data

    with served.client() as client:  # the nightly deployment carries its schedule
        nightly = client.read_deployment_by_name("nightly-batch/nightly")
        assert [s.schedule.cron for s in nightly.schedules] == ["0 2 * * *"]
        limit = client.read_global_concurrency_limit_by_name("synthesis-piper")
        assert limit.limit >= 1


def _pool_runs(server) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with server.client() as client:
        deployment = client.read_deployment_by_name(POOL_DEPLOYMENT)
        return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))


def _summary(server, run_id: str) -> str:
    [summary] = [a.data for a in server.artifacts(run_id) if a.key == "nightly-batch-summary"]
    return summary


@pytest.fixture(scope="module")
def batch(work_pool, tmp_path_factory):
    """Two tiny valid books and a broken one; one nightly run fanned out to the pool."""
    folder = tmp_path_factory.mktemp("books")
    (folder / "tiny-one.md").write_text("---\ntitle: Tiny One\nauthor: Test Writer\n---\n\n# One\n\n"
                                        "The cat sat by the lamp.\n", encoding="utf-8")
    (folder / "tiny-two.md").write_text("# Tiny Two\n\nThe boat came home at dawn.\n", encoding="utf-8")
    (folder / "broken.txt").write_text("", encoding="utf-8")
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # not a manuscript: ignored
    out = tmp_path_factory.mktemp("batch-out")
    params = {"folder": str(folder), "output_root": str(out), "deployment": POOL_DEPLOYMENT}
    run_id = work_pool.run_deployment("nightly-batch/nightly", **params)
    run = work_pool.wait_final(run_id, timeout=400)
    return {"server": work_pool, "params": params, "out": out, "run": run, "run_id": run_id}


def test_nightly_batch_fans_out_to_work_pool(batch):
    server, run, out = batch["server"], batch["run"], batch["out"]
    assert run.state.is_completed(), f"{run.state}\n{server.procs.log('serve')[-6000:]}"
    assert (out / "tiny-one" / "tiny-one.m4b").is_file()
    assert (out / "tiny-two" / "tiny-two.m4b").is_file()

    runs = _pool_runs(server)
    assert len(runs) == 3
    assert all(r.work_pool_name == POOL and r.parent_task_run_id is not None for r in runs)
    assert sorted(r.state.type.value for r in runs) == ["COMPLETED", "COMPLETED", "FAILED"]
    assert {r.name for r in runs if r.state.is_completed()} == {"tiny-one-joe", "tiny-two-joe"}
    failed = next(r for r in runs if r.state.is_failed())
    assert "InputError" in failed.state.message and "broken.txt" in failed.state.message

    summary = _summary(server, batch["run_id"])
    assert "2 produced, 0 skipped, 1 failed" in summary
    assert "broken.txt" in summary and "the text file is empty" in summary


def test_nightly_batch_rerun_with_nothing_changed_produces_nothing(batch):
    server = batch["server"]
    before = len(_pool_runs(server))
    began = time.monotonic()
    run_id = server.run_deployment("nightly-batch/nightly", **batch["params"])
    run = server.wait_final(run_id, timeout=120)
    assert run.state.is_completed(), run.state
    assert time.monotonic() - began < 60
    assert len(_pool_runs(server)) == before  # no produce runs were created
    summary = _summary(server, run_id)
    assert "0 produced, 3 skipped, 0 failed" in summary
    assert "up to date" in summary and "unchanged since it failed" in summary


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
