"""PLS 1.0 import and export."""

import pytest

from pipeline.lexicon import Entry, parse_pls, to_pls
from tests.lexicon.conftest import refusal

PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
         alphabet="ipa" xml:lang="en-GB">
  <lexeme>
    <grapheme>Pepys</grapheme>
    <phoneme>piːps</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>Hermione</grapheme>
    <grapheme>Hermy</grapheme>
    <alias>her-MY-oh-nee</alias>
  </lexeme>
  <lexeme>
    <grapheme>Wodehouse</grapheme>
    <phoneme>ˈwʊdhaʊs</phoneme>
    <phoneme prefer="true">ˈwʊd.haʊs</phoneme>
    <alias>WOOD-house</alias>
  </lexeme>
</lexicon>
"""

# The same lexicon with a namespace prefix, and a lexeme's own alphabet.
PREFIXED = """<pls:lexicon version="1.0" xmlns:pls="http://www.w3.org/2005/01/pronunciation-lexicon"
    xmlns:ab="urn:audiobook-pipeline:lexicon" alphabet="x-sampa" xml:lang="en-GB">
  <pls:lexeme><pls:grapheme>Pepys</pls:grapheme><pls:phoneme alphabet="ipa">piːps</pls:phoneme></pls:lexeme>
  <pls:lexeme ab:ignore-case="true"><pls:grapheme>Bierce</pls:grapheme><pls:alias>beers</pls:alias></pls:lexeme>
</pls:lexicon>
"""


def test_parse_graphemes_alias_and_phoneme():
    lexicon = parse_pls(PLS.encode())
    assert lexicon.language == "en-GB"
    assert lexicon.entries == [
        Entry(graphemes=("Pepys",), ipa="piːps"),
        Entry(graphemes=("Hermione", "Hermy"), alias="her-MY-oh-nee"),
        Entry(graphemes=("Wodehouse",), ipa="ˈwʊd.haʊs", alias="WOOD-house"),  # prefer="true" wins
    ]


def test_prefixed_namespace_own_alphabet_and_ignore_case_extension():
    lexicon = parse_pls(PREFIXED.encode())
    assert lexicon.entries == [Entry(graphemes=("Pepys",), ipa="piːps"),
                               Entry(graphemes=("Bierce",), alias="beers", ignore_case=True)]


def test_export_round_trip():
    entries = parse_pls(PLS.encode()).entries + parse_pls(PREFIXED.encode()).entries
    exported = to_pls(entries, "en-GB")
    assert 'xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"' in exported
    again = parse_pls(exported.encode())
    assert again.entries == entries and again.language == "en-GB"
    assert to_pls(again.entries, "en-GB") == exported


@pytest.mark.parametrize("xml, problem", [
    ('<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="x-sampa">'
     "<lexeme><grapheme>Pepys</grapheme><phoneme>pi:ps</phoneme></lexeme></lexicon>", "alphabet 'x-sampa'"),
    ('<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">'
     "<lexeme><grapheme>Pepys</grapheme></lexeme></lexicon>", "neither an alias nor IPA"),
    ("<speak>hello</speak>", "not a PLS <lexicon>"),
    ("<lexicon><lexeme>", "not well-formed"),
    ('<!DOCTYPE l [<!ENTITY e "x">]><lexicon>&e;</lexicon>', "entity declarations"),
])
def test_unusable_pls_is_a_one_line_error_naming_the_file(tmp_path, xml, problem):
    assert problem in refusal(tmp_path / "bad.pls", xml)
