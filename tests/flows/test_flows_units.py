"""The flows' own logic, without a Prefect server: retries, batching, throttling, the batch index,
run states, the run form, the UI report, the log filter, deploying and the CLI's server check."""

from __future__ import annotations

import inspect
import json
import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.states import Failed

from flows import monitoring
from flows.deploy import require_timezone
from flows.local_run import check_server
from flows.outcome import RunFailed, batch_state, produce_state, summary_of
from flows.parameters import BatchParameters, ProduceParameters
from flows.quiet_logs import QuietRoutine
from flows.ui_report import chapter_rows, ui_markdown
from flows.batch import error_line, find_manuscripts, nightly_batch, produced_index, summary_markdown
from flows.produce import batch_tracks, produce_audiobook, retry_unless_pipeline_error
from flows.slots import default_slots, limit_name, synthesis_slot
from pipeline.errors import InputError, PipelineError
from pipeline.produce import ProduceOptions
from tests.conftest import run_cli


def test_flow_parameters_mirror_produce_options():
    params = inspect.signature(produce_audiobook.fn).parameters
    assert list(params) == list(ProduceOptions.model_fields) == list(ProduceParameters.model_fields)
    defaults = ProduceOptions(manuscript=Path("x.md"))
    for name in ("engine", "formats", "seed", "speed", "repin", "voice"):
        assert params[name].default.default == getattr(defaults, name), name  # a pydantic Field


def test_run_form_has_descriptions_and_choices():
    for flow_, model in ((produce_audiobook, ProduceParameters), (nightly_batch, BatchParameters)):
        schema = flow_.parameters.model_dump()
        assert list(schema["properties"]) == list(model.model_fields)
        assert all(p.get("description") for p in schema["properties"].values()), schema
        assert schema["properties"]["engine"]["enum"][0] == "piper"
        assert schema["properties"]["formats"]["items"]["enum"] == ["m4b", "mp3", "epub"]
    assert produce_audiobook.parameters.model_dump()["required"] == ["manuscript"]


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
    assert params["folder"].default.default == "books" and params["dispatch"].default.default == "auto"
    assert params["deployment"].default.default == "produce-audiobook/manuscript"


def test_states_say_how_a_run_went():
    summary = {"produced": [{"file": "a.md"}], "skipped": [], "failed": [{"file": "x.txt", "error": "InputError: x"}]}
    state = batch_state(summary)
    assert state.is_failed() and state.message == "1 produced, 0 skipped, 1 failed"
    assert summary_of(state) == summary
    ok = batch_state({**summary, "failed": []})
    assert ok.is_completed() and ok.message == "1 produced, 0 skipped, 0 failed" and summary_of(ok)["produced"]

    book = {"outputs": ["a.m4b"], "root": "/o/a"}
    acx = produce_state(book, ["02 - One.mp3"])
    assert acx.is_failed() and "02 - One.mp3" in acx.message and summary_of(acx) == book
    assert isinstance(acx.data, RunFailed)
    assert produce_state(book, []).is_completed()


def _report(tmp_path: Path, plot: bool) -> dict:
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt

        (tmp_path / "qa").mkdir()
        fig, ax = plt.subplots(figsize=(4, 1), dpi=50)
        ax.plot([0, 1], [-20, -21])
        fig.savefig(tmp_path / "qa" / "01 - One.png")
        plt.close(fig)
    row = {"file": "01 - One.mp3", "track": 0, "duration_s": 61.0, "rms_db": -20.1, "true_peak_db": -3.2,
           "noise_floor_db": -70.0, "lufs": -19.0, "head_s": 0.7, "tail_s": 2.0, "passed": False,
           "problems": ["RMS | too low"]}
    qa_file = {"file": "01 - One.mp3", "chunks": 3, "retaken": 1, "failed": 0, "wer_mean": 0.05, "failures": [],
               "plot": "qa/01 - One.png" if plot else None}
    return {"book": {"title": "T", "authors": ["A"]}, "voice": "joe", "engine": "piper", "duration_s": 61.0,
            "wall_s": 9.0, "synthesis": {"synthesized": 3, "chunks": 3, "reused": 0, "speed": 5.0},
            "files": [row], "qa": {"checked": 3, "chunks": 3, "retaken": 1, "failed": 0, "intelligibility": "ok",
                                   "files": [qa_file]}}


def test_ui_report_is_narrow_and_inlines_its_plots(tmp_path):
    text = ui_markdown(tmp_path, _report(tmp_path, plot=True), ["/o/t.m4b"])
    assert not re.findall(r"\]\((?!data:|https?:)", text)
    assert text.count("](data:image/png;base64,") == 1
    assert max(line.count("|") - 1 for line in text.splitlines() if line.startswith("|")) <= 6
    assert "| 01 - One.mp3 | **FAIL**: RMS / too low |" in text  # the verdict right after the name
    rows = chapter_rows(_report(tmp_path, plot=False), {0: 4.25})
    assert rows[0]["acx"].startswith("FAIL") and rows[0]["chunks"] == 3 and rows[0]["synthesis_speed_x"] == 4.25


def test_routine_log_lines_are_dropped_and_nothing_else():
    quiet = QuietRoutine()

    def record(name: str, level: int, message: str) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, message, None, None)

    assert not quiet.filter(record("prefect.flow_runs", logging.INFO, "Downloading flow code from storage at '.'"))
    assert not quiet.filter(record("prefect.task_runs", logging.INFO, "Finished in state Completed()"))
    assert quiet.filter(record("prefect.flow_runs", logging.INFO, "Finished in state Completed('ok')"))
    assert quiet.filter(record("prefect.task_runs", logging.ERROR, "Finished in state Failed('x')"))
    assert quiet.filter(record("prefect.task_runs", logging.INFO, "synthesised 3 chunks"))
    engine = record("prefect.flow_runs", logging.ERROR, "Engine execution exited with unexpected exception")
    engine.exc_info = (InputError, InputError("x.txt: empty"), None)
    assert not quiet.filter(engine)  # the traceback of a bad manuscript: its one line is logged already
    engine.exc_info = (RuntimeError, RuntimeError("bug"), None)
    assert quiet.filter(engine)  # a real crash keeps its traceback


def test_deploy_needs_an_explicit_time_zone(monkeypatch):
    assert require_timezone("Europe/London") == "Europe/London"
    with pytest.raises(SystemExit, match="needs a time zone"):
        require_timezone(None)
    with pytest.raises(SystemExit, match="unknown time zone"):
        require_timezone("Mars/Olympus")
    monkeypatch.delenv("AUDIOBOOK_NIGHTLY_TZ", raising=False)
    done = subprocess.run([sys.executable, "-m", "flows.deploy"], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode != 0 and "needs a time zone" in done.stderr and "Traceback" not in done.stderr


def test_produce_says_when_the_prefect_server_is_down(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    url = f"http://127.0.0.1:{port}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    with pytest.raises(PipelineError, match="--no-prefect"):
        check_server()
    done = run_cli("produce", "books/the-lighthouse-keepers-cat.md", env={"PREFECT_API_URL": url}, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot reach the Prefect server") and "--no-prefect" in lines[-1], lines
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
