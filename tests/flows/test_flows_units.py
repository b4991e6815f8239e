"""The flows' own logic, without a Prefect server: retries, batching, throttling, the batch index."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from prefect.states import Failed

from flows import monitoring
from flows.batch import error_line, find_manuscripts, nightly_batch, produced_index, summary_markdown
from flows.produce import batch_tracks, produce_audiobook, retry_unless_pipeline_error
from flows.slots import default_slots, limit_name, synthesis_slot
from pipeline.errors import InputError, PipelineError
from pipeline.produce import ProduceOptions


def test_flow_parameters_mirror_produce_options():
    params = inspect.signature(produce_audiobook.fn).parameters
    assert list(params) == list(ProduceOptions.model_fields)
    defaults = ProduceOptions(manuscript=Path("x.md"))
    for name in ("engine", "formats", "seed", "speed", "repin", "voice"):
        assert params[name].default == getattr(defaults, name), name


@pytest.mark.parametrize(("error", "retry"), [(InputError("bad book"), False), (PipelineError("pinned"), False),
                                              (OSError("disk"), True), (RuntimeError("ffmpeg died"), True)])
def test_retries_skip_deterministic_pipeline_errors(error, retry):
    assert retry_unless_pipeline_error(None, None, Failed(data=error)) is retry


def test_tasks_retry_io_and_pass_no_results():
    from flows.produce import master_task, package_task, prepare_task, synthesize_task

    for t in (prepare_task, synthesize_task, master_task, package_task):
        assert t.retries == 2 and t.retry_condition_fn is retry_unless_pipeline_error
        assert t.persist_result is False


def test_synthesis_batches_group_whole_tracks():
    assert batch_tracks([3, 8, 9, 9, 3], per_task=10) == [[0, 1], [2, 3], [4]]
    assert batch_tracks([50, 2, 2], per_task=24) == [[0], [1, 2]]
    assert batch_tracks([], per_task=24) == []
    assert sum(batch_tracks([1] * 100, per_task=24), []) == list(range(100))


def test_progress_updates_are_throttled():
    monitoring._last.clear()
    aid = "a"
    assert monitoring.should_update(aid, 1.0, final=False, now=100.0)
    assert not monitoring.should_update(aid, 50.0, final=False, now=101.0)  # < 2 s later
    assert not monitoring.should_update(aid, 1.5, final=False, now=110.0)  # < 1 point later
    assert monitoring.should_update(aid, 60.0, final=False, now=103.0)
    assert monitoring.should_update(aid, 100.0, final=True, now=103.1)  # the final value always goes
    assert not monitoring.should_update(aid, 100.0, final=True, now=104.0)  # ...once


def test_artifact_keys_are_valid():
    assert monitoring.artifact_key("acx", "the-lighthouse-keepers-cat") == "acx-the-lighthouse-keepers-cat"
    assert monitoring.artifact_key("Report", "A_b c") == "report-a-b-c"


def test_synthesis_limit_defaults(monkeypatch):
    monkeypatch.delenv("AUDIOBOOK_SYNTHESIS_SLOTS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert limit_name("piper") == "synthesis-piper"
    assert default_slots("piper") == 4 and default_slots("voxtral") == 1
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_slots("piper") == 1
    monkeypatch.setenv("AUDIOBOOK_SYNTHESIS_SLOTS", "3")
    assert default_slots("voxtral") == 3


def test_synthesis_slot_is_a_no_op_without_a_server(monkeypatch):
    monkeypatch.setattr("flows.slots.server_configured", lambda: False)
    with synthesis_slot("piper"):
        pass


def test_batch_index_and_scan(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    for name in ("b.md", "a.EPUB", "c.txt", ".hidden.md", "notes.json"):
        (books / name).write_text("x")
    assert [p.name for p in find_manuscripts(books)] == ["a.EPUB", "b.md", "c.txt"]
    out = tmp_path / "out"
    (out / "good").mkdir(parents=True)
    (out / "good" / "manifest.json").write_text(json.dumps(
        {"slug": "good", "source_sha256": "abc", "engine": "piper", "voice": {"name": "joe"}}))
    (out / "torn").mkdir()
    (out / "torn" / "manifest.json").write_text("{not json")
    assert produced_index(out) == {"abc": {"slug": "good", "root": str(out / "good"), "engine": "piper",
                                           "voice": "joe"}}


def test_error_line_and_summary():
    assert error_line("Flow run encountered an exception: InputError: x.txt:\n empty") == "InputError: x.txt: empty"
    text = summary_markdown({"folder": "/b", "output_root": "/o", "produced": [{"file": "a.md", "root": "/o/a"}],
                             "skipped": [], "failed": [{"file": "x.txt", "error": "InputError: a | b"}]})
    assert "1 produced, 0 skipped, 1 failed" in text and "| x.txt | InputError: a / b |" in text


def test_nightly_defaults():
    params = inspect.signature(nightly_batch.fn).parameters
    assert params["folder"].default == "books" and params["dispatch"].default == "auto"
    assert params["deployment"].default == "produce-audiobook/manuscript"
