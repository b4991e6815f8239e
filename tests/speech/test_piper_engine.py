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
