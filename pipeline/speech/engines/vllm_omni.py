"""Self-hosted Voxtral TTS served by vLLM-Omni (`vllm serve mistralai/Voxtral-4B-TTS-2603 --omni`).

Contract (vLLM-Omni docs, "Speech API", docs.vllm.ai/projects/vllm-omni/.../serving/speech_api/):
OpenAI-compatible `POST /v1/audio/speech` with JSON `model`, `input`, `voice` (for Voxtral one of
its preset voices: the open checkpoint cannot clone), `response_format`; the body of the answer is
the audio itself. Voxtral's output is 24 kHz. We ask for `wav` (self-describing); `pcm` is read as
headerless 16-bit little-endian mono at 24 kHz.

Many requests are kept in flight (`concurrency`, $VLLM_OMNI_CONCURRENCY, default 32) so that the
server's continuous batching keeps the GPU busy. Base URL: $VLLM_OMNI_BASE_URL (default
http://localhost:8000). Connection errors are retried with backoff, then reported with the URL.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from pipeline.errors import PipelineError
from pipeline.speech.engine import VOXTRAL_LANGUAGES, SynthesisSettings, Voice
from pipeline.speech.engines.http_common import HttpSpeechClient, check_request, decode_audio

DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_MODEL = "mistralai/Voxtral-4B-TTS-2603"
DEFAULT_VOICE = "neutral_female"
LANGUAGES = VOXTRAL_LANGUAGES


class VllmOmniEngine:
    name = "vllm-omni"
    sample_rate = 24000
    languages = LANGUAGES
    max_chunk_chars = 400
    overlapping_calls = False  # one call already keeps `concurrency` requests in flight
    deterministic = False

    def __init__(self, base_url: str | None = None, model: str | None = None, concurrency: int | None = None,
                 max_retries: int = 4, backoff_s: float = 0.5, timeout_s: float = 300.0,
                 response_format: str = "wav", api_key: str | None = None, default_voice: str | None = None):
        self.base_url = (base_url or os.environ.get("VLLM_OMNI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = model or os.environ.get("VLLM_OMNI_MODEL") or DEFAULT_MODEL
        self.model_revision = f"vllm-omni:{self.model}"
        self.concurrency = int(concurrency or os.environ.get("VLLM_OMNI_CONCURRENCY", "32"))
        self.batch_size = self.concurrency * 2
        if response_format not in ("wav", "pcm"):
            raise PipelineError(f"vllm-omni response_format must be wav or pcm, not {response_format!r}")
        self._format = response_format
        self._default = default_voice or DEFAULT_VOICE
        key = api_key or os.environ.get("VLLM_OMNI_API_KEY", "").strip()  # `vllm serve --api-key`, optional
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = HttpSpeechClient(self.base_url, "the vLLM-Omni server", headers=headers,
                                      concurrency=self.concurrency, max_retries=max_retries, backoff_s=backoff_s,
                                      timeout_s=timeout_s, secret=key or None,
                                      auth_hint="the server wants an API key: set VLLM_OMNI_API_KEY")

    def default_voice(self) -> Voice:
        return self.voice(self._default)

    def voice(self, name: str) -> Voice:
        key = name.strip().lower().replace(" ", "_")
        if not key:
            raise PipelineError("empty vLLM-Omni voice name")
        digest = hashlib.sha256(f"vllm-omni:{self.model}:{key}".encode()).hexdigest()[:16]
        prefix = key.split("_", 1)[0]
        return Voice(name=key, engine=self.name, ref=key, hash=digest,
                     languages=(prefix,) if prefix in LANGUAGES else ("en",))

    def synthesize(self, texts: list[str], voice: Voice, settings: SynthesisSettings,
                   seeds: list[int]) -> list[np.ndarray]:
        check_request(self.name, voice, settings)
        return self._http.map(lambda text: self._one(text, voice.ref), texts)

    def _one(self, text: str, voice: str) -> np.ndarray:
        body = {"model": self.model, "input": text, "voice": voice, "response_format": self._format}
        response = self._http.request("POST", "/v1/audio/speech", json=body)
        return decode_audio(response.content, self._format, self.sample_rate)

    def close(self) -> None:
        self._http.close()
