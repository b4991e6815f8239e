"""Matching and applying entries: whole words, case, possessives and plurals, per engine."""

import pytest

from pipeline.errors import PipelineError
from pipeline.lexicon import Entry, Lexicon, Pronouncer
from pipeline.lexicon.pronounce import suffix_ipa
from pipeline.speech.engines.piper_phonemes import embedded_voice_phonemes

LEXICON = Lexicon(entries=[
    Entry(("Hermione",), alias="her-MY-oh-nee"),
    Entry(("Pepys",), ipa="piːps", alias="peeps"),
    Entry(("Jon",), alias="John"),
    Entry(("Brien",), alias="BRY-en"),
    Entry(("Saint John", "St John"), alias="SIN-jun", ignore_case=True),
    Entry(("Marx",), alias="marks"),
], source="test.toml")


def said(text: str, phonemes=None) -> str:
    return Pronouncer([LEXICON], phonemes).apply(text).text


@pytest.mark.parametrize("text, expected", [
    ("Hermione smiled.", "her-MY-oh-nee smiled."),
    ("Hermione's wand and Hermione’s cat", "her-MY-oh-nee's wand and her-MY-oh-nee’s cat"),
    ("two Hermiones, the Hermiones' house", "two her-MY-oh-nees, the her-MY-oh-nees' house"),
    ("the Marxes", "the markses"),  # -es after a sibilant
    ("Jones met Jon", "Jones met John"),  # no -es plural after "n": Jones is not Jon
    ("Hermionewand, HERMIONE, hermione", "Hermionewand, HERMIONE, hermione"),  # whole words, case-sensitive
    ("O'Brien met 'Brien'", "O'Brien met 'BRY-en'"),  # not after a letter and an apostrophe
    ("SAINT JOHN, saint john, St John's", "SIN-jun, SIN-jun, SIN-jun's"),  # phrases; opt-in any case
])
def test_whole_word_possessive_plural_and_case_matching(text, expected):
    assert said(text) == expected


def test_ipa_goes_to_phoneme_engines_with_english_endings():
    piper = embedded_voice_phonemes()
    applied = Pronouncer([LEXICON], piper).apply("Pepys wrote; Pepys's diary, the Pepyses.")
    assert applied.text == "[[piːps]] wrote; [[piːpsɪz]] diary, the [[piːpsɪz]]."
    assert applied.pronunciations == [{"grapheme": "Pepys", "ipa": "piːps"}] * 3
    assert [suffix_ipa("kæt", "s"), suffix_ipa("dɔɡ", "'s"), suffix_ipa("tʃɜːtʃ", "es")] == ["s", "z", "ɪz"]


def test_engines_without_phonemes_get_the_alias_or_refuse_by_option():
    ipa_only = Lexicon([Entry(("Bierce",), ipa="bɪəs")], source="ipa.toml")
    pronouncer = Pronouncer([LEXICON, ipa_only], None)
    assert pronouncer.apply("Pepys and Bierce").text == "peeps and Bierce"  # IPA-only: left as written
    assert pronouncer.skipped == ["Bierce"]
    with pytest.raises(PipelineError, match="'Pepys'.*takes no phonemes"):
        Pronouncer([LEXICON], None, ipa_fallback="refuse")


def test_unknown_ipa_symbol_is_refused_naming_the_entry():
    bad = Lexicon([Entry(("Ngaio",), ipa="ˈnaɪ.oʊ‿ǃx")], source="book.lexicon.toml")
    with pytest.raises(PipelineError) as caught:
        Pronouncer([bad], embedded_voice_phonemes())
    message = str(caught.value)
    assert "'Ngaio'" in message and "book.lexicon.toml" in message and "U+203F" in message
    assert "en_US-joe-medium" in message and "ǃ" not in message.split("has symbol")[1]  # ǃ is in the voice


def test_later_lexicon_wins_for_the_same_grapheme():
    override = Lexicon([Entry(("Hermione",), alias="her-mee-OWN")], source="later.toml")
    assert Pronouncer([LEXICON, override]).apply("Hermione").text == "her-mee-OWN"
    assert Pronouncer([override, LEXICON]).apply("Hermione").text == "her-MY-oh-nee"
