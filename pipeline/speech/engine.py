"""The engine interface: a batch of chunk texts plus a pinned voice in, one mono clip per text out.

Designed for batched GPU engines (N texts in, N clips out, in one call) as much as for
one-at-a-time CPU engines. Engines are created by name through `pipeline.speech.engines`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


# Voxtral TTS's languages, however it is reached: in-process, served by vLLM-Omni, or Mistral's API.
VOXTRAL_LANGUAGES = frozenset({"en", "fr", "es", "de", "it", "pt", "nl", "ar", "hi"})


@dataclass(frozen=True)
class Voice:
    """A pinned narrator voice as an engine sees it.

    `ref` is the engine-specific reference (embedded model name, Voxtral preset name, remote voice
    id...). `hash` identifies the voice exactly; it is part of every chunk's cache key so that two
    voices can never mix in one book.
    """

    name: str
    engine: str
    ref: str
    hash: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SynthesisSettings:
    """Everything besides text and voice that changes the audio. Part of the cache key."""

    seed: int = 0  # base seed; stochastic engines derive a per-chunk seed from it
    speed: float = 1.0  # speaking-rate multiplier (1.0 = the engine's natural pace)
    extra: dict[str, str] = field(default_factory=dict)  # engine-specific knobs, as strings

    def key(self) -> str:
        extras = ",".join(f"{k}={v}" for k, v in sorted(self.extra.items()))
        return f"seed={self.seed};speed={self.speed:g};{extras}"


@runtime_checkable
class Engine(Protocol):
    name: str
    sample_rate: int  # native output rate, Hz
    languages: frozenset[str]  # primary language subtags it speaks ("en", "fr", ...)
    max_chunk_chars: int  # chunk-size limit the chunker must respect
    batch_size: int  # how many texts one `synthesize` call should get for best throughput
    overlapping_calls: bool  # `synthesize` may be called from a second thread while a call runs
    deterministic: bool  # same input -> same samples
    model_revision: str  # changes when the model changes; part of the cache key

    def default_voice(self) -> Voice: ...

    def voice(self, name: str) -> Voice:
        """The engine's voice of that name; raises PipelineError naming the known voices."""
        ...

    def synthesize(self, texts: list[str], voice: Voice, settings: SynthesisSettings,
                   seeds: list[int]) -> list[np.ndarray]:
        """One mono float32 clip in [-1, 1] at `sample_rate` per text, in order.

        `seeds[i]` is the seed for text i (stochastic engines must use it, so that a
        (chunk, seed) pair is reproducible); deterministic engines may ignore it.
        """
        ...

    def close(self) -> None: ...
