"""Synthesise a plan's missing chunks into the cache, in batches, reporting progress as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable
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
                    tracks: set[int] | None = None) -> SynthesisProgress:
    """Fill the cache for the plan (or for `tracks` of it). Book order, so tracks finish early and
    can be mastered while later ones are still being synthesised."""
    chosen = [t for t in plan.tracks if tracks is None or t.index in tracks]
    subset = plan.model_copy(update={"tracks": chosen})
    todo = missing_chunks(subset, cache)
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
    step = max(1, engine.batch_size)
    for start in range(0, len(todo), step):
        checkpoint()
        batch = todo[start:start + step]
        began = time.perf_counter()
        clips = engine.synthesize([c.text for c in batch], voice, plan.settings, [c.seed for c in batch])
        progress.wall_s += time.perf_counter() - began
        for chunk, clip in zip(batch, clips):
            cache.put(chunk.key, clip, engine.sample_rate)
            progress.audio_s += len(clip) / engine.sample_rate
        progress.done += len(batch)
        progress.synthesized += len(batch)
        if on_progress:
            on_progress(progress)
        release({c.key for c in batch})
    return progress
