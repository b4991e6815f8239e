"""How runs end, so that the UI, automations and scripts can tell a good night from a bad one.

- A `PipelineError` (bad manuscript, pinned voice, unknown engine...) is the user's to fix, not a
  bug: the task logs it in one line and fails without a traceback, and so does the flow.
- A book whose files fail the ACX check, and a batch with failed books, end `Failed` with a short
  message ("2 produced, 0 skipped, 1 failed"); the summary rides along as the state's exception, so
  `state.result(raise_on_failure=False).summary` still has it. Automations match on `Failed`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from prefect import get_run_logger
from prefect.states import Completed, Failed, State

from pipeline.errors import PipelineError

F = TypeVar("F", bound=Callable[..., Any])


class RunFailed(PipelineError):
    """A run that finished its work but whose result is not acceptable; `summary` is that result."""

    def __init__(self, message: str, summary: dict):
        super().__init__(message)
        self.summary = summary


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def quiet_pipeline_errors(fn: F) -> F:
    """For a task body: a PipelineError becomes one error line and a Failed state, no traceback
    (returning a state instead of raising also means Prefect does not retry it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:
            get_run_logger().error("%s", error_text(exc))
            return Failed(message=error_text(exc), data=exc)

    return wrapper  # type: ignore[return-value]


def exception_of(state: State) -> BaseException | None:
    if isinstance(state.data, BaseException):
        return state.data
    try:
        result = state.result(raise_on_failure=False)
    except Exception:
        return None
    return result if isinstance(result, BaseException) else None


def unwrap(value: Any) -> Any:
    """A task call's value; a task that failed quietly hands back its Failed state: raise its error."""
    if isinstance(value, State) and value.is_failed():
        raise exception_of(value) or RuntimeError(value.message)
    return value


def failed_on_pipeline_error(exc: PipelineError) -> State:
    """For a flow body: end the run Failed with the error as its message (the task logged it)."""
    return Failed(message=error_text(exc), data=exc)


def batch_counts(summary: dict) -> str:
    return f"{len(summary['produced'])} produced, {len(summary['skipped'])} skipped, {len(summary['failed'])} failed"


def batch_state(summary: dict) -> State:
    message = batch_counts(summary)
    if summary["failed"]:
        return Failed(message=message, data=RunFailed(message, summary))
    return Completed(message=message, data=summary)


def produce_state(summary: dict, failing: list[str]) -> State:
    """Completed when every file passes ACX; otherwise Failed, naming the files (the book is written)."""
    if failing:
        message = f"{len(failing)} file(s) fail the ACX check: {', '.join(failing)}"[:500]
        return Failed(message=message, data=RunFailed(message, summary))
    return Completed(message=f"{len(summary['outputs'])} file(s) written, all pass ACX", data=summary)


def summary_of(state: State) -> dict | None:
    """The flow's summary from its final state, whether it Completed or Failed with RunFailed."""
    try:
        result = state.result(raise_on_failure=False)
    except Exception:
        return None
    if isinstance(result, RunFailed):
        return result.summary
    return result if isinstance(result, dict) else None
