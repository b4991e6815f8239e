"""A logging filter for Prefect's handlers (wired in by flows/logging.yml): drops the routine lines a
normal run would otherwise log at INFO, once per run or per task, which bury the useful ones: the
flow code download and pull steps of a worker's run, each task's "Finished in state Completed()",
and the engine's traceback of a run that failed with a PipelineError (a bad manuscript).

Only these exact INFO messages go; anything else at WARNING or above, and a task that ends in any
state other than Completed, is still logged. Pure standard library: it is loaded while Prefect configures
logging, before the flow's code is.
"""

from __future__ import annotations

import logging

ROUTINE = ("Downloading flow code from storage at", "Running 1 deployment pull step", "Executing deployment step:",
           "All deployment steps completed successfully")
ROUTINE_TASK = ("Finished in state Completed(",)


def _is_pipeline_error(exc: BaseException | None) -> bool:
    """By class name: this module must not import the pipeline (or Prefect) while logging is set up."""
    return exc is not None and any(cls.__name__ == "PipelineError" for cls in type(exc).__mro__)


class QuietRoutine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _is_pipeline_error(record.exc_info[1]):
            # Prefect's engine re-raises a failed deployment run's error and logs it with a traceback
            # ("Engine execution exited with unexpected exception"). A PipelineError is the user's
            # to fix and is already the run's state message and the task's one error line.
            return False
        if record.levelno != logging.INFO:
            return True
        message = record.getMessage()
        if message.startswith(ROUTINE) or (message.startswith("Deployment step") and message.endswith("successfully")):
            return False
        return not (record.name == "prefect.task_runs" and message.startswith(ROUTINE_TASK))
