"""Mastering synthetic 'speech' of known, badly wrong levels lands every file inside ACX limits."""

from pathlib import Path

import numpy as np
import pytest

from pipeline.mastering.layout import layout_track
from pipeline.mastering.measure import judge, measure_file
from pipeline.mastering.render import render_part
from pipeline.mastering.spec import MasteringSettings
from pipeline.plan import PlannedChunk, Track
from pipeline.speech.cache import ChunkCache

RATE = 22050


def syllables(seconds: float, level_db: float, seed: int) -> np.ndarray:
    """Speech-like bursts: 4 Hz syllables of harmonic tone with a noisy edge, at a given peak level."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    voiced = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / k for k, f in enumerate((140, 280, 420, 560), 1))
    audio = envelope * (voiced + 0.1 * rng.standard_normal(t.size))
    return (audio / np.abs(audio).max() * 10 ** (level_db / 20)).astype(np.float32)


def make_track(cache: ChunkCache, levels: list[float]) -> Track:
    chunks = []
    for i, level in enumerate(levels):
        key = f"k{i}-{level}"
        cache.put(key, syllables(2.0, level, i), RATE)
        chunks.append(PlannedChunk(id=f"c{i}", key=key, seed=i, text=f"chunk {i}", role="text",
                                   paragraph=i // 2, ends_paragraph=i % 2 == 1))
    return Track(index=0, title="Test", kind="chapter", chunks=chunks)


@pytest.mark.parametrize("levels", [[-40, -38, -42, -41], [-1, -0.5, -2, -1], [-30, -3, -25, -6]],
                         ids=["too-quiet", "too-loud", "uneven"])
def test_mastered_file_passes_acx(tmp_path, levels):
    cache = ChunkCache(tmp_path / "cache")
    track = make_track(cache, levels)
    settings = MasteringSettings()
    [part] = layout_track(track, cache.entries, settings)
    rendered = render_part(part, cache, settings, tmp_path / "render")
    measured = measure_file(Path(rendered.mp3))
    verdict = judge(measured)
    assert verdict.passed, verdict.problems
    assert -23 <= measured.rms_db <= -18
    assert measured.true_peak_db <= -3
    assert measured.noise_floor_db <= -60
    assert 0.5 <= measured.head_s <= 1.0 and 1.0 <= measured.tail_s <= 5.0
    # Chunk timings are laid out in order, inside the file, with the planned pauses between them.
    starts = [t.start for t in rendered.timings]
    assert starts == sorted(starts) and rendered.timings[-1].end < rendered.duration
    assert rendered.timings[1].start - rendered.timings[0].end == pytest.approx(settings.sentence_pause_s, abs=0.01)
    assert rendered.timings[2].start - rendered.timings[1].end == pytest.approx(settings.paragraph_pause_s, abs=0.01)


def test_long_track_splits_at_paragraphs_under_the_limit(tmp_path):
    cache = ChunkCache(tmp_path / "cache")
    track = make_track(cache, [-10] * 8)
    settings = MasteringSettings(split_minutes=0.1)  # 6 s per file, so 2-s chunks split every few
    parts = layout_track(track, cache.entries, settings)
    assert len(parts) > 1
    for part in parts[1:]:
        assert part.pieces[0].chunk.paragraph != parts[parts.index(part) - 1].pieces[-1].chunk.paragraph
    assert sum(len(p.pieces) for p in parts) == 8


def test_judge_names_each_problem():
    from pipeline.mastering.measure import Measurement

    bad = Measurement(file="x.mp3", duration_s=8000, rms_db=-30, true_peak_db=-1, noise_floor_db=-50, lufs=-30,
                      head_s=0.1, tail_s=9, sample_rate=22050, channels=2)
    problems = " ".join(judge(bad).problems)
    for word in ("RMS", "true peak", "noise floor", "head", "tail", "120 minutes", "channels", "Hz"):
        assert word in problems
