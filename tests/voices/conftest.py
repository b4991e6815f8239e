"""Shared for the voice tests: real speech clips made with the embedded engine, an empty registry."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

TEXT_A = ("The old lighthouse stood at the edge of the cliff, and every evening the keeper climbed its "
          "stairs to light the lamp. His grey cat followed him, one step at a time.")
TEXT_B = ("Morning came slowly over the grey water. Boats drifted past the harbour wall, and the gulls "
          "argued about breakfast on the roof of the fish market.")


def speak(engine, text: str, seed: int = 1) -> np.ndarray:
    from pipeline.speech.engine import SynthesisSettings

    return engine.synthesize([text], engine.default_voice(), SynthesisSettings(), [seed])[0]


@pytest.fixture(scope="session")
def speech(piper_engine):
    """(rate, clip A ~8 s, clip B ~8 s): the embedded voice reading two different texts."""
    return piper_engine.sample_rate, speak(piper_engine, TEXT_A, 1), speak(piper_engine, TEXT_B, 2)


@pytest.fixture(scope="session")
def speech_wav(speech, tmp_path_factory):
    rate, a, _ = speech
    path = tmp_path_factory.mktemp("clips") / "narrator.wav"
    sf.write(path, a, rate)
    return path


@pytest.fixture
def voices_dir(tmp_path, monkeypatch):
    root = tmp_path / "voices"
    monkeypatch.setenv("AUDIOBOOK_VOICES_DIR", str(root))
    return root
