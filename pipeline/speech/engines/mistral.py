"""Mistral's hosted Voxtral TTS, over HTTPS. Needs $MISTRAL_API_KEY; nothing runs locally.

The contract followed (Mistral's Python SDK reference, `mistralai/client-python`, docs/sdks/speech,
docs/sdks/voices, docs/models/speechresponse.md, voiceresponse.md, speechoutputformat.md):

- `POST /v1/audio/speech` (operation `speech_v1_audio_speech_post`), JSON body: `input` (text,
  required), `model`, `voice_id` ("the preset or custom voice to use"), `ref_audio`,
  `response_format` (pcm | wav | mp3 | flac | opus), `stream` (false here). Non-streaming
  response: JSON `SpeechResponse` {"audio_data": base64 audio}. A response that is itself audio
  (Content-Type audio/*) is accepted too.
- `POST /v1/audio/voices` (`create_voice_v1_audio_voices_post`), JSON body: `name`, `sample_audio`
  (base64 audio file, required), `sample_filename`, `languages`, optional `slug`, `gender`, `age`,
  `tags`, `description`, `retention_notice`. Response `VoiceResponse` with `id` (required): the
  voice id used as `voice_id` afterwards. `DELETE /v1/audio/voices/{voice_id}` removes it.
- Auth: `Authorization: Bearer $MISTRAL_API_KEY`. Errors: 422 validation, other 4XX/5XX.
- Default model `voxtral-mini-tts-2603` (the id third-party SDKs use; Voxtral 3 is
  `voxtral-mini-tts-3-0`): set $MISTRAL_TTS_MODEL. Output is 24 kHz.

Requests run concurrently (up to `concurrency`, $MISTRAL_CONCURRENCY), retried with exponential
backoff on 429/5xx (Retry-After honoured) and on connection errors; 401/403 fail at once.
The service takes no seed: audio is not reproducible between requests (the chunk cache keeps what
was made, so resumes never re-request finished chunks).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError
from pipeline.speech.engine import VOXTRAL_LANGUAGES, SynthesisSettings, Voice
from pipeline.speech.engines.http_common import HttpSpeechClient, check_request, decode_audio

DEFAULT_BASE_URL = "https://api.mistral.ai"
DEFAULT_MODEL = "voxtral-mini-tts-2603"
DEFAULT_VOICE = "en_paul_neutral"
LANGUAGES = VOXTRAL_LANGUAGES


class MistralEngine:
    name = "mistral"
    sample_rate = 24000
    languages = LANGUAGES
    max_chunk_chars = 400
    overlapping_calls = False  # one call already keeps `concurrency` requests in flight
    deterministic = False

    def __init__(self, api_key: str | None = None, base_url: str | None = None, model: str | None = None,
                 concurrency: int | None = None, max_retries: int = 6, backoff_s: float = 1.0,
                 timeout_s: float = 120.0, response_format: str = "wav", default_voice: str | None = None):
        key = api_key or os.environ.get("MISTRAL_API_KEY", "").strip()
        if not key:
            raise PipelineError("the mistral engine needs an API key: set MISTRAL_API_KEY "
                                "(enrolling and listing voices locally needs none)")
        self.base_url = (base_url or os.environ.get("MISTRAL_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = model or os.environ.get("MISTRAL_TTS_MODEL") or DEFAULT_MODEL
        self.model_revision = f"mistral-api:{self.model}"
        self.concurrency = int(concurrency or os.environ.get("MISTRAL_CONCURRENCY", "8"))
        self.batch_size = self.concurrency * 2  # keep every slot busy within one synthesize call
        if response_format not in ("wav", "pcm"):
            raise PipelineError(f"mistral response_format must be wav or pcm, not {response_format!r}")
        self._format = response_format
        self._default = default_voice or DEFAULT_VOICE
        self._http = HttpSpeechClient(self.base_url, "the Mistral API",
                                      headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
                                      concurrency=self.concurrency, max_retries=max_retries, backoff_s=backoff_s,
                                      timeout_s=timeout_s, secret=key,
                                      auth_hint="check MISTRAL_API_KEY (is it valid, and allowed to use audio?)")

    # -- voices ----------------------------------------------------------------------------------------
    def default_voice(self) -> Voice:
        return self.voice(self._default)

    def voice(self, name: str) -> Voice:
        """A preset (e.g. en_paul_neutral) or custom voice id, as the API knows it. Registry voices
        are resolved by the pipeline and come here as their stored voice id."""
        ref = name.strip()
        if not ref:
            raise PipelineError("empty Mistral voice id")
        digest = hashlib.sha256(f"mistral:{ref}".encode()).hexdigest()[:16]
        return Voice(name=ref, engine=self.name, ref=ref, hash=digest, languages=())

    def register_voice(self, name: str, clip: Path, languages: list[str], transcript: str | None = None) -> str:
        """Upload a reference clip once; returns the new voice id."""
        body = {"name": name, "sample_audio": base64.b64encode(Path(clip).read_bytes()).decode(),
                "sample_filename": Path(clip).name, "languages": list(languages)}
        response = self._http.request("POST", "/v1/audio/voices", json=body)
        try:
            voice_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            raise PipelineError("the Mistral API accepted the voice but returned no voice id") from None
        return str(voice_id)

    def delete_voice(self, voice_id: str) -> None:
        self._http.request("DELETE", f"/v1/audio/voices/{voice_id}")

    # -- synthesis -------------------------------------------------------------------------------------
    def synthesize(self, texts: list[str], voice: Voice, settings: SynthesisSettings,
                   seeds: list[int]) -> list[np.ndarray]:
        check_request(self.name, voice, settings)
        return self._http.map(lambda text: self._one(text, voice.ref), texts)

    def _one(self, text: str, voice_id: str) -> np.ndarray:
        body = {"model": self.model, "input": text, "voice_id": voice_id, "response_format": self._format,
                "stream": False}
        response = self._http.request("POST", "/v1/audio/speech", json=body)
        if response.headers.get("content-type", "").startswith("audio/"):
            data = response.content
        else:
            try:
                data = base64.b64decode(response.json()["audio_data"])
            except (ValueError, KeyError, TypeError):
                raise PipelineError("the Mistral API answered without audio_data") from None
        return decode_audio(data, self._format, self.sample_rate)

    def close(self) -> None:
        self._http.close()
