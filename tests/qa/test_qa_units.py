"""Word error rate, the skipped-phrase measure, the learned statistics, languages without a model."""

from __future__ import annotations

import math

from pipeline.qa.asr import UNKNOWN, longest_gap, normalise, recogniser_for, wer, word_errors
from pipeline.qa.checks import MIN_HISTORY, PRIOR_RATE, BookStats, Metrics
from pipeline.qa.report import qa_markdown


def test_normalising_both_sides():
    assert normalise("Mister Smith's twenty-one “cats”, sir!") == ["mister", "smith's", "twenty", "one", "cats", "sir"]


def test_wer_and_gaps():
    ref = "the road ran north from the village".split()
    assert wer(ref, ref) == 0 and word_errors(ref, ref[:4]) == 3 and longest_gap(ref, ref[:4]) == 3
    assert longest_gap(ref, "the road ran south from a village".split()) == 0  # substitutions, no gap
    # A word the recogniser cannot know matches what was heard there, or nothing, for free.
    assert word_errors(["the", UNKNOWN, "cat"], "the keeper's cat".split()) == 0
    assert word_errors(["the", UNKNOWN, "cat"], ["the", "cat"]) == 0


def metrics(letters: int, seconds: float, level: float = -24.0) -> Metrics:
    return Metrics(duration_s=seconds, letters=letters, lead_s=None, trail_s=None, longest_pause_s=0.2,
                   clipped=0.0, rms_db=level, end_drop_db=-1.0, voiced=0.85)


def test_stats_start_from_the_prior_and_learn_the_voice():
    assert math.isclose(math.exp(BookStats.from_history([]).log_rate), PRIOR_RATE)
    slow = [metrics(100, 100 / 10.0) for _ in range(MIN_HISTORY * 3)]
    learned = BookStats.from_history(slow)
    assert math.isclose(math.exp(learned.log_rate), 10.0) and learned.rms_db == -24.0
    assert math.isclose(learned.expected_duration(50), 5.0)


def test_no_recogniser_is_said_plainly():
    assert recogniser_for("fr") is None and recogniser_for("en") is not None
    qa = {"checked": 3, "chunks": 3, "retaken": 0, "retakes": 0, "failed": 0,
          "intelligibility": "intelligibility not checked: no recogniser model for fr",
          "wer": {"mean": None}, "files": []}
    assert "no recogniser model for fr" in qa_markdown(qa)


def test_last_take_of_a_long_chunk_is_read_as_two_halves():
    """The re-split retake: two clause-bounded halves, each synthesised, joined with a pause."""
    from pipeline.plan import PlannedChunk
    from pipeline.qa.takes import RESPLIT_MIN_CHARS, resplit_take, split_in_two

    text = ("The ferryman had lost his way in the fog, and he rang the bell again and again, "
            "slowly and steadily, until Martha heard it from the bridge and shouted back to him.")
    assert len(text) >= RESPLIT_MIN_CHARS
    halves = split_in_two(text)
    assert len(halves) >= 2 and " ".join(halves) == text
    assert all(len(h) < len(text) for h in halves)
    chunk = PlannedChunk(id="c", key="k", seed=1, text=text, role="text", paragraph=0, ends_paragraph=True)
    assert resplit_take(chunk, 2) and not resplit_take(chunk, 1) and not resplit_take(chunk, 0)
    short = chunk.model_copy(update={"text": "Too short to split."})
    assert not resplit_take(short, 2)


def test_speech_recognition_leaves_nothing_in_tmpdir(tmp_path, monkeypatch):
    import tempfile

    import numpy as np

    from pipeline.qa.asr import PocketsphinxRecogniser

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    recogniser = PocketsphinxRecogniser()
    rate = 16000
    noise = np.random.default_rng(0).normal(0, 0.05, rate).astype(np.float32)
    reference, _ = recogniser.recognise(noise, rate, "The kettle sang at seven.")
    assert reference == ["the", "kettle", "sang", "at", "seven"]
    assert list(tmp_path.iterdir()) == []
