"""Lexicon IPA reaches Piper as raw phonemes: the same ids as the IPA given directly."""

import numpy as np
import pytest

from pipeline.lexicon import Entry, Lexicon, Pronouncer
from pipeline.speech.engine import SynthesisSettings
from pipeline.speech.engines.piper_phonemes import embedded_voice_phonemes


def _ids(engine, text):
    return [ids.tolist() for _, ids in engine._sentence_ids(text)]


def test_ipa_entry_gives_the_ids_of_the_ipa_given_directly(piper_engine):
    lexicon = Lexicon([Entry(("Pepys",), ipa="ˈpiːps"), Entry(("Bach",), ipa="/bɑːx/")], source="t.toml")
    applied = Pronouncer([lexicon], piper_engine.phonemes).apply("Pepys went home. Bach stayed.")
    assert applied.text == "[[ˈpiːps]] went home. [[bɑːx]] stayed."
    ours = _ids(piper_engine, applied.text)
    assert ours == _ids(piper_engine, "[[ˈpiːps]] went home. [[bɑːx]] stayed.")
    assert ours != _ids(piper_engine, "Pepys went home. Bach stayed.")  # espeak alone says "PEP-eez"
    id_map = piper_engine._voice.config.phoneme_id_map
    word = [i for c in "ˈpiːps" for i in (id_map[c][0], 0)]
    flat = ours[0][0]
    assert any(flat[k:k + len(word)] == word for k in range(len(flat))), "the word's own ids are in the run"


@pytest.mark.parametrize("written, canonical", [("t͡ʃɜːtʃ", "tʃɜːtʃ"), ("ʧɜːʧ", "tʃɜːtʃ"), ("'gəʊ", "ˈɡəʊ"),
                                                ("/ˈæb.ə.kəs/", "ˈæbəkəs")])
def test_other_spellings_of_the_same_sounds(written, canonical):
    assert embedded_voice_phonemes().markup(written) == f"[[{canonical}]]"


def test_audio_follows_the_lexicon(piper_engine):
    plain, marked = piper_engine.synthesize(["Pepys went home.", "[[ˈpiːps]] went home."],
                                            piper_engine.default_voice(), SynthesisSettings(), [3, 3])
    assert not (len(plain) == len(marked) and np.array_equal(plain, marked))
