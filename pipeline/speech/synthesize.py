"""Synthesise a plan's missing chunks into the cache, in batches, reporting progress as it goes."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.plan import Plan, PlannedChunk
from pipeline.stopping import checkpoint
from pipeline.speech.cache import ChunkCache
from pipeline.speech.engine import Engine, Voice


@dataclass
class SynthesisProgress:
    done: int  # unique chunks in the cache
    total: int  # unique chunks in the plan
    synthesized: int  # chunks synthesised by this run
    audio_s: float  # speech synthesised by this run, seconds
    wall_s: float  # time spent synthesising in this run
    retakes: int = 0  # extra takes synthesised because a take failed QA
    qa_failed: int = 0  # chunks whose best take still fails QA
    qa_s: float = 0.0  # time spent on QA checks and speech recognition

    @property
    def speed(self) -> float:
        """Audio seconds per wall second (the real-time factor's inverse)."""
        return self.audio_s / self.wall_s if self.wall_s > 0 else 0.0


def missing_chunks(plan: Plan, cache: ChunkCache, verify: bool = True) -> list[PlannedChunk]:
    """Unique chunks not (validly) in the cache, in book order. `verify` re-checks checksums."""
    seen: set[str] = set()
    missing = []
    for chunk in plan.chunks:
        if chunk.key in seen:
            continue
        seen.add(chunk.key)
        present = cache.has(chunk.key) and (not verify or cache.verify(chunk.key))
        if not present:
            missing.append(chunk)
    return missing


def synthesize_plan(plan: Plan, engine: Engine, voice: Voice, cache: ChunkCache,
                    on_progress: Callable[[SynthesisProgress], None] | None = None,
                    on_track_ready: Callable[[int], None] | None = None,
                    tracks: set[int] | None = None, qa: bool = False) -> SynthesisProgress:
    """Fill the cache for the plan (or for `tracks` of it). Book order, so tracks finish early and
    can be mastered while later ones are still being synthesised.

    `qa`: judge every new take and retake failing chunks (see `pipeline.qa.takes`)."""
    chosen = [t for t in plan.tracks if tracks is None or t.index in tracks]
    subset = plan.model_copy(update={"tracks": chosen})
    checker = None
    if qa:
        from pipeline.qa.takes import ChunkQA

        checker = ChunkQA(plan, cache)
    todo = missing_chunks(subset, cache) if checker is None else checker.pending(subset.chunks)
    waiting = {t.index: {c.key for c in t.chunks} for t in chosen}
    total = len({c.key for c in subset.chunks})
    progress = SynthesisProgress(done=total - len(todo), total=total, synthesized=0, audio_s=0.0, wall_s=0.0)

    def release(finished: set[str]) -> None:
        for index in list(waiting):
            waiting[index] -= finished
            if not waiting[index]:
                del waiting[index]
                if on_track_ready:
                    on_track_ready(index)

    release({c.key for c in subset.chunks if c.key not in {m.key for m in todo}})
    if on_progress:
        on_progress(progress)
    # The engine works on batch k+1 while a second thread stores (and, with QA, judges) batch k:
    # storing and judging never leave the engine's cores idle. An engine that takes overlapping
    # calls also gets batch k+2 before k+1 is done, so its workers never wait for a batch's last
    # sentence; any other engine gets one call at a time (a retake waits for the batch in flight).
    engine_lock = contextlib.nullcontext() if engine.overlapping_calls else threading.Lock()
    tally = threading.Lock()
    busy = _BusyClock()

    def timed(texts: list[str], seeds: list[int]) -> list:
        with engine_lock:
            with tally:
                busy.tick(progress, +1)
            try:
                clips = engine.synthesize(texts, voice, plan.settings, seeds)
            finally:
                with tally:
                    busy.tick(progress, -1)
        with tally:
            progress.audio_s += sum(len(c) for c in clips) / engine.sample_rate
        return clips

    def finish(batch: list[PlannedChunk], clips: dict) -> int:
        """Store (and judge) a synthesised batch; returns how many chunks were synthesised."""
        if checker is not None:
            return _finish_checked(batch, clips, checker, timed, progress)
        for chunk in batch:
            cache.put(chunk.key, clips[chunk.key], engine.sample_rate)
        return len(batch)

    def settle(batch: list[PlannedChunk], made: int) -> None:
        progress.done += len(batch)
        progress.synthesized += made
        if on_progress:
            on_progress(progress)
        release({c.key for c in batch})

    step = max(1, engine.batch_size)
    depth = 2 if engine.overlapping_calls else 1
    ahead: deque[tuple[list[PlannedChunk], list[PlannedChunk], Future]] = deque()
    behind: tuple[list[PlannedChunk], Future] | None = None

    def hand_over() -> None:
        """The oldest batch in the engine, once synthesised, to the store thread."""
        nonlocal behind
        batch, fresh, synthesized = ahead.popleft()
        clips = dict(zip([c.key for c in fresh], synthesized.result()))
        if behind is not None:
            settle(behind[0], behind[1].result())
        behind = (batch, store.submit(finish, batch, clips))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as store, \
            ThreadPoolExecutor(max_workers=depth, thread_name_prefix="synth") as synth:
        try:
            for start in range(0, len(todo), step):
                checkpoint()
                batch = todo[start:start + step]
                fresh = batch if checker is None else [c for c in batch if checker.needs_take0(c)]
                ahead.append((batch, fresh, synth.submit(timed, [c.engine_text for c in fresh], [c.seed for c in fresh])))
                if len(ahead) == depth:
                    hand_over()
            while ahead:
                hand_over()
            if behind is not None:
                settle(behind[0], behind[1].result())
                behind = None
        finally:
            # Stopping: no engine call outlives this function, and the batch in hand reaches the cache.
            for _, _, synthesized in ahead:
                synthesized.exception()
            if behind is not None:
                behind[1].exception()
    return progress


class _BusyClock:
    """Adds to `progress.wall_s` the time during which at least one engine call runs (overlapping
    calls are counted once). Called under the caller's lock."""

    def __init__(self) -> None:
        self.calls = 0
        self.last = 0.0

    def tick(self, progress: SynthesisProgress, change: int) -> None:
        now = time.perf_counter()
        if self.calls:
            progress.wall_s += now - self.last
        self.last = now
        self.calls += change


def _finish_checked(batch: list[PlannedChunk], clips: dict, checker, synthesize, progress: SynthesisProgress) -> int:
    """Judge a batch whose fresh takes are in `clips`; a failing take is retaken with new seeds. A
    chunk whose decision is already recorded but whose chosen take is missing gets that take back,
    with its recorded seed, unjudged. Returns how many chunks were synthesised."""

    def one(chunk: PlannedChunk, seed: int):
        [clip] = synthesize([chunk.engine_text], [seed])
        return clip

    made = len(clips)
    for chunk in batch:
        record = checker.log.get(chunk.key)
        if record is not None:  # decided before: restore the chosen take
            take = record["takes"][record["chosen"]]
            checker.cache.put(take["key"], one(chunk, take["seed"]), checker.plan.sample_rate)
            made += 1
            continue
        before = (checker.stats.retakes, checker.stats.asr_s + checker.stats.checks_s)
        checker.decide(chunk, clips.get(chunk.key), one)
        progress.retakes += checker.stats.retakes - before[0]
        progress.qa_s += checker.stats.asr_s + checker.stats.checks_s - before[1]
        progress.qa_failed = checker.stats.failed
    return made
