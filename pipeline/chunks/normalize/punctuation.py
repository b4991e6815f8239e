"""Language-independent clean-up applied before any spoken-form pass."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# "...", ". . .", "...." all become one "…": one character, read as a pause, and no stray
# full stops for the sentence splitter to trip on.
_ELLIPSIS = re.compile(r"\.(?:\s?\.){2,}")
# Piper reads "[[ ... ]]" as raw phonemes: a manuscript's own double brackets must not reach it so.
_DOUBLE_BRACKETS = re.compile(r"(\[)\[+|(\])\]+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
                         "\u2032": "'", "\u2033": '"', "\u00ad": None})


def collapse_whitespace(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def clean_punctuation(text: str) -> str:
    """Straight quotes (what every engine's front end expects), one ellipsis form, single spaces.

    Dashes (— and –) are kept: engines pause on them.
    """
    text = _DOUBLE_BRACKETS.sub(lambda m: m.group(1) or m.group(2), text)
    return collapse_whitespace(_ELLIPSIS.sub("\u2026", text.translate(_QUOTES)))
