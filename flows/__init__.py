"""Prefect flows over `pipeline/` (which itself never imports Prefect).

Importing this package sets quiet, offline Prefect defaults in the environment *before* Prefect
is imported, so that `python -m flows.serve`, the flow-run subprocesses it spawns and the tests
behave the same everywhere. Anything already set in the environment (or in a Prefect profile or
`prefect.toml`) wins: these are `setdefault`s. `prefect.toml` at the repository root carries the
same values for the `prefect` CLI (server, workers) started from the repository root.
"""

from __future__ import annotations

import os

PREFECT_DEFAULTS = {
    # No phoning home: the server's anonymous analytics and the client-side telemetry.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    # OS resource metrics sampled on a thread in every flow run: not needed, costs CPU.
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # SQLite on a busy small machine: give statements more time before "database is locked".
    "PREFECT_SERVER_DATABASE_TIMEOUT": "30",
    # Ephemeral mode (no PREFECT_API_URL): the first start migrates a new database, slow on 2 cores.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # Results live on disk under output/ already; Prefect need not persist task results.
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    # `python -m flows.serve` checks for new runs every 2 s instead of 10: less wait before a run starts.
    "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    # Prefect's logging with the routine per-run/per-task INFO lines filtered out (flows/logging.yml).
    "PREFECT_LOGGING_SETTINGS_PATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "logging.yml"),
}

for _name, _value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

# Prefect does not create a PREFECT_HOME that a user points at a new folder; its SQLite then fails.
if os.environ.get("PREFECT_HOME"):
    os.makedirs(os.path.expanduser(os.environ["PREFECT_HOME"]), exist_ok=True)

# Where books are written unless a run says otherwise (shared storage for a fleet of workers).
OUTPUT_ROOT_ENV = "AUDIOBOOK_OUTPUT_ROOT"


def default_output_root() -> str:
    return os.environ.get(OUTPUT_ROOT_ENV) or "output"
