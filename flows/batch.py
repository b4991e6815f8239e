"""`nightly-batch`: produce every manuscript in a folder that is new or changed since its last
successful production; one failing book never stops the others; end with a summary.

What is "up to date" comes from the outputs themselves: every produced book has
<output_root>/<slug>/manifest.json with the sha256 of the manuscript it was made from (written last,
after the audio). A manuscript whose sha256 (and engine) matches a manifest is skipped without being
read, so renaming a file or changing its title never confuses the batch, and a batch over unchanged
books costs one hash per file.

A manuscript that failed as unusable input (InputError) is remembered by sha256 in
<output_root>/.nightly/failures.json and not retried until the file changes (or `retry_failed` is
set); any other failure (I/O, lock held, a crash) is retried the next night.

Books are fanned out as runs of the `produce-audiobook/manuscript` deployment when the server has it
(work-pool workers, or `python -m flows.serve`, pick them up; all run concurrently and the synthesis
concurrency limit keeps devices from being oversubscribed); without that deployment (a plain local
run) each book runs in-process as a subflow, one after the other.
"""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import json
import re
import time
from pathlib import Path
from typing import Literal
from uuid import UUID

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import create_markdown_artifact

from flows import default_output_root
from flows.outcome import batch_counts, batch_state, error_text, failed_on_pipeline_error
from flows.parameters import BATCH, EngineName, Format
from flows.produce import exception_of, produce_audiobook, run_stamp
from pipeline.errors import InputError
from pipeline.plan import file_sha256
from pipeline.speech.cache import write_atomic

MANUSCRIPT_SUFFIXES = (".epub", ".txt", ".md")
POLL_S = 3.0


def find_manuscripts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in MANUSCRIPT_SUFFIXES and not p.name.startswith("."))


def produced_index(output_root: Path) -> dict[str, dict]:
    """sha256 of the source -> manifest summary, for every successfully produced book."""
    index = {}
    for manifest in sorted(output_root.glob("*/manifest.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            index[data["source_sha256"]] = {"slug": data["slug"], "root": str(manifest.parent),
                                            "engine": data.get("engine"), "voice": data.get("voice", {}).get("name")}
        except (OSError, ValueError, KeyError, AttributeError):
            continue
    return index


def _failures_file(output_root: Path) -> Path:
    return output_root / ".nightly" / "failures.json"


def load_failures(output_root: Path) -> dict[str, dict]:
    try:
        return json.loads(_failures_file(output_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_failures(output_root: Path, failures: dict[str, dict]) -> None:
    path = _failures_file(output_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(failures, indent=1, sort_keys=True).encode())


def error_line(message: str | None) -> str:
    """'Flow run encountered an exception: InputError: x.txt: empty' -> 'InputError: x.txt: empty'."""
    text = " ".join((message or "failed (no message)").split())
    return re.sub(r"^(Flow|Task) run encountered an exception:\s*", "", text)[:500]


def _is_input_error(error: str) -> bool:
    return error.startswith(f"{InputError.__name__}:")


def _deployment_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(name)
        return True
    except ObjectNotFound:
        return False


def run_link(run_id: UUID) -> str:
    """The run's page in the UI (or its id when no UI URL is known)."""
    from prefect.utilities.urls import url_for

    return url_for("flow-run", obj_id=run_id) or f"flow run {run_id}"


def _produce_via_deployment(deployment: str, jobs: list[tuple[Path, str, dict]]) -> dict[str, tuple[bool, str]]:
    """Start one deployment run per book, all at once, then wait for every one to finish. Each child
    is logged by the name it has in the UI when it ends (it renames itself once the book is read)."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    logger = get_run_logger()
    parent = runtime.flow_run.id or "local"
    runs = {}
    for path, sha, params in jobs:
        run = run_deployment(deployment, parameters=params, timeout=0, as_subflow=True,
                             idempotency_key=f"{parent}-{sha}-{path.name}")
        logger.info("%s: queued as %s %s", path.name, deployment, run_link(run.id))
        runs[str(path)] = run.id
    outcome: dict[str, tuple[bool, str]] = {}
    with get_client(sync_client=True) as client:
        while len(outcome) < len(runs):
            for key, run_id in runs.items():
                if key in outcome:
                    continue
                child = client.read_flow_run(run_id)
                state = child.state
                if state is not None and state.is_final():
                    outcome[key] = (state.is_completed(), "" if state.is_completed() else error_line(state.message))
                    logger.info("%s: run %s ended %s %s", Path(key).name, child.name, state.name, run_link(run_id))
            if len(outcome) < len(runs):
                time.sleep(POLL_S)
    return outcome


def _produce_in_process(jobs: list[tuple[Path, str, dict]]) -> dict[str, tuple[bool, str]]:
    outcome = {}
    for path, _, params in jobs:
        state = produce_audiobook(**params, return_state=True)
        if state.is_completed():
            outcome[str(path)] = (True, "")
        else:
            exc = exception_of(state)
            outcome[str(path)] = (False, error_text(exc) if exc else error_line(state.message))
    return outcome


def summary_markdown(summary: dict) -> str:
    out = [f"# Nightly batch: {batch_counts(summary)}", "", f"Folder `{summary['folder']}` → `{summary['output_root']}`", ""]
    for title, rows, detail in (("Failed", summary["failed"], "error"), ("Produced", summary["produced"], "root"),
                                ("Skipped", summary["skipped"], "reason")):
        if rows:
            out += [f"## {title}", "", f"| manuscript | {detail} |", "|---|---|"]
            out += [f"| {r['file']} | {str(r[detail]).replace('|', '/')} |" for r in rows]
            out.append("")
    return "\n".join(out)


def run_name() -> str:
    folder = Path(str(runtime.flow_run.parameters.get("folder") or "books")).name
    return f"nightly-{folder}-{run_stamp()}"


@flow(name="nightly-batch", flow_run_name=run_name, persist_result=False, validate_parameters=True)
def nightly_batch(
    folder: str = BATCH["folder"],
    output_root: str | None = BATCH["output_root"],
    engine: EngineName = BATCH["engine"],
    voice: str | None = BATCH["voice"],
    formats: list[Format] = BATCH["formats"],
    dispatch: Literal["auto", "deployment", "in-process"] = BATCH["dispatch"],
    deployment: str = BATCH["deployment"],
    retry_failed: bool = BATCH["retry_failed"],
) -> dict:
    """Produce the new and changed manuscripts (.epub, .txt, .md) of `folder`.

    Parameters: `flows.parameters.BatchParameters`. Publishes a Markdown artifact and ends with
    {"produced": [...], "skipped": [...], "failed": [...]}: Completed when no book failed, else
    Failed with the message "N produced, M skipped, K failed" (the summary is the state's
    exception's `.summary`; `flows.outcome.summary_of(state)` reads either).
    """
    logger = get_run_logger()
    source = Path(folder).resolve()
    root = Path(output_root or default_output_root()).resolve()
    if not source.is_dir():
        return failed_on_pipeline_error(InputError(f"{source} is not a folder"))
    produced_before = produced_index(root)
    failures = load_failures(root)
    summary: dict = {"folder": str(source), "output_root": str(root), "produced": [], "skipped": [], "failed": []}
    jobs: list[tuple[Path, str, dict]] = []
    queued: dict[str, str] = {}  # sha256 -> manuscript: an identical copy is the same book (pipeline.book_owner)
    for path in find_manuscripts(source):
        sha = file_sha256(path)
        done = produced_before.get(sha)
        if done and done["engine"] == engine and (voice is None or done["voice"] == voice):
            summary["skipped"].append({"file": path.name, "reason": f"up to date ({done['root']})"})
        elif sha in queued:
            summary["skipped"].append({"file": path.name, "reason": f"same content as {queued[sha]}"})
        elif sha in failures and failures[sha].get("engine") == engine and not retry_failed:
            summary["skipped"].append({"file": path.name,
                                       "reason": f"unchanged since it failed: {failures[sha]['error']}"})
        else:
            params = {"manuscript": str(path), "output_root": str(root), "engine": engine, "voice": voice,
                      "formats": formats}
            jobs.append((path, sha, params))
            queued[sha] = path.name
    logger.info("%d manuscript(s) to produce, %d skipped", len(jobs), len(summary["skipped"]))

    if jobs:
        fan_out = dispatch == "deployment" or (dispatch == "auto" and _deployment_exists(deployment))
        logger.info("producing %s", f"as runs of {deployment}" if fan_out else "in-process")
        outcome = _produce_via_deployment(deployment, jobs) if fan_out else _produce_in_process(jobs)
        produced_now = produced_index(root)
        for path, sha, _ in jobs:
            ok, error = outcome[str(path)]
            if ok:
                failures.pop(sha, None)
                book = produced_now.get(sha, {})
                summary["produced"].append({"file": path.name, "slug": book.get("slug"), "root": book.get("root")})
            else:
                logger.error("%s failed: %s", path.name, error)
                summary["failed"].append({"file": path.name, "error": error})
                if _is_input_error(error):
                    failures[sha] = {"file": str(path), "engine": engine, "error": error}
        save_failures(root, failures)

    create_markdown_artifact(markdown=summary_markdown(summary), key="nightly-batch-summary",
                             description="Produced, skipped and failed manuscripts")
    logger.info("%s", batch_counts(summary))
    return batch_state(summary)
