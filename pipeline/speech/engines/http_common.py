"""What the HTTP speech engines (`mistral`, `vllm-omni`) share: an httpx client with bounded
concurrency, retries with exponential backoff (honouring Retry-After) on 429 and 5xx and on
connection errors, one-line errors for everything else, and decoding of returned audio.

Secrets: the API key lives only in the request headers of the in-memory client. It is never part
of an error message, a log line or a file (error bodies are scrubbed of it, just in case).
"""

from __future__ import annotations

import email.utils
import io
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from pipeline.errors import PipelineError
from pipeline.speech.engine import SynthesisSettings, Voice

T = TypeVar("T")
R = TypeVar("R")
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 120.0


class AuthError(PipelineError):
    """The service refused the credentials (401/403): retrying cannot help."""


class HttpSpeechClient:
    def __init__(self, base_url: str, service: str, headers: dict[str, str] | None = None,
                 concurrency: int = 8, max_retries: int = 5, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 timeout_s: float = 120.0, secret: str | None = None, auth_hint: str = ""):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.service = service
        self.concurrency = max(1, int(concurrency))
        self.max_retries = max(0, int(max_retries))
        self.backoff_s, self.max_backoff_s = float(backoff_s), float(max_backoff_s)
        self._secret = secret
        self._auth_hint = auth_hint
        self._httpx = httpx
        self._client = httpx.Client(base_url=self.base_url, headers=headers or {},
                                    timeout=httpx.Timeout(timeout_s, connect=10.0),
                                    limits=httpx.Limits(max_connections=self.concurrency,
                                                        max_keepalive_connections=self.concurrency))
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix=f"{service}-http")
        self._closed = threading.Event()

    # -- one request ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs) -> "httpx.Response":  # noqa: F821
        httpx = self._httpx
        attempt = 0
        while True:
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:  # refused, reset, DNS, timeouts
                if attempt >= self.max_retries or self._closed.is_set():
                    raise PipelineError(f"cannot reach {self.service} at {self.base_url} "
                                        f"({type(exc).__name__} after {attempt + 1} attempts): is it running?") from None
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            status = response.status_code
            if status < 400:
                return response
            if status in (401, 403):
                raise AuthError(f"{self.service} refused the request with HTTP {status} "
                                f"({'unauthorized' if status == 401 else 'forbidden'}): {self._auth_hint}".rstrip(": "))
            if status in RETRY_STATUS and attempt < self.max_retries and not self._closed.is_set():
                self._sleep(self._retry_after(response) or self._backoff(attempt))
                attempt += 1
                continue
            raise PipelineError(f"{self.service} answered HTTP {status} to {method} {path}"
                                f"{' after ' + str(attempt + 1) + ' attempts' if attempt else ''}: {self._detail(response)}")

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items with up to `concurrency` in flight; results in order. The first error
        cancels what has not started and is raised."""
        futures = [self._pool.submit(fn, item) for item in items]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def close(self) -> None:
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    # -- helpers -------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        return base * (0.5 + random.random() / 2)  # jitter: many threads must not retry in lockstep

    @staticmethod
    def _retry_after(response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value else None
            if when is None:
                return None
            seconds = when.timestamp() - time.time()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)

    def _sleep(self, seconds: float) -> None:
        self._closed.wait(seconds)

    def _detail(self, response) -> str:
        try:
            body = response.json()
            text = body.get("message") or body.get("detail") or body.get("error") or body
            if isinstance(text, dict):
                text = text.get("message") or text
            text = str(text)
        except ValueError:
            text = response.text
        text = " ".join(text.split())[:300] or response.reason_phrase
        return text.replace(self._secret, "***") if self._secret else text


def decode_audio(data: bytes, fmt: str, rate: int, pcm_rate: int | None = None) -> np.ndarray:
    """Mono float32 at `rate` from returned audio: `wav` (any rate/width; resampled if needed) or
    `pcm` (headerless 16-bit little-endian mono at `pcm_rate`, default `rate`)."""
    if fmt == "pcm":
        audio = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.float32) / 32768.0
        source = pcm_rate or rate
    else:
        import soundfile as sf

        try:
            audio, source = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        except Exception as exc:
            raise PipelineError(f"the speech service returned unreadable {fmt} audio ({len(data)} bytes): {exc}") from None
        audio = audio.mean(axis=1)
    if source != rate:
        import soxr

        audio = soxr.resample(audio, source, rate, quality="HQ")
    return np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False)


def check_request(engine: str, voice: Voice, settings: SynthesisSettings) -> None:
    """What both HTTP engines refuse before sending anything: another engine's voice, and a speaking
    rate other than 1.0 (neither service has rate control)."""
    if voice.engine != engine:
        raise PipelineError(f"voice {voice.name!r} belongs to the {voice.engine} engine, not {engine}")
    if abs(settings.speed - 1.0) > 1e-9:
        raise PipelineError(f"the {engine} engine has no speaking-rate control; use speed 1.0")
