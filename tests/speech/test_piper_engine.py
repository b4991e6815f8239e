import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.speech.engine import Engine, SynthesisSettings
from pipeline.speech.engines import get_engine

TEXT = "The lighthouse keeper wound the clock at dusk, and the cat watched him."


def test_real_synthesis_is_speech_length_audio(piper_engine):
    assert isinstance(piper_engine, Engine)
    voice = piper_engine.default_voice()
    [clip] = piper_engine.synthesize([TEXT], voice, SynthesisSettings(), [1])
    assert clip.dtype == np.float32
    seconds = len(clip) / piper_engine.sample_rate
    assert 2.5 < seconds < 8.0  # ~13 words at a narrator's pace
    assert 0.01 < float(np.sqrt(np.mean(clip**2))) < 0.5
    assert np.abs(clip).max() <= 1.0


def test_same_seed_same_audio_other_seed_other_audio(piper_engine):
    voice, settings = piper_engine.default_voice(), SynthesisSettings()
    a, b = piper_engine.synthesize([TEXT, TEXT], voice, settings, [7, 7])
    [c] = piper_engine.synthesize([TEXT], voice, settings, [8])
    assert np.array_equal(a, b)
    assert not (len(a) == len(c) and np.array_equal(a, c))


def test_speed_setting_changes_pace(piper_engine):
    voice = piper_engine.default_voice()
    [normal] = piper_engine.synthesize([TEXT], voice, SynthesisSettings(), [1])
    [fast] = piper_engine.synthesize([TEXT], voice, SynthesisSettings(speed=1.5), [1])
    assert len(fast) < 0.8 * len(normal)


def test_engine_declares_its_limits(piper_engine):
    assert piper_engine.languages == {"en"}
    assert piper_engine.sample_rate == 22050
    assert piper_engine.max_chunk_chars > 100
    assert piper_engine.deterministic


def test_unknown_voice_and_engine_are_clear_errors(piper_engine):
    with pytest.raises(PipelineError, match="one voice"):
        piper_engine.voice("somebody-else")
    with pytest.raises(PipelineError, match="unknown engine 'nope'"):
        get_engine("nope")


TEXTS = ["First sentence here. A second one follows it! And a third, to keep the workers busy?",
         "Short.",
         "The cat sat by the lamp; the keeper read aloud. Outside, the sea went on and on."]


def test_batch_audio_does_not_depend_on_workers_or_batching(piper_engine):
    """Sentences of a batch run concurrently on several workers; each text's audio must be what
    a single worker makes of it alone (resume and retakes rely on it)."""
    assert piper_engine.workers >= 2 or pytest.skip("one core: nothing runs concurrently")
    voice, settings = piper_engine.default_voice(), SynthesisSettings()
    together = piper_engine.synthesize(TEXTS, voice, settings, [3, 4, 5])
    single = get_engine("piper", threads=1)
    try:
        alone = [single.synthesize([text], voice, settings, [seed])[0] for text, seed in zip(TEXTS, [3, 4, 5])]
    finally:
        single.close()
    for a, b in zip(together, alone):
        assert np.array_equal(a, b)


def test_prepared_model_is_cached_and_rebuilt_when_damaged(tmp_path, monkeypatch, piper_engine):
    monkeypatch.setenv("AUDIOBOOK_CACHE_DIR", str(tmp_path / "cache"))
    voice, settings = piper_engine.default_voice(), SynthesisSettings()
    [reference] = piper_engine.synthesize([TEXT], voice, settings, [9])

    def fresh_clip():
        engine = get_engine("piper", threads=1)
        try:
            return engine.synthesize([TEXT], voice, settings, [9])[0]
        finally:
            engine.close()

    assert np.array_equal(fresh_clip(), reference)  # prepares and stores the model
    [stored] = list((tmp_path / "cache").glob("piper-*.onnx"))
    assert np.array_equal(fresh_clip(), reference)  # loads the stored model
    stored.write_bytes(b"not a model")
    assert np.array_equal(fresh_clip(), reference)  # damaged: prepared again
    assert stored.stat().st_size > 1_000_000
    monkeypatch.setenv("AUDIOBOOK_CACHE_DIR", str(tmp_path / "file-in-the-way" / "cache"))
    (tmp_path / "file-in-the-way").write_text("x")
    assert np.array_equal(fresh_clip(), reference)  # no writable cache: runs from memory


def test_overlapping_calls_share_the_workers_and_keep_each_calls_audio(piper_engine):
    """The synthesis loop hands in the next batch before the last one returns: calls from two
    threads at once must each get exactly the audio they get alone."""
    from concurrent.futures import ThreadPoolExecutor

    assert piper_engine.overlapping_calls
    voice, settings = piper_engine.default_voice(), SynthesisSettings()
    calls = [(TEXTS[:2], [1, 2]), (TEXTS[2:] + TEXTS[:1], [3, 4]), ([TEXT], [5])]
    alone = [piper_engine.synthesize(texts, voice, settings, seeds) for texts, seeds in calls]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = [f.result() for f in [pool.submit(piper_engine.synthesize, t, voice, settings, s) for t, s in calls]]
    for got, expected in zip(together, alone):
        assert len(got) == len(expected) and all(np.array_equal(a, b) for a, b in zip(got, expected))


def test_an_error_in_one_call_reaches_its_caller_and_spares_the_others():
    from pipeline.speech.engines.piper import _Workers

    workers = _Workers(2, limit=10)
    try:
        def fail_on_three(i):
            if i == 3:
                raise ValueError("boom")
            return np.full(1, i, dtype=np.float32)

        with pytest.raises(ValueError, match="boom"):
            workers.run_all([1] * 6, fail_on_three)
        done = workers.run_all([4, 20, 1], lambda i: np.full(1, i, dtype=np.float32))  # 20: over the budget, alone
        assert {i: int(a[0]) for i, a in done.items()} == {0: 0, 1: 1, 2: 2}
    finally:
        workers.close()
