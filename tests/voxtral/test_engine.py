import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.speech.engine import Engine, SynthesisSettings


@pytest.fixture(scope="module")
def engine(tiny_dir):
    from pipeline.speech.engines import get_engine

    eng = get_engine("voxtral", model_dir=str(tiny_dir), device="cpu", batch_size=2)
    yield eng
    eng.close()


def test_engine_protocol_and_voices(engine):
    assert isinstance(engine, Engine)
    assert engine.sample_rate == 24000 and engine.deterministic is False
    assert {"en", "fr", "es", "de", "it", "pt", "nl", "ar", "hi"} <= engine.languages
    assert engine.presets == ["alice", "bob", "carol"]
    v = engine.voice("Bob")
    assert v.engine == "voxtral" and v.ref == "bob" and len(v.hash) == 16
    assert engine.model_revision.startswith("voxtral-")
    with pytest.raises(PipelineError, match="unknown Voxtral voice 'dave'.*alice, bob, carol"):
        engine.voice("dave")
    with pytest.raises(PipelineError, match="no codec encoder"):
        engine.voice("/tmp/my_reading.wav")


def test_engine_synthesize(engine, monkeypatch):
    from pipeline.voxtral import generate as gen_mod

    monkeypatch.setattr(gen_mod, "FRAME_MARGIN", 2)
    monkeypatch.setattr(gen_mod, "FRAMES_PER_CHAR", 0.2)
    texts = ["Hello there, world.", "Hi.", "A longer sentence for the batch."]
    v = engine.voice("carol")
    clips = engine.synthesize(texts, v, SynthesisSettings(), seeds=[1, 2, 3])
    assert len(clips) == 3
    for c in clips:
        assert c.dtype == np.float32 and c.ndim == 1 and len(c) % 1920 == 0 and len(c) > 0
        assert np.abs(c).max() <= 1.0
    again = engine.synthesize(texts[:1], v, SynthesisSettings(), seeds=[1])
    assert len(again[0]) == len(clips[0]) and np.allclose(again[0], clips[0], atol=1e-5)
    other = engine.synthesize(texts[:1], v, SynthesisSettings(), seeds=[7])
    assert len(other[0]) != len(clips[0]) or not np.array_equal(other[0], clips[0])
    with pytest.raises(PipelineError, match="speaking-rate"):
        engine.synthesize(texts[:1], v, SynthesisSettings(speed=1.2), seeds=[1])


def test_engine_missing_weights(tmp_path):
    from pipeline.speech.engines import get_engine

    with pytest.raises(PipelineError, match="download_weights"):
        get_engine("voxtral", model_dir=str(tmp_path))


def test_engine_injected_tokenizer(tiny_dir):
    from pipeline.speech.engines.voxtral import VoxtralEngine
    from pipeline.voxtral.tokenize import prompt_from_text_ids

    class Bytes:
        def encode(self, text, voice):
            return prompt_from_text_ids([40 + b for b in text.encode()], {"alice": 3, "bob": 5, "carol": 4}[voice])

    eng = VoxtralEngine(model_dir=str(tiny_dir), device="cpu", tokenizer=Bytes())
    tekken = VoxtralEngine(model_dir=str(tiny_dir), device="cpu")
    assert Bytes().encode("Hi é", "bob") == tekken._tokenizer.encode("Hi é", "bob")
    clips = eng.synthesize(["Hi."], eng.voice("alice"), SynthesisSettings(extra={"steps": "8"}), seeds=[3])
    assert len(clips[0]) % 1920 == 0
