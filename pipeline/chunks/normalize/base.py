"""The per-language normaliser interface and the basic number-only normaliser.

A normaliser turns clean written text into what a TTS engine should read ("42" -> "forty-two").
English has a full implementation (`english.py`); other languages get `BasicNormalizer`, which
only spells numbers through num2words so that engines never read digits raw. It is deliberately
basic: no abbreviations, dates, currency or ordinals yet.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from pipeline.chunks.normalize.punctuation import clean_punctuation, collapse_whitespace
from pipeline.chunks.normalize.spelling import spell, supports


@runtime_checkable
class Normalizer(Protocol):
    language: str  # primary subtag, e.g. "en"

    def text(self, text: str) -> str:
        """Spoken form of body text (a paragraph), whitespace collapsed."""
        ...

    def title(self, title: str) -> str:
        """Spoken form of a chapter title or heading ("Chapter XII" -> "Chapter Twelve")."""
        ...

    def paragraphs(self, texts: list[str]) -> list[str]:
        """Spoken forms of consecutive paragraphs, each read in the context of its neighbours."""
        ...


# Decimal comma and "." / space / thin-space grouping, as written in most of the target languages.
_COMMA_DECIMAL_NUMBER = re.compile(
    r"(?<![\w.,])(-?)(\d{1,3}(?:[. \u202f]\d{3})+|\d+)(?:,(\d+))?(?![\w])")
_POINT_DECIMAL_NUMBER = re.compile(r"(?<![\w.,])(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_DIGITS = re.compile(r"\d+")

_COMMA_DECIMAL_LANGUAGES = {"fr", "es", "de", "it", "pt", "nl"}


class BasicNormalizer:
    """Punctuation clean-up plus num2words cardinals in the book's language (basic support)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._spells = supports(language)
        comma_decimal = language in _COMMA_DECIMAL_LANGUAGES
        self._number = _COMMA_DECIMAL_NUMBER if comma_decimal else _POINT_DECIMAL_NUMBER
        self._group = re.compile(r"[. \u202f]" if comma_decimal else ",")

    def text(self, text: str) -> str:
        return collapse_whitespace(self._numbers(clean_punctuation(text)))

    def title(self, title: str) -> str:
        return self.text(title)

    def paragraphs(self, texts: list[str]) -> list[str]:
        return [self.text(text) for text in texts]

    def _numbers(self, text: str) -> str:
        if not self._spells:  # no num2words support (e.g. Hindi): leave digits to the engine
            return text
        text = self._number.sub(self._spell_match, text)
        return _DIGITS.sub(lambda m: spell(m.group(), self.language), text)  # digits glued to words

    def _spell_match(self, m: re.Match[str]) -> str:
        sign, whole, fraction = m.group(1), self._group.sub("", m.group(2)), m.group(3)
        return spell(f"{sign}{whole}" + (f".{fraction}" if fraction else ""), self.language)
