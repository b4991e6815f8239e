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
