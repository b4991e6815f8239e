"""`audiobook produce` in Prefect mode: the produce-audiobook flow run from the terminal."""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import json
import os
from pathlib import Path

from flows.outcome import exception_of, summary_of
from pipeline.errors import PipelineError


def check_server() -> None:
    """With PREFECT_API_URL set, the server must answer; say so in one line when it does not."""
    url = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not url:
        return  # no server configured: Prefect starts a temporary local one
    import httpx

    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise PipelineError(f"cannot reach the Prefect server at {url} (PREFECT_API_URL): {type(exc).__name__}; "
                            "start it (`prefect server start`) or run with --no-prefect") from None


def produce_with_flow(**params: object) -> tuple[dict, list[dict]]:
    """Run the flow; returns its summary and the report's per-file rows (for the ACX table). A book
    written with files failing ACX is returned too (the caller reports it); other failures raise."""
    from flows.produce import produce_audiobook

    check_server()
    state = produce_audiobook(**params, return_state=True)
    summary = summary_of(state)
    if summary is None:
        exc = exception_of(state)
        raise exc if isinstance(exc, PipelineError) else PipelineError(state.message or "the flow run failed")
    report = json.loads((Path(summary["root"]) / "report.json").read_text(encoding="utf-8"))
    return summary, report["files"]
