"""`produce-audiobook`: one manuscript in, one finished audiobook out, as Prefect tasks.

The stages are `pipeline.produce`'s own functions; the tasks here only translate between them and
what Prefect passes around (paths, ids, small dicts: never audio, plans or models). As in
`pipeline.produce.produce`, synthesis runs in book order on the flow's thread while finished tracks
are mastered on the task runner's thread.
"""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.task_runners import ThreadPoolTaskRunner

from flows import default_output_root
from flows.monitoring import ProgressReporter, publish_results, start_progress
from flows.outcome import exception_of, failed_on_pipeline_error, produce_state, quiet_pipeline_errors, unwrap
from flows.parameters import PRODUCE, EngineName, Format, IpaFallback
from flows.slots import synthesis_slot
from pipeline.errors import PipelineError
from pipeline.mastering.measure import Measurement
from pipeline.mastering.render import load_rendered
from pipeline.memory import tune_allocator
from pipeline.plan import Plan, slugify
from pipeline.produce import ProduceOptions, master_track, package, prepare, synthesize
from pipeline.speech.cache import ChunkCache
from pipeline.speech.engines import DEFAULT_ENGINE
from pipeline.speech.synthesize import SynthesisProgress, missing_chunks
from pipeline.workspace import BookLock, BookPaths

# Synthesis is one task per batch of consecutive tracks holding at least this many chunks (a long
# chapter is a task of its own; short credits ride along with their neighbour).
CHUNKS_PER_SYNTHESIS_TASK = 24


def retry_unless_pipeline_error(task: object, task_run: TaskRun, state: State) -> bool:
    """A PipelineError (bad manuscript, pinned voice, unknown engine...) fails the same way every
    time: fail fast. Anything else (I/O, a crashed encoder, a device hiccup) is worth a retry."""
    return not isinstance(exception_of(state), PipelineError)


RETRIES = {"retries": 2, "retry_delay_seconds": 3, "retry_condition_fn": retry_unless_pipeline_error}
NO_RESULTS = {"cache_policy": NO_CACHE, "persist_result": False}


def _paths(output_root: str, slug: str) -> BookPaths:
    return BookPaths(Path(output_root), slug)


@task(name="prepare", **RETRIES, **NO_RESULTS)
@quiet_pipeline_errors
def prepare_task(options: dict) -> dict:
    """Read the manuscript, plan it, write plan.json: `pipeline.produce.prepare`."""
    paths = prepare(ProduceOptions(**options), on_notice=get_run_logger().warning)
    plan = Plan.load(paths.plan)
    return {"slug": plan.slug, "root": str(paths.root), "title": plan.book.title, "engine": plan.engine,
            "voice": plan.voice_name, "tracks": [len(t.chunks) for t in plan.tracks],
            "lexicon": plan.lexicon.model_dump() if plan.lexicon and plan.lexicon.files else None}


@task(name="synthesize", task_run_name="synthesize-tracks-{tracks}", **RETRIES, **NO_RESULTS)
@quiet_pipeline_errors
def synthesize_task(output_root: str, slug: str, options: dict, tracks: list[int],
                    progress: dict | None = None) -> dict:
    """Fill the chunk cache for `tracks`, holding a `synthesis-<engine>` concurrency slot."""
    opts = ProduceOptions(**options)
    reporter = ProgressReporter(**progress) if progress else None
    with synthesis_slot(opts.engine):
        done = synthesize(_paths(output_root, slug), opts, tracks=set(tracks), on_progress=reporter)
    return {"tracks": tracks, **asdict(done), "speed": done.speed}


@task(name="master", task_run_name="master-track-{index}", **RETRIES, **NO_RESULTS)
@quiet_pipeline_errors
def master_task(output_root: str, slug: str, index: int) -> list[dict]:
    """Render, encode and measure one track's files: `pipeline.produce.master_track`."""
    paths = _paths(output_root, slug)
    return [{"key": rendered.key, "track": rendered.track, "number": rendered.number,
             "duration_s": rendered.duration, "measurement": asdict(measured)}
            for rendered, measured in master_track(paths, Plan.load(paths.plan), index)]


@task(name="package", **RETRIES, **NO_RESULTS)
@quiet_pipeline_errors
def package_task(output_root: str, slug: str, options: dict, mastered: list[dict], synthesis: dict,
                 wall_s: float) -> dict:
    """M4B/MP3, tags, manifest and report: `pipeline.produce.package`."""
    paths = _paths(output_root, slug)
    parts = []
    for item in mastered:
        rendered = load_rendered(paths.render, item["key"])
        if rendered is None:
            raise FileNotFoundError(f"rendered part {item['key']} of {slug} is missing from {paths.render}")
        parts.append((rendered, Measurement(**item["measurement"])))
    result = package(paths, ProduceOptions(**options), parts, SynthesisProgress(**synthesis), wall_s)
    return {"root": str(result.root), "outputs": [str(p) for p in result.outputs], "passed": result.passed,
            "report": result.report}


def batch_tracks(sizes: list[int], per_task: int = CHUNKS_PER_SYNTHESIS_TASK) -> list[list[int]]:
    """Consecutive track indexes grouped so that each group has >= per_task chunks (the last may
    have fewer)."""
    groups: list[list[int]] = []
    current: list[int] = []
    count = 0
    for index, size in enumerate(sizes):
        current.append(index)
        count += size
        if count >= per_task:
            groups.append(current)
            current, count = [], 0
    if current:
        groups.append(current)
    return groups


def run_stamp() -> str:
    """YYYYMMDD-HHMM (local time) of when the run was scheduled: the same before and after the rename."""
    scheduled = runtime.flow_run.scheduled_start_time
    when = datetime.fromisoformat(str(scheduled)) if scheduled else datetime.now().astimezone()
    return when.astimezone().strftime("%Y%m%d-%H%M")


def run_name() -> str:
    """`<manuscript stem>-<voice>-<stamp>` until the book is read; then renamed `<slug>-<voice>-<stamp>`."""
    params = runtime.flow_run.parameters
    stem = slugify(Path(str(params.get("manuscript", "book"))).stem)
    return f"{stem}-{params.get('voice') or params.get('engine') or DEFAULT_ENGINE}-{run_stamp()}"


def _rename_run(name: str) -> None:
    from prefect.client.orchestration import get_client

    run_id = runtime.flow_run.id
    if not run_id:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, name=name)
    except Exception as exc:  # cosmetic: never fail a production for it
        get_run_logger().debug("could not rename the flow run: %s", exc)


@flow(name="produce-audiobook", flow_run_name=run_name, task_runner=ThreadPoolTaskRunner(max_workers=1),
      persist_result=False, validate_parameters=True)
def produce_audiobook(
    manuscript: str = PRODUCE["manuscript"],
    output_root: str | None = PRODUCE["output_root"],
    engine: EngineName = PRODUCE["engine"],
    voice: str | None = PRODUCE["voice"],
    formats: list[Format] = PRODUCE["formats"],
    seed: int = PRODUCE["seed"],
    speed: float = PRODUCE["speed"],
    repin: bool = PRODUCE["repin"],
    qa: bool = PRODUCE["qa"],
    engine_options: dict[str, str | int | float] | None = PRODUCE["engine_options"],
    lexicons: list[str] | None = PRODUCE["lexicons"],
    ipa_fallback: IpaFallback = PRODUCE["ipa_fallback"],
) -> dict:
    """Produce a finished audiobook from one manuscript (.epub, .txt, .md).

    Parameters: `flows.parameters.ProduceParameters` (those of `pipeline.produce.ProduceOptions`).
    Ends Completed with a summary dict; Failed when the manuscript or a setting is unusable (the
    error is the message) or when files fail the ACX check (the book is still written).
    """
    try:
        return _produce(manuscript, output_root, engine, voice, formats, seed, speed, repin, qa, engine_options,
                        lexicons, ipa_fallback)
    except PipelineError as exc:
        return failed_on_pipeline_error(exc)


def _produce(manuscript: str, output_root: str | None, engine: str, voice: str | None, formats: list[str],
             seed: int, speed: float, repin: bool, qa: bool, engine_options: dict | None,
             lexicons: list[str] | None, ipa_fallback: str) -> State:
    logger = get_run_logger()
    began = time.perf_counter()
    tune_allocator()
    options = ProduceOptions(manuscript=Path(manuscript), output_root=Path(output_root or default_output_root()),
                             engine=engine, voice=voice, formats=formats, seed=seed, speed=speed, repin=repin,
                             qa=qa, engine_options=engine_options or {}, lexicons=[Path(p) for p in lexicons or []],
                             ipa_fallback=ipa_fallback)
    opts = options.model_dump(mode="json")
    root = str(options.output_root)
    logger.info("producing %s (engine %s) into %s", manuscript, engine, root)

    book = unwrap(prepare_task(opts))
    slug = book["slug"]
    _rename_run(f"{slug}-{book['voice']}-{run_stamp()}")
    logger.info("%r: %d tracks, %d chunks", book["title"], len(book["tracks"]), sum(book["tracks"]))
    if book.get("lexicon"):
        logger.info("lexicon: %s", book["lexicon"])

    paths = _paths(root, slug)
    with BookLock(paths):  # no other run may interleave with this book from here to the package
        plan = Plan.load(paths.plan)
        total = len({c.key for c in plan.chunks})
        done = total - len(missing_chunks(plan, ChunkCache(paths.cache), verify=False))
        progress_id = start_progress(slug, done, total)
        syntheses, futures = [], []
        for group in batch_tracks(book["tracks"]):
            result = unwrap(synthesize_task(root, slug, opts, group,
                                            {"artifact_id": progress_id, "total": total, "done_before": done}))
            done += result["synthesized"]
            syntheses.append(result)
            futures += [master_task.submit(root, slug, index) for index in group]
        mastered = [part for future in futures for part in unwrap(future.result())]
        synthesis = {"done": total, "total": total, "synthesized": sum(s["synthesized"] for s in syntheses),
                     "audio_s": sum(s["audio_s"] for s in syntheses), "wall_s": sum(s["wall_s"] for s in syntheses)}
        logger.info("synthesised %d of %d chunks (%.1f× real time); packaging", synthesis["synthesized"], total,
                    SynthesisProgress(**synthesis).speed)
        packaged = unwrap(package_task(root, slug, opts, mastered, synthesis, time.perf_counter() - began))

    speeds = {t: (s["speed"] if s["synthesized"] else None) for s in syntheses for t in s["tracks"]}
    publish_results(slug, Path(packaged["root"]), packaged["report"], packaged["outputs"], speeds)
    failing = [f["file"] for f in packaged["report"]["files"] if not f["passed"]]
    if failing:
        logger.warning("%d file(s) fail the ACX check: %s", len(failing), ", ".join(failing))
    logger.info("wrote %s", ", ".join(packaged["outputs"]))
    summary = {"slug": slug, "root": packaged["root"], "outputs": packaged["outputs"], "passed": packaged["passed"],
               "duration_s": packaged["report"]["duration_s"], "synthesis": synthesis}
    return produce_state(summary, failing)


if __name__ == "__main__":  # python -m flows.produce books/x.md: one local run (in the UI if PREFECT_API_URL is set)
    import sys

    print(produce_audiobook(manuscript=sys.argv[1]))
