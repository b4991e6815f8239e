"""Speaker embeddings with Resemblyzer's GE2E encoder (256-d, unit length).

The encoder's weights (`pretrained.pt`, 17 MB) ship inside the `resemblyzer` wheel: nothing is
downloaded. It runs on the CPU; loading costs a few seconds once per process (torch + librosa
imports), embedding ~1.5 s per 8 s of audio on two busy cores, so long audio is sampled (see
`sample_speech`).
"""

from __future__ import annotations

import threading

import numpy as np

from pipeline.errors import PipelineError

RATE = 16000
_ENCODER = None
_LOCK = threading.Lock()


def available() -> str | None:
    """None when the encoder can be used, else the reason it cannot."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # webrtcvad's pkg_resources deprecation notice
            import resemblyzer  # noqa: F401
    except Exception as exc:  # ImportError, or a broken dependency (pkg_resources for webrtcvad)
        return f"resemblyzer is not usable ({type(exc).__name__}: {exc})"
    return None


def _encoder():
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            reason = available()
            if reason:
                raise PipelineError(f"cannot compute speaker embeddings: {reason}")
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # webrtcvad's pkg_resources deprecation notice
                from resemblyzer import VoiceEncoder
            _ENCODER = VoiceEncoder("cpu", verbose=False)
        return _ENCODER


def embed(audio_16k: np.ndarray) -> np.ndarray:
    """One unit-length float32 embedding for mono 16 kHz audio (at least ~1.6 s of speech)."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    if audio.size < RATE // 2:
        raise PipelineError("too little audio for a speaker embedding (under 0.5 s)")
    rms = float(np.sqrt(np.mean(audio**2)))
    if rms > 0:  # Resemblyzer's preprocessing aims at -30 dBFS
        audio = audio * (10 ** (-30 / 20) / rms)
    vec = _encoder().embed_utterance(audio)
    return (vec / max(float(np.linalg.norm(vec)), 1e-9)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def sample_speech(audio_16k: np.ndarray, windows: int = 4, window_s: float = 3.0) -> np.ndarray:
    """Up to `windows` windows of `window_s` seconds, spread evenly over the audio and each placed
    on its loudest stretch, joined: a chapter's voice at a fixed cost, whatever its length."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    win = int(window_s * RATE)
    if audio.size <= win * windows:
        return audio
    hop = RATE // 10
    n = audio.size // hop
    energy = np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1)
    per = win // hop
    pieces = []
    bounds = np.linspace(0, n, windows + 1).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi - lo <= per:
            start = lo
        else:
            sums = np.convolve(energy[lo:hi], np.ones(per), mode="valid")
            start = lo + int(np.argmax(sums))
        pieces.append(audio[start * hop: start * hop + win])
    return np.concatenate(pieces)
