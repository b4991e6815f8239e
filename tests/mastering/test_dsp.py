import numpy as np
import pytest

from pipeline.mastering.dsp import RoomTone, db_to_amp, fade_edges, gain_for_rms, limit, resample

RATE = 44100


def test_limiter_holds_the_ceiling_and_leaves_quiet_audio_alone():
    t = np.arange(RATE) / RATE
    loud = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    loud[::4410] = 0.95  # ten sharp peaks well over the ceiling
    ceiling = db_to_amp(-4.5)
    limited = limit(loud, ceiling, RATE)
    assert np.abs(limited).max() <= ceiling * (1 + 1e-6)
    # Only the neighbourhood of each peak moves: most of the signal keeps its level exactly.
    assert np.mean(limited == loud) > 0.85  # ~12 ms around each of 10 peaks
    quiet = loud * 0.1
    assert np.array_equal(limit(quiet, ceiling, RATE), quiet)


def test_gain_brings_a_signal_to_the_target_rms():
    signal = np.full(RATE, 0.01, dtype=np.float32)
    gain = gain_for_rms(float(np.dot(signal, signal)), len(signal), -20.0)
    assert 20 * np.log10(np.sqrt(np.mean((signal * gain) ** 2))) == pytest.approx(-20.0, abs=1e-3)


def test_room_tone_level_and_reproducibility():
    a, b = RoomTone(-80, seed=3).take(RATE), RoomTone(-80, seed=3).take(RATE)
    assert np.array_equal(a, b)
    assert 20 * np.log10(np.sqrt(np.mean(a**2))) == pytest.approx(-80, abs=0.5)


def test_fades_and_resampling_keep_length_sensible():
    x = np.ones(1000, dtype=np.float32)
    faded = fade_edges(x.copy(), 100)
    assert faded[0] == 0 and faded[-1] == 0 and faded[500] == 1
    assert len(resample(np.zeros(22050, dtype=np.float32), 22050, 44100)) == 44100
