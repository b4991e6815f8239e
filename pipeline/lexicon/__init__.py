"""Pronunciation lexicons: W3C PLS and TOML files, their sources and precedence, and applying them
to chunk text per engine (respellings for every engine, IPA for engines that take phonemes)."""

from pipeline.lexicon.model import Entry, Lexicon, load_lexicon
from pipeline.lexicon.pls import parse_pls, to_pls
from pipeline.lexicon.pronounce import Applied, PhonemeInput, Pronouncer
from pipeline.lexicon.sources import find_lexicons, load_lexicons
from pipeline.lexicon.toml_form import parse_toml

__all__ = ["Applied", "Entry", "Lexicon", "PhonemeInput", "Pronouncer", "find_lexicons", "load_lexicon",
           "load_lexicons", "parse_pls", "parse_toml", "to_pls"]
