"""A Prefect global concurrency limit around synthesis, so that a batch of books never puts more
synthesis jobs on a device than it can take: `synthesis-<engine>`, one slot per running task.

The limit is created on first use when missing: 1 slot for GPU engines, half the cores (at least 1)
for the embedded CPU engine. An operator can change it later (`prefect gcl update synthesis-piper
--limit 4`); an existing limit is never overwritten. `AUDIOBOOK_SYNTHESIS_SLOTS` sets the size used
when the limit is created.

Without a Prefect server (no PREFECT_API_URL: ephemeral mode, one process) there is nothing to
share a limit with, so the slot is a no-op, as it is when the server cannot be reached.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CPU_ENGINES = frozenset({"piper"})
SLOTS_ENV = "AUDIOBOOK_SYNTHESIS_SLOTS"

_ensured: set[str] = set()
_ensure_lock = threading.Lock()


def limit_name(engine: str) -> str:
    return f"synthesis-{engine}"


def default_slots(engine: str) -> int:
    if os.environ.get(SLOTS_ENV, "").strip().isdigit() and int(os.environ[SLOTS_ENV]) > 0:
        return int(os.environ[SLOTS_ENV])
    if engine in CPU_ENGINES:
        return max(1, (os.cpu_count() or 1) // 2)
    return 1


def _logger() -> logging.Logger | logging.LoggerAdapter:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("flows.slots")


def server_configured() -> bool:
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def ensure_limit(engine: str) -> str:
    """Create `synthesis-<engine>` if the server does not have it yet. Returns its name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    name = limit_name(engine)
    with _ensure_lock:
        if name in _ensured:
            return name
        with get_client(sync_client=True) as client:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                try:
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=default_slots(engine)))
                    _logger().info("created concurrency limit %s with %d slot(s)", name, default_slots(engine))
                except ObjectAlreadyExists:  # another run created it in between
                    pass
        _ensured.add(name)
    return name


@contextmanager
def synthesis_slot(engine: str) -> Iterator[None]:
    """Hold one slot of `synthesis-<engine>` while the body runs (waits for a free one)."""
    if not server_configured():
        yield
        return
    try:
        name = ensure_limit(engine)
    except Exception as exc:  # unreachable server, old server: synthesise anyway, say so once
        _logger().warning("no synthesis concurrency limit (%s: %s); running without one", type(exc).__name__, exc)
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(name, occupy=1, strict=False):
        yield
