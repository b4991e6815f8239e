"""Speaker embeddings with Resemblyzer's GE2E encoder (256-d, unit length).

The encoder's weights (`pretrained.pt`, 17 MB) ship inside the `resemblyzer` wheel: nothing is
downloaded. Importing resemblyzer costs ~3.5 s of CPU (torch and librosa), more than embedding a
whole book's files, so its network is exported once per machine to ONNX (with the mel filterbank
folded in, see `pipeline.model_cache`) and run by onnxruntime; the spectrogram is a plain numpy STFT
matching librosa's. The result equals resemblyzer's `embed_utterance` to float rounding (tested).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError

RATE = 16000
N_FFT, HOP, PARTIAL_FRAMES = 400, 160, 160  # resemblyzer's hparams: 25 ms windows, 10 ms hops, 1.6 s
_ENCODER = None
_LOCK = threading.Lock()


def available() -> str | None:
    """None when the encoder can be used, else the reason it cannot."""
    for module in ("resemblyzer", "torch", "librosa"):
        if importlib.util.find_spec(module) is None:
            return f"resemblyzer is not usable ({module} is not installed)"
    return None


def _weights() -> Path:
    return Path(importlib.util.find_spec("resemblyzer").origin).parent / "pretrained.pt"


def _export(path: Path) -> None:
    """Resemblyzer's network, fed power spectrogram frames, as an ONNX file (torch's exporter)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # webrtcvad's pkg_resources notice; exporter notices
        import librosa
        import torch
        from resemblyzer import VoiceEncoder

        encoder = VoiceEncoder("cpu", verbose=False, weights_fpath=_weights())
        filterbank = librosa.filters.mel(sr=RATE, n_fft=N_FFT, n_mels=40).astype(np.float32)

        class OnPower(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = encoder
                self.register_buffer("mel", torch.from_numpy(filterbank.T.copy()))

            def forward(self, power):  # [partials, frames, N_FFT // 2 + 1] -> [partials, 256]
                return self.encoder(power @ self.mel)

        torch.onnx.export(OnPower().eval(), (torch.rand(2, PARTIAL_FRAMES, N_FFT // 2 + 1),), str(path),
                          dynamo=False, input_names=["power"], output_names=["embeds"],
                          dynamic_axes={"power": {0: "partials"}, "embeds": {0: "partials"}}, opset_version=17)


def _encoder():
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            reason = available()
            if reason:
                raise PipelineError(f"cannot compute speaker embeddings: {reason}")
            import onnxruntime as ort

            from pipeline.model_cache import prepared

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # runs beside other work; a few partials per file
            options.log_severity_level = 3
            revision = hashlib.sha256(_weights().read_bytes()).hexdigest()[:12]
            try:
                _ENCODER = prepared(f"resemblyzer-{revision}-ort{ort.__version__}.onnx", _export,
                                    lambda path: ort.InferenceSession(path, options,
                                                                      providers=["CPUExecutionProvider"]))
            except Exception as exc:  # a broken resemblyzer/torch install (e.g. webrtcvad's pkg_resources)
                raise PipelineError(f"cannot compute speaker embeddings: resemblyzer is not usable "
                                    f"({type(exc).__name__}: {exc})") from exc
        return _ENCODER


def power_frames(audio: np.ndarray) -> np.ndarray:
    """|STFT|^2 as librosa computes it for resemblyzer: centred, zero-padded, periodic Hann
    window; [frames, N_FFT // 2 + 1]."""
    padded = np.pad(np.asarray(audio, dtype=np.float32), N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    return (np.abs(np.fft.rfft(frames * window, axis=1)) ** 2).astype(np.float32)


def partial_starts(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[int]:
    """First frames of the 1.6 s partial utterances resemblyzer averages (its
    `compute_partial_slices` with its defaults)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((RATE / rate) / HOP))
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


def embed(audio_16k: np.ndarray) -> np.ndarray:
    """One unit-length float32 embedding for mono 16 kHz audio (at least ~1.6 s of speech)."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    if audio.size < RATE // 2:
        raise PipelineError("too little audio for a speaker embedding (under 0.5 s)")
    rms = float(np.sqrt(np.mean(audio**2)))
    if rms > 0:  # Resemblyzer's preprocessing aims at -30 dBFS
        audio = audio * (10 ** (-30 / 20) / rms)
    starts = partial_starts(audio.size)
    needed = (starts[-1] + PARTIAL_FRAMES) * HOP
    audio = np.pad(audio, (0, max(0, needed - audio.size)))
    power = power_frames(audio)
    partials = np.stack([power[s:s + PARTIAL_FRAMES] for s in starts])
    vec = _encoder().run(None, {"power": partials})[0].mean(axis=0)
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
