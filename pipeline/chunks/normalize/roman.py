"""Roman numeral parsing (spelling the value is num2words' job)."""

from __future__ import annotations

import re

# Strict, canonical numerals only: "DID", "LID", "CIVIL" are not numerals at all.
_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(numeral: str) -> int | None:
    """Value of a canonical upper- or lower-case Roman numeral, None if it is not one."""
    upper = numeral.upper()
    if not upper or not _ROMAN.fullmatch(upper):
        return None
    total = 0
    for here, after in zip(upper, upper[1:] + " "):
        value = _VALUES[here]
        total += -value if after != " " and _VALUES[after] > value else value
    return total
