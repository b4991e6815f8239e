"""Retakes: judge every new chunk, re-synthesise the ones that fail, keep the best take, and
record every decision in `.work/cache/qa.jsonl` so that reruns reuse them.

Keys. The plan's chunk key is take 0's cache key (the plan's seed). Take n > 0 uses
`take_seed(seed, n)`, and its cache key is computed exactly like the plan's with that seed, so
"same key <=> same audio" still holds. A chunk's record names the chosen take's key; mastering
reads that key (see `resolve_track`), so a retake changes the rendered part's key and the part is
rendered again, while a chunk without a record (QA off) simply uses take 0.

Resume. A chunk is done when it has a record and the chosen take's audio is in the cache. A
record is appended (fsynced) only after all its takes are in the cache; a kill before that leaves
takes in the cache and no record, and the next run judges the cached takes again (same audio, same
history, same decision) without synthesising them again. A chunk whose chosen take went missing or
corrupt is re-synthesised with the recorded seed and not judged again.

Determinism. A take's checks depend only on its audio as the cache returns it (edges trimmed,
16-bit; a fresh take is put in the cache and read back before it is judged) and on the
records of the chunks before it in plan order, so a resumed run makes the decisions of an
uninterrupted one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.plan import Plan, PlannedChunk, Track
from pipeline.qa.asr import longest_gap, recogniser_for, wer, word_errors
from pipeline.qa.checks import HISTORY, BookStats, Metrics, judge, measure
from pipeline.speech.cache import ChunkCache, cache_key

QA_VERSION = 1
MAX_TAKES = 3
# The last take of a chunk at least this long is read as two clause-bounded halves: long input is
# where neural narrators rush, trail off or babble, and a shorter input is the usual cure.
RESPLIT_MIN_CHARS = 120
RESPLIT_PAUSE_S = 0.2


def take_seed(seed: int, take: int) -> int:
    """Take 0 is the plan's seed; later takes get seeds far from it and from each other."""
    return seed if take == 0 else (seed + take * 1_000_000_007) % (2**31)


def resplit_take(chunk: PlannedChunk, take: int, max_takes: int = MAX_TAKES) -> bool:
    return take == max_takes - 1 and take > 0 and len(chunk.text) >= RESPLIT_MIN_CHARS


def take_key(plan: Plan, chunk: PlannedChunk, take: int, max_takes: int = MAX_TAKES) -> str:
    if take == 0:
        return chunk.key
    settings = plan.settings.key() + chunk.lexicon_key + (";resplit" if resplit_take(chunk, take, max_takes) else "")
    return cache_key(chunk.id, plan.engine, plan.model_revision, plan.voice_hash, settings,
                     take_seed(chunk.seed, take))


def split_in_two(text: str) -> list[str]:
    """Clause-bounded pieces of about half the text each (never mid-word)."""
    from pipeline.chunks.splitting import split_long_sentence

    return split_long_sentence(text, max(40, (len(text) * 3) // 5))


class QALog:
    """`qa.jsonl` beside the cache index: one decision per plan key, appended after its takes."""

    def __init__(self, cache_root: Path):
        self.path = Path(cache_root) / "qa.jsonl"
        self.records: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:  # a line torn by a kill is ignored: that chunk is judged again
                    record = json.loads(line)
                    if record.get("version") == QA_VERSION:
                        self.records[record["key"]] = record
                except (ValueError, KeyError, TypeError):
                    continue

    def get(self, key: str) -> dict | None:
        return self.records.get(key)

    def chosen_key(self, key: str) -> str:
        record = self.records.get(key)
        return record["chosen_key"] if record else key

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.records[record["key"]] = record


def resolve_track(track: Track, log: QALog, cache: ChunkCache | None = None) -> Track:
    """The track with each chunk's key replaced by its chosen take's (where one was recorded and,
    if `cache` is given, is in it)."""
    chunks = []
    for chunk in track.chunks:
        key = log.chosen_key(chunk.key)
        if key != chunk.key and (cache is None or key in cache.entries):
            chunk = chunk.model_copy(update={"key": key})
        chunks.append(chunk)
    return track.model_copy(update={"chunks": chunks})


@dataclass
class QAStats:
    judged: int = 0
    retakes: int = 0  # extra takes synthesised
    failed: int = 0  # chunks whose best take still fails
    asr_s: float = 0.0
    checks_s: float = 0.0


class ChunkQA:
    """Judges takes and runs retakes for one plan. Used by `synthesize_plan`."""

    def __init__(self, plan: Plan, cache: ChunkCache, max_takes: int = MAX_TAKES):
        self.plan = plan
        self.cache = cache
        self.log = QALog(cache.root)
        self.max_takes = max_takes
        self.language = plan.book.language.split("-")[0].lower()
        self.recogniser = recogniser_for(self.language)
        self.stats = QAStats()
        order: list[str] = []
        self._chunks: dict[str, PlannedChunk] = {}
        for c in plan.chunks:
            if c.key not in self._chunks:
                self._chunks[c.key] = c
                order.append(c.key)
        self._order = order
        self._position = {k: i for i, k in enumerate(order)}

    # -- what needs doing -------------------------------------------------------------------------

    def done(self, chunk: PlannedChunk) -> bool:
        record = self.log.get(chunk.key)
        if record is None:
            return False
        key = record["chosen_key"]
        return self.cache.has(key) and self.cache.verify(key)

    def pending(self, chunks: list[PlannedChunk]) -> list[PlannedChunk]:
        seen: set[str] = set()
        todo = []
        for c in chunks:
            if c.key not in seen:
                seen.add(c.key)
                if not self.done(c):
                    todo.append(c)
        return todo

    def needs_take0(self, chunk: PlannedChunk) -> bool:
        """Whether take 0 must be synthesised (no record, and not validly in the cache)."""
        return self.log.get(chunk.key) is None and not (self.cache.has(chunk.key) and self.cache.verify(chunk.key))

    # -- judging ----------------------------------------------------------------------------------

    def history_before(self, chunk: PlannedChunk) -> list[Metrics]:
        """Chosen, passing takes' metrics of up to HISTORY recorded chunks before this one (plan order)."""
        history: list[Metrics] = []
        for key in reversed(self._order[:self._position.get(chunk.key, 0)]):
            record = self.log.get(key)
            if record is None:
                continue
            if record["passed"]:
                take = record["takes"][record["chosen"]]
                history.append(_metrics(take["metrics"]))
                if len(history) >= HISTORY:
                    break
        history.reverse()
        return history

    def evaluate(self, stored: np.ndarray, rate: int, text: str, stats: BookStats,
                 raw: np.ndarray | None = None) -> tuple[Metrics, object]:
        """Checks on the take as stored in the cache (`stored`, as `ChunkCache.read` returns it), so
        that judging it again from the cache gives the same numbers; edge silences from the engine's
        clip `raw` when there is one (the cache has trimmed them)."""
        began = time.perf_counter()
        edges = measure(raw, rate, text, raw=True) if raw is not None else None
        metrics = measure(stored, rate, text, raw=False)
        if edges is not None:
            metrics.lead_s, metrics.trail_s = edges.lead_s, edges.trail_s
        self.stats.checks_s += time.perf_counter() - began
        if self.recogniser is not None:
            began = time.perf_counter()
            reference, heard = self.recogniser.recognise(stored, rate, text)
            metrics.wer = round(wer(reference, heard), 4)
            metrics.word_errors = word_errors(reference, heard)
            metrics.word_gap = longest_gap(reference, heard)
            metrics.heard = " ".join(heard)
            self.stats.asr_s += time.perf_counter() - began
        return metrics, judge(metrics, stats)

    def decide(self, chunk: PlannedChunk, take0: np.ndarray | None, synthesize) -> dict:
        """Judge take 0 (`take0`: the engine's fresh clip, or None to read it from the cache),
        retake while it fails, record and return the decision.

        `synthesize(chunk, seed) -> np.ndarray` makes one more take with the engine.
        """
        rate = self.plan.sample_rate
        stats = BookStats.from_history(self.history_before(chunk), self.plan.settings.speed)
        takes = []
        for n in range(self.max_takes):
            key = take_key(self.plan, chunk, n, self.max_takes)
            seed = take_seed(chunk.seed, n)
            if n == 0 and take0 is not None:
                audio, raw = take0, True
            elif self.cache.has(key) and self.cache.verify(key):  # judged before a kill: not redone
                audio, raw = self._read(key), False
            else:
                split = resplit_take(chunk, n, self.max_takes)
                audio, raw = (self._resplit(chunk, seed, synthesize) if split else synthesize(chunk, seed)), True
                if n > 0:
                    self.stats.retakes += 1
            if raw:
                self.cache.put(key, audio, rate)
                stored = self._read(key)
            else:
                stored, audio = audio, None
            metrics, verdict = self.evaluate(stored, rate, chunk.text, stats, raw=audio)
            takes.append({"take": n, "seed": seed, "key": key, "passed": verdict.passed, "score": verdict.score,
                          "problems": verdict.problems, "badness": verdict.badness, "metrics": metrics.as_dict()})
            if verdict.passed:
                break
        best = min(takes, key=lambda t: (not t["passed"], t["score"], t["take"]))
        record = {"version": QA_VERSION, "key": chunk.key, "id": chunk.id, "chosen": best["take"],
                  "chosen_key": best["key"], "passed": best["passed"], "score": best["score"],
                  "stats": {"expected_s": round(stats.expected_duration(takes[0]["metrics"]["letters"]), 3),
                            "rms_db": None if stats.rms_db is None else round(stats.rms_db, 2),
                            "history": stats.count},
                  "asr": self.recogniser.name if self.recogniser else None, "takes": takes}
        self.log.append(record)
        self.stats.judged += 1
        self.stats.failed += not best["passed"]
        return record


    def _resplit(self, chunk: PlannedChunk, seed: int, synthesize) -> np.ndarray:
        pieces = [synthesize(chunk.model_copy(update={"text": text, "speech": None}), (seed + i) % (2**31))
                  for i, text in enumerate(split_in_two(chunk.engine_text))]
        pause = np.zeros(int(RESPLIT_PAUSE_S * self.plan.sample_rate), dtype=np.float32)
        joined = [pieces[0]]
        for piece in pieces[1:]:
            joined += [pause, piece]
        return np.concatenate(joined).astype(np.float32, copy=False)

    def _read(self, key: str) -> np.ndarray:
        if self.cache.entries[key].frames == 0:  # all silence: trimmed to nothing (FLAC cannot hold that)
            return np.zeros(0, dtype=np.float32)
        return self.cache.read(key)


def _metrics(d: dict) -> Metrics:
    return Metrics(**d)
