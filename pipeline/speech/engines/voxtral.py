"""Mistral Voxtral TTS (`mistralai/Voxtral-4B-TTS-2603`), run in-process with our own PyTorch code
(`pipeline.voxtral`). Batched: one `synthesize` call generates all its texts together.

The weights (CC BY-NC 4.0) are never shipped: pass `model_dir`, set $VOXTRAL_MODEL_DIR, or fetch
them into the Hugging Face cache with `pipeline.voxtral.loading.download_weights()`.
Only the 20 preset voices work: the open checkpoint has no codec encoder, so no cloning from a clip.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import PipelineError
from pipeline.speech.engine import VOXTRAL_LANGUAGES, SynthesisSettings, Voice

LANGUAGES = VOXTRAL_LANGUAGES
_AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".opus", ".aac")
NO_CLONING = ("Voxtral cannot clone a voice from an audio clip: the open checkpoint has no codec encoder "
              "(only the decoder was released), so only its preset voices can be used")


def _voice_language(name: str) -> tuple[str, ...]:
    prefix = name.split("_", 1)[0]
    return (prefix,) if prefix in LANGUAGES else ("en",)


class VoxtralEngine:
    name = "voxtral"
    sample_rate = 24000
    languages = LANGUAGES
    max_chunk_chars = 400  # ~25 s of speech, well inside the trained length
    overlapping_calls = False  # one model on one device: batches run one at a time
    deterministic = False  # stochastic, but a (chunk, seed) pair is reproducible

    def __init__(self, model_dir: str | None = None, device: str | None = None, dtype: Any = None,
                 batch_size: int = 32, tokenizer: Any = None, n_steps: int | None = None,
                 cfg_alpha: float | None = None, frames_per_char: float | None = None,
                 codec_batch_size: int = 16, default_voice: str | None = None,
                 static_cache: bool = False, compile: bool = False):
        from pipeline.voxtral import loading

        self._loading = loading
        self._dir: Path = loading.resolve_model_dir(model_dir)
        self.model_revision = loading.model_revision(self._dir)
        self.batch_size = int(batch_size)
        self._device, self._dtype = device, dtype
        self._n_steps, self._cfg_alpha, self._frames_per_char = n_steps, cfg_alpha, frames_per_char
        self._codec_batch_size = codec_batch_size
        self._static_cache, self._compile = static_cache, compile  # GPU: fixed-shape decode, CUDA graphs
        self._presets = loading.list_voices(self._dir)
        self._default = default_voice
        self._voice_rows: dict[str, Any] = {}
        self._model = None
        self._generator = None
        if tokenizer is None:  # injectable (tests, or a custom tokenizer): .encode(text, voice) -> ids
            tekken = self._dir / loading.TOKENIZER_FILE
            if not tekken.is_file():
                raise PipelineError(f"{tekken} not found; the voxtral engine needs the model's tokenizer file. "
                                    f"{loading.FETCH_HINT}")
            from pipeline.voxtral.tokenize import TekkenPromptTokenizer

            tokenizer = TekkenPromptTokenizer(tekken)
        self._tokenizer = tokenizer

    # -- voices -----------------------------------------------------------------------------
    @property
    def presets(self) -> list[str]:
        return list(self._presets)

    def default_voice(self) -> Voice:
        for name in (self._default, "neutral_female", "neutral_male"):
            if name and name in self._presets:
                return self.voice(name)
        return self.voice(self._presets[0])

    def voice(self, name: str) -> Voice:
        key = name.strip().lower().replace(" ", "_")
        if key not in self._presets and (key.endswith(_AUDIO_SUFFIXES) or Path(name.strip()).is_file()):
            self.clone_voice(name.strip())
        if key not in self._presets:
            raise PipelineError(f"unknown Voxtral voice {name!r}; presets: {', '.join(self._presets)}")
        data = (self._dir / self._loading.VOICE_DIR / f"{key}.pt").read_bytes()
        return Voice(name=key, engine=self.name, ref=key, hash=hashlib.sha256(data).hexdigest()[:16],
                     languages=_voice_language(key))

    def clone_voice(self, clip: str | Path) -> Voice:
        raise PipelineError(f"{clip}: {NO_CLONING}: {', '.join(self._presets)}")

    # -- synthesis ----------------------------------------------------------------------------
    def _ensure_model(self):
        if self._model is None:
            from pipeline.voxtral.generate import Generator

            self._model, _ = self._loading.load_model(self._dir, self._device, self._dtype)
            self._generator = Generator(self._model, n_steps=self._n_steps,
                                        codec_batch_size=self._codec_batch_size,
                                        static_cache=self._static_cache, compile=self._compile)
        return self._generator

    def _rows(self, voice: Voice):
        if voice.ref not in self._voice_rows:
            self._voice_rows[voice.ref] = self._loading.load_voice(self._dir, voice.ref)
        return self._voice_rows[voice.ref]

    def synthesize(self, texts: list[str], voice: Voice, settings: SynthesisSettings,
                   seeds: list[int]) -> list[np.ndarray]:
        from pipeline.voxtral.generate import FRAME_MARGIN, FRAMES_PER_CHAR, Request, max_frames_for_text
        from pipeline.voxtral.params import DEFAULT_CFG_ALPHA

        if voice.engine != self.name or voice.ref not in self._presets:
            if str(voice.ref).lower().endswith(_AUDIO_SUFFIXES):
                self.clone_voice(voice.ref)
            raise PipelineError(f"voice {voice.name!r} is not a Voxtral preset; presets: {', '.join(self._presets)}")
        if len(seeds) != len(texts):
            raise PipelineError(f"synthesize got {len(texts)} texts but {len(seeds)} seeds")
        if abs(settings.speed - 1.0) > 1e-9:
            raise PipelineError("the voxtral engine has no speaking-rate control; use speed 1.0")
        extra = settings.extra or {}
        try:
            alpha = float(extra.get("cfg_alpha", self._cfg_alpha or DEFAULT_CFG_ALPHA))
            fpc = float(extra.get("frames_per_char", self._frames_per_char or FRAMES_PER_CHAR))
            steps = int(extra["steps"]) if "steps" in extra else None
        except ValueError as exc:
            raise PipelineError(f"bad voxtral setting in {extra}: {exc}") from None
        for t in texts:
            if len(t) > self.max_chunk_chars:
                raise PipelineError(f"chunk of {len(t)} characters exceeds the voxtral limit of "
                                    f"{self.max_chunk_chars}: {t[:40]!r}...")
        gen = self._ensure_model()
        if steps is not None:
            gen.n_steps = steps
        else:
            gen.n_steps = self._n_steps or self._model.params.acoustic.n_decoding_steps
        rows = self._rows(voice)
        reqs = [Request(prompt_ids=self._tokenizer.encode(t, voice.ref), voice=rows,
                        max_frames=max_frames_for_text(t, fpc, FRAME_MARGIN), seed=int(s), cfg_alpha=alpha)
                for t, s in zip(texts, seeds)]
        order = sorted(range(len(reqs)), key=lambda i: len(reqs[i].prompt_ids))  # similar lengths batch well
        out: list[np.ndarray | None] = [None] * len(reqs)
        spf = self._model.params.samples_per_frame
        for s in range(0, len(order), self.batch_size):
            group = order[s: s + self.batch_size]
            for i, res in zip(group, gen.generate([reqs[i] for i in group])):
                audio = res.audio.numpy().astype(np.float32, copy=False)
                if audio.size == 0:  # END_AUDIO as the very first frame: one frame of silence
                    audio = np.zeros(spf, dtype=np.float32)
                out[i] = np.clip(audio, -1.0, 1.0)
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self._model = None
        self._generator = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
