"""Number spelling through num2words (never hand-rolled), cached because books repeat numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from num2words import CONVERTER_CLASSES, num2words


def supports(lang: str) -> bool:
    """Whether num2words can spell numbers in `lang` (num2words 0.5.14 has no Hindi, for one)."""
    return lang in CONVERTER_CLASSES


@lru_cache(maxsize=8192)
def spell(number: str, lang: str = "en", to: str = "cardinal") -> str:
    """Spell a plain number string ("42", "-3", "3.14") in words.

    num2words' grouping commas ("one thousand, two hundred") are dropped: TTS engines pause on
    them mid-number and the chunk splitter would treat them as clause boundaries.
    """
    try:
        value: int | Decimal = int(number) if number.lstrip("-").isdigit() else Decimal(number)
    except (ValueError, InvalidOperation):
        return number
    return " ".join(num2words(value, lang=lang, to=to).replace(",", "").split())


def title_case(words: str) -> str:
    """Capitalise spelled numbers for titles: twenty-one -> Twenty-One ("and" stays lower-case)."""
    def cap(word: str) -> str:
        return "-".join(p if p == "and" else p[:1].upper() + p[1:] for p in word.split("-"))

    return " ".join(cap(w) for w in words.split(" "))
