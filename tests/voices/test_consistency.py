"""The voice-consistency check: the same voice scores high, a clearly different one is flagged."""

from __future__ import annotations

import soundfile as sf

from pipeline.voices import embedding
from pipeline.voices.clip import resample
from pipeline.voices.consistency import THRESHOLD, check_files


def _files(speech, folder):
    rate, a, b = speech
    same = folder / "same.wav"
    sf.write(same, b, rate)
    shifted = folder / "shifted.wav"  # the embedded voice played 25% fast: higher, another speaker
    sf.write(shifted, resample(b, int(rate * 1.25), rate), rate)
    first = folder / "first.wav"
    sf.write(first, a, rate)
    return first, same, shifted


def test_against_the_enrolled_reference(speech, tmp_path):
    rate, a, _ = speech
    reference = embedding.embed(resample(a, rate, 16000))
    _, same, shifted = _files(speech, tmp_path)
    rows = check_files([same, shifted], reference)
    by = {r["file"]: r for r in rows}
    assert by["same.wav"]["similarity"] > max(THRESHOLD, 0.85) and not by["same.wav"]["flagged"]
    assert by["shifted.wav"]["similarity"] < THRESHOLD and by["shifted.wav"]["flagged"]


def test_against_the_book_centroid(speech, tmp_path):
    first, same, shifted = _files(speech, tmp_path)
    rows = check_files([first, same, shifted], None, names=["01.mp3", "02.mp3", "03.mp3"])
    assert [r["file"] for r in rows] == ["01.mp3", "02.mp3", "03.mp3"]
    assert rows[2]["flagged"] and rows[2]["similarity"] == min(r["similarity"] for r in rows)


def test_long_files_are_sampled_in_spread_windows(tmp_path):
    """A long file is not decoded whole: WINDOWS spans spread from its start to its end."""
    import numpy as np

    from pipeline.voices.consistency import WINDOW_S, WINDOWS, sampled_audio

    rate, seg = 16000, 20.0  # four 20 s segments, each at its own level
    levels = [0.05, 0.1, 0.2, 0.4]
    t = np.arange(int(seg * rate)) / rate
    audio = np.concatenate([lv * np.sin(2 * np.pi * 220 * t) for lv in levels]).astype(np.float32)
    path = tmp_path / "long.wav"
    sf.write(path, audio, rate)
    sampled = sampled_audio(path)
    span = int(2 * WINDOW_S * rate)
    assert len(sampled) == WINDOWS * span
    peaks = [float(np.abs(sampled[i * span:(i + 1) * span]).max()) for i in range(WINDOWS)]
    assert np.allclose(peaks, levels, rtol=0.05)  # one window from each quarter, in order


def test_onnx_encoder_matches_resemblyzer(speech, tmp_path, monkeypatch):
    """The exported encoder and the numpy spectrogram give resemblyzer's own embedding, for audio
    of one partial, a few partials, and a length that needs padding; the export is kept and reused."""
    import warnings

    import numpy as np

    monkeypatch.setenv("AUDIOBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(embedding, "_ENCODER", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder
    reference = VoiceEncoder("cpu", verbose=False)
    rate, a, _ = speech
    audio = resample(a, rate, 16000)
    for n in (9000, 16000 * 2 + 37, len(audio)):
        clip = audio[:n] * (10 ** (-30 / 20) / np.sqrt(np.mean(audio[:n] ** 2)))
        expected = reference.embed_utterance(clip.astype(np.float32))
        assert np.abs(embedding.embed(audio[:n]) - expected).max() < 1e-5
    [stored] = list((tmp_path / "cache").glob("resemblyzer-*.onnx"))
    monkeypatch.setattr(embedding, "_ENCODER", None)
    before = stored.stat().st_mtime_ns
    embedding.embed(audio)
    assert stored.stat().st_mtime_ns == before
