"""The signal processing of mastering: gain, a look-ahead peak limiter, fades and room tone."""

from __future__ import annotations

import numpy as np
import soxr
from scipy.ndimage import minimum_filter1d, uniform_filter1d

LOOKAHEAD_S = 0.004


def db_to_amp(db: float) -> float:
    return float(10 ** (db / 20))


def gain_for_rms(energy: float, frames: int, target_rms_db: float) -> float:
    """Linear gain that brings a file of `frames` samples holding `energy` to the target RMS."""
    if energy <= 0 or frames <= 0:
        return 1.0
    return db_to_amp(target_rms_db) / float(np.sqrt(energy / frames))


def gain_for_limited_rms(levels: np.ndarray, edges: np.ndarray, frames: int, target_rms_db: float,
                         ceiling: float) -> float:
    """Gain that lands the target RMS *after* the limiter has flattened the peaks.

    A plain RMS gain undershoots by the energy the limiter removes (1-4 dB on speech, whose
    dense pitch peaks keep the limiter busy); `levels` (energy per peak-envelope bin) predicts
    that loss for any gain, so bisection finds the right one up front.
    """
    envelope = 10 ** (((edges[:-1] + edges[1:]) / 2) / 20)
    target = db_to_amp(target_rms_db) ** 2 * frames

    def energy(gain: float) -> float:
        return float(np.sum(levels * np.minimum(gain, ceiling / envelope) ** 2))

    low, high = 1e-3, 1e4
    if energy(high) < target:  # cannot get there without squashing everything: take the most
        return high
    for _ in range(60):  # geometric bisection
        mid = float(np.sqrt(low * high))
        low, high = (mid, high) if energy(mid) < target else (low, mid)
    return float(np.sqrt(low * high))


def limit(audio: np.ndarray, ceiling: float, rate: int) -> np.ndarray:
    """Brick-wall limiter with look-ahead: no sample exceeds `ceiling`, gain moves smoothly.

    The needed gain is spread to a window either side of each peak (moving minimum), then
    smoothed with a moving average half that width: an average of values that are all at most
    the gain a peak needs is still at most that gain, so the ceiling holds exactly.
    """
    peaks = np.abs(audio)
    if peaks.size == 0 or peaks.max() <= ceiling:
        return audio
    window = max(1, int(LOOKAHEAD_S * rate))
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
    held = minimum_filter1d(need, size=2 * window + 1, mode="nearest")
    smooth = uniform_filter1d(held, size=window | 1, mode="nearest")
    return audio * np.minimum(smooth, need)  # the min guards against float rounding at the edge


def fade_edges(audio: np.ndarray, frames: int) -> np.ndarray:
    frames = min(frames, len(audio) // 2)
    if frames > 0:
        ramp = np.linspace(0.0, 1.0, frames, dtype=np.float32)
        audio[:frames] *= ramp
        audio[-frames:] *= ramp[::-1]
    return audio


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_in == rate_out:
        return audio.astype(np.float32, copy=True)
    return soxr.resample(audio, rate_in, rate_out, quality="HQ").astype(np.float32, copy=False)


class RoomTone:
    """Quiet pink-ish noise from a fixed seed: the same file renders to the same bytes every time."""

    def __init__(self, level_db: float, seed: int):
        self.rng = np.random.default_rng(seed)
        self.level = db_to_amp(level_db)

    def take(self, frames: int) -> np.ndarray:
        white = self.rng.standard_normal(frames + 8).astype(np.float32)
        soft = uniform_filter1d(white, size=4)[4:frames + 4]  # tilt off the hiss
        rms = float(np.sqrt(np.mean(soft**2))) if frames else 1.0
        return soft * (self.level / max(rms, 1e-12))
