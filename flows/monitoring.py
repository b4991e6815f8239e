"""What a run shows in the Prefect UI: a throttled progress bar, the per-chapter table, the report."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from uuid import UUID

from prefect.artifacts import (create_markdown_artifact, create_progress_artifact, create_table_artifact,
                               update_progress_artifact)

from flows.ui_report import chapter_rows, ui_markdown
from pipeline.speech.synthesize import SynthesisProgress

MIN_INTERVAL_S = 2.0  # at most one progress update every 2 s...
MIN_STEP_PCT = 1.0  # ...and only when it moved by at least 1 point (so at most ~100 per book)

_last: dict[str, tuple[float, float]] = {}  # artifact id -> (time, percent) of the last update
_last_lock = threading.Lock()


def artifact_key(prefix: str, slug: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    key = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in f"{prefix}-{slug}".lower())
    return key[:120].strip("-")


def start_progress(slug: str, done: int, total: int) -> str:
    pct = 100.0 * done / total if total else 100.0
    artifact_id = create_progress_artifact(progress=pct, key=artifact_key("progress", slug),
                                           description=_describe(done, total))
    with _last_lock:
        _last[str(artifact_id)] = (time.monotonic(), pct)
    return str(artifact_id)


def _describe(done: int, total: int) -> str:
    return f"Synthesis: {done} of {total} chunks"


def should_update(artifact_id: str, pct: float, final: bool, now: float | None = None) -> bool:
    """Throttle: the final value always goes through; otherwise >= 2 s and >= 1 point since the last."""
    now = time.monotonic() if now is None else now
    with _last_lock:
        last_t, last_pct = _last.get(artifact_id, (float("-inf"), float("-inf")))
        if not final and (now - last_t < MIN_INTERVAL_S or pct - last_pct < MIN_STEP_PCT):
            return False
        if final and pct == last_pct:
            return False
        _last[artifact_id] = (now, pct)
        return True


class ProgressReporter:
    """`on_progress` for one synthesis task: maps the task's own counts onto the whole book's."""

    def __init__(self, artifact_id: str, total: int, done_before: int):
        self.artifact_id, self.total, self.done_before = artifact_id, total, done_before

    def __call__(self, progress: SynthesisProgress) -> None:
        done = min(self.total, self.done_before + progress.synthesized)
        pct = 100.0 * done / self.total if self.total else 100.0
        if should_update(self.artifact_id, pct, final=done >= self.total):
            try:
                update_progress_artifact(UUID(self.artifact_id), pct, description=_describe(done, self.total))
            except Exception:  # a progress bar must never fail a synthesis task
                pass


def publish_results(slug: str, root: Path, report: dict, outputs: list[str], speeds: dict[int, float | None]) -> None:
    """The per-chapter table and the report (see `flows.ui_report`) as the run's artifacts."""
    create_table_artifact(table=chapter_rows(report, speeds), key=artifact_key("acx", slug),
                          description=f"Per file of {slug}: ACX check, QA and synthesis speed (× real time)")
    create_markdown_artifact(markdown=ui_markdown(root, report, outputs), key=artifact_key("report", slug),
                             description=f"Production report of {slug}")
