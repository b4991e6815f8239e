"""Serve the deployments from this process: `python -m flows.serve`.

    produce-audiobook/manuscript   on demand: prefect deployment run 'produce-audiobook/manuscript'
                                   --param manuscript=books/<file>
    nightly-batch/nightly          cron `0 2 * * *` in local time (AUDIOBOOK_NIGHTLY_CRON / --cron,
                                   AUDIOBOOK_NIGHTLY_TZ / --timezone, --no-schedule to turn it off)

Each flow run is a subprocess of this one, started in the current directory, so run it from the
repository root (relative manuscript paths and the default ./output resolve there). Needs
PREFECT_API_URL pointing at a running server (`prefect server start`).
"""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import argparse
import os

CRON_ENV, TZ_ENV = "AUDIOBOOK_NIGHTLY_CRON", "AUDIOBOOK_NIGHTLY_TZ"
DEFAULT_CRON = "0 2 * * *"


def local_timezone() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:
        return "UTC"


def build_deployments(cron: str | None, timezone: str, books: str, output_root: str | None) -> list:
    from prefect.schedules import Cron

    from flows.batch import nightly_batch
    from flows.produce import produce_audiobook

    produce = produce_audiobook.to_deployment(
        name="manuscript", tags=["audiobook"],
        description="Produce one manuscript: prefect deployment run 'produce-audiobook/manuscript' "
                    "--param manuscript=books/<file>",
        parameters={"output_root": output_root} if output_root else None)
    nightly = nightly_batch.to_deployment(
        name="nightly", tags=["audiobook"], schedules=[Cron(cron, timezone=timezone)] if cron else None,
        description=f"Produce the new and changed manuscripts of {books}/",
        parameters={"folder": books, **({"output_root": output_root} if output_root else {})})
    return [produce, nightly]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cron", default=os.environ.get(CRON_ENV, DEFAULT_CRON),
                        help=f"nightly schedule (default ${CRON_ENV} or {DEFAULT_CRON!r})")
    parser.add_argument("--timezone", default=os.environ.get(TZ_ENV) or local_timezone(),
                        help=f"time zone of the schedule (default ${TZ_ENV} or this machine's)")
    parser.add_argument("--no-schedule", action="store_true", help="serve the nightly batch without a schedule")
    parser.add_argument("--books", default="books", help="folder the nightly batch scans (default books)")
    parser.add_argument("--output-root", default=None,
                        help="default output root of both deployments (default $AUDIOBOOK_OUTPUT_ROOT or ./output)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many flow runs at once")
    args = parser.parse_args(argv)

    from prefect import serve

    deployments = build_deployments(None if args.no_schedule else args.cron, args.timezone, args.books,
                                    args.output_root)
    serve(*deployments, limit=args.limit)


if __name__ == "__main__":
    main()
