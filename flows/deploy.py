"""Deploy the flows to a process work pool for a fleet of workers: `python -m flows.deploy`.

    --timezone Europe/London   (or AUDIOBOOK_NIGHTLY_TZ) the nightly schedule's zone: required, so a
                               nightly never silently runs at 02:00 UTC
    --pool audiobooks          the work pool (created as a process pool when missing)

It creates two work queues in the pool and puts each deployment on its own:

    books   produce-audiobook/manuscript  one run per book; start book workers with
            `prefect worker start --pool audiobooks --work-queue books --limit 1`: each worker then
            takes one book at a time, so N workers produce N books at once
    batch   nightly-batch/nightly         the batch parent (it only waits for its books); a queue
            limit of 1 and a deployment limit of 1, served by its own small worker
            (`--work-queue batch`), so it never holds the slot a book needs

Workers run the flows from this checkout's path (the same path on every machine, or shared storage),
with the routine Prefect log lines filtered (flows/logging.yml). Needs PREFECT_API_URL.
"""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import argparse
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.serve import CRON_ENV, DEFAULT_CRON, TZ_ENV

REPO = Path(__file__).resolve().parents[1]
BOOK_QUEUE, BATCH_QUEUE = "books", "batch"


def require_timezone(value: str | None) -> str:
    """The schedule's IANA zone; a clear error when it is missing or unknown."""
    if not value:
        raise SystemExit("error: the nightly schedule needs a time zone: --timezone Europe/London "
                         f"(or export {TZ_ENV}=...; 'UTC' if that is what you mean)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"error: unknown time zone {value!r}; use an IANA name such as Europe/London") from None
    return value


def ensure_pool_and_queues(pool: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkQueueUpdate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        for name, limit in ((BOOK_QUEUE, None), (BATCH_QUEUE, 1)):
            try:
                queue = client.create_work_queue(name=name, work_pool_name=pool, concurrency_limit=limit)
            except ObjectAlreadyExists:
                queue = client.read_work_queue_by_name(name, work_pool_name=pool)
                client.update_work_queue(queue.id, **WorkQueueUpdate(concurrency_limit=limit).model_dump(
                    exclude_unset=True))


def deploy(pool: str, timezone: str, cron: str | None, books: str, output_root: str | None,
           manuscript_name: str = "manuscript", nightly_name: str = "nightly") -> None:
    from prefect import flow
    from prefect.schedules import Cron

    ensure_pool_and_queues(pool)
    job = {"working_dir": str(REPO),
           "env": {"PREFECT_LOGGING_SETTINGS_PATH": str(REPO / "flows" / "logging.yml"),
                   "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false", "DO_NOT_TRACK": "1"}}
    root = {"output_root": output_root} if output_root else {}
    flow.from_source(source=str(REPO), entrypoint="flows/produce.py:produce_audiobook").deploy(
        name=manuscript_name, work_pool_name=pool, work_queue_name=BOOK_QUEUE, job_variables=job,
        parameters=root, tags=["audiobook"], print_next_steps=False,
        description="Produce one manuscript: prefect deployment run 'produce-audiobook/manuscript' "
                    "--param manuscript=books/<file>")
    flow.from_source(source=str(REPO), entrypoint="flows/batch.py:nightly_batch").deploy(
        name=nightly_name, work_pool_name=pool, work_queue_name=BATCH_QUEUE, job_variables=job,
        schedules=[Cron(cron, timezone=timezone)] if cron else [], concurrency_limit=1,
        parameters={"folder": books, "deployment": f"produce-audiobook/{manuscript_name}", **root},
        tags=["audiobook"], print_next_steps=False,
        description=f"Produce the new and changed manuscripts of {books}/ as runs of "
                    f"produce-audiobook/{manuscript_name} (cron {cron!r}, {timezone})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.deploy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timezone", default=os.environ.get(TZ_ENV), help=f"zone of the nightly schedule "
                        f"(default ${TZ_ENV}; required)")
    parser.add_argument("--cron", default=os.environ.get(CRON_ENV, DEFAULT_CRON),
                        help=f"nightly schedule (default ${CRON_ENV} or {DEFAULT_CRON!r})")
    parser.add_argument("--no-schedule", action="store_true", help="deploy the nightly batch without a schedule")
    parser.add_argument("--pool", default="audiobooks", help="process work pool (default audiobooks)")
    parser.add_argument("--books", default="books", help="folder the nightly batch scans (default books)")
    parser.add_argument("--output-root", default=None, help="output root of both deployments (default "
                        "$AUDIOBOOK_OUTPUT_ROOT on the worker, else ./output; use shared storage for a fleet)")
    parser.add_argument("--manuscript-name", default="manuscript", help=argparse.SUPPRESS)
    parser.add_argument("--nightly-name", default="nightly", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    timezone = require_timezone(args.timezone)
    if not os.environ.get("PREFECT_API_URL"):
        raise SystemExit("error: set PREFECT_API_URL to the server's API, e.g. http://server:4200/api")
    deploy(args.pool, timezone, None if args.no_schedule else args.cron, args.books, args.output_root,
           args.manuscript_name, args.nightly_name)
    print(f"deployed produce-audiobook/{args.manuscript_name} (queue {BOOK_QUEUE}) and "
          f"nightly-batch/{args.nightly_name} (queue {BATCH_QUEUE}, {args.cron!r} in {timezone}) to pool {args.pool}")


if __name__ == "__main__":
    main()
