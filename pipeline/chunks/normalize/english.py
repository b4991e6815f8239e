"""English spoken-form normalisation: abbreviations, numbers, dates, money, Roman numerals.

Passes run in a fixed order, most specific first (a date before its numbers, "24th" before plain
numbers), over text whose whitespace is already single spaces. All spelling goes through num2words.
"""

from __future__ import annotations

import re

from pipeline.chunks.normalize.english_words import (
    ABBREVIATIONS, CURRENCIES, ENDS_SENTENCE, FRACTION_NAMES, MONTH_ABBREVIATIONS, MONTHS,
    NOT_PLURAL, NUMBERED_HEADINGS, QUANTITY_WORDS, REGNAL_NAMES, SENTENCE_STARTERS, TITLES,
    TITLES_WITHOUT_STOP, YEAR_CONTEXT,
)
from pipeline.chunks.normalize.punctuation import clean_punctuation, collapse_whitespace
from pipeline.chunks.normalize.roman import roman_value
from pipeline.chunks.normalize.spelling import spell, title_case

Match = re.Match[str]

_NUM = r"\d{1,3}(?:,\d{3})+|\d+"  # 1,234 or 1234
_MONTH = "|".join(MONTHS)
_MONTH_ABBR = "|".join(sorted(MONTH_ABBREVIATIONS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"

_NEW_SENTENCE = re.compile(r" [\"'(]?[A-Z]")
_NEXT_WORD = re.compile(r" [\"'(]?([A-Za-z][\w']*)")
_PREV_WORD = re.compile(r"([\w.']+) $")

_TITLE = re.compile(
    r"(?<![\w.])(?:(%s)\.|(%s)(?= [A-Z]))(?=[ ,;:)\"']|$)"
    % ("|".join(TITLES), "|".join(TITLES_WITHOUT_STOP)))
_ABBREVIATION = re.compile(
    r"(?<![\w.])(%s)\." % "|".join(re.escape(a) for a in ABBREVIATIONS), re.IGNORECASE)
_NUMBER_SIGN = re.compile(r"(?<![\w.])(?:(No|no)\.|(Nos|nos)\.|#) ?(?=\d)")

_HEADING = re.compile(r"\b(%s) ([IVXLCDM]+|[ivxlcdm]+|\d+)\b(?!['\w])" % "|".join(
    re.escape(w) for h in NUMBERED_HEADINGS for w in (h, h.upper())))
_WW = re.compile(r"\bWW(II|I)\b")
_REGNAL = re.compile(r"\b(%s) ([IVX]+)\b(?!['\w])" % "|".join(sorted(REGNAL_NAMES)))
_LOWER_WORD_AHEAD = re.compile(r" [a-z]")

_NUMERIC_DATE = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
_DAY_MONTH = re.compile(
    r"\b(?:(the|The) )?(\d{1,2})%s? (?:of )?(%s)\b(?:,? (\d{4})\b(?![,.]\d))?" % (_ORD, _MONTH))
_MONTH_DAY = re.compile(
    r"\b(%s|(?:%s)\.?) (\d{1,2})%s?\b(?![\d:])(?:,? (\d{4})\b(?![,.]\d))?"
    % (_MONTH, _MONTH_ABBR, _ORD))

_TIME = re.compile(
    r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?: ?([AaPp])\.?[Mm]\b(\.)?)?")
_HOUR_MERIDIEM = re.compile(r"(?<![\w:.])(1[0-2]|0?[1-9]) ?([AaPp])(?:\.[Mm](\.)|[Mm]\b)")

_CURRENCY = re.compile(
    r"([$£€¥]) ?(%s)(?:\.(\d{1,2}))?(?![\d])(?: (thousand|million|billion|trillion)\b)?" % _NUM)
_DECIMAL_CURRENCY_SCALE = re.compile(
    r"([$£€¥]) ?(\d+\.\d+) (thousand|million|billion|trillion)\b")
_OLD_MONEY = re.compile(r"(?<![\w£])(\d{1,2})s\. ?(\d{1,2})d\.")

_PERCENT = re.compile(r"(?<![\w.])(-?)(%s)(?:\.(\d+))? ?%%" % _NUM)
_DEGREES = re.compile(r"(?<![\w.])(-?)(%s)(?:\.(\d+))? ?°(?: ?([CF])\b)?" % _NUM)
_ORDINAL = re.compile(r"(?<![\w.])(%s)(st|nd|rd|th|ST|ND|RD|TH)\b" % _NUM)
_DECADE = re.compile(r"(?<![\w.'])(?:(1[1-9]|20)(\d)0|'?([1-9])0)'?s\b")
_FRACTION = re.compile(r"(?<![\w/.])(\d{1,2})/(\d{1,2})(?![\w/])")
_RANGE = re.compile(r"(?<=\d) ?– ?(?=\d)")
_PLUS = re.compile(r"(?<=\d) ?\+ ?(?=\d)")
_EQUALS = re.compile(r"(?<=\d) ?= ?(?=\d)")
_NUMBER = re.compile(r"(?<![\w.,])([-−](?=\d))?(%s)(?:\.(\d+))?(?![\d])" % _NUM)
_DIGITS = re.compile(r"\d+")
_AMPERSAND = re.compile(r" ?& ?")
_DEGREE_SIGN = re.compile(r" ?° ?")

# A title that starts with a bare numeral ("XII", "XII. The Letter"); a lone L, C, D or M is a letter.
_TITLE_NUMERAL = re.compile(r"^((?![LCDM]\b)[IVXLCDM]+|[ivxlcdm]{2,}|\d+)(?=$|[.:] | [—–-] |[.:]$)")
_LETTER_TITLE = re.compile(r"^([A-Za-z])\.?$")  # a dictionary's "C": the letter, never a number
# A list item numbered in Roman numerals at the start of a paragraph ("I. The first rule"); a lone
# letter other than I, V, X is an initial ("C. S. Lewis"), and so is one followed by another initial.
_LIST_NUMERAL = re.compile(r"^((?![LCDM]\.)[IVXLCDM]+)\. (?=[A-Z\"“‘'][^.\s])")
# A lone I, V or X followed by a capitalised word that is not a function word is an initial ("V. Smith
# said"), unless the paragraphs around it are a numbered list ("IV. …", "V. Smith …", "VI. …").
_LONE_NUMERALS = frozenset({"I", "V", "X"})
_NAME = re.compile(r"[A-Z][a-z][\w'’-]*")
_NOT_NAMES = frozenset(
    "The A An In On Of At To For From By With And But Or Nor If When While As It Its He She We They You This "
    "That These Those There Here My His Her Our Their Your What Who Which How Why Where Not No Let All Some Every "
    "After Before Upon Concerning Whether Then So".split())  # fmt: skip
_LEADING_NUMERAL = re.compile(r"^([IVXLCDM]+)\. ")


def _sentence_stop(text: str, end: int) -> str:
    """A full stop to keep when an abbreviation's own stop also ended the sentence."""
    return "." if end == len(text) or _NEW_SENTENCE.match(text, end) else ""


def _next_word(text: str, end: int) -> str:
    m = _NEXT_WORD.match(text, end)
    return m.group(1) if m else ""


def _prev_word(text: str, start: int) -> str:
    m = _PREV_WORD.search(text, max(0, start - 40), start)
    return m.group(1) if m else ""


def _number(sign: str, whole: str, fraction: str | None) -> str:
    digits = whole.replace(",", "") + (f".{fraction}" if fraction else "")
    return spell(("-" if sign else "") + digits)


def _year(value: str) -> str:
    return spell(value, to="year")


def _plural(words: str) -> str:
    """Decades: nineteen twenty -> nineteen twenties."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}" if head else last


def _leading_numeral(text: str) -> int | None:
    m = _LEADING_NUMERAL.match(text)
    return roman_value(m.group(1)) if m else None


def _in_numbered_run(numbers: list[int | None], index: int) -> bool:
    value = numbers[index]
    if value is None:
        return False
    return (index > 0 and numbers[index - 1] == value - 1) or (index + 1 < len(numbers) and numbers[index + 1] == value + 1)


class EnglishNormalizer:
    language = "en"

    def __init__(self, day_first: bool = False) -> None:
        self.day_first = day_first  # 1/2/1999 is 1 February (en-GB) rather than January 2 (en-US)

    def text(self, text: str) -> str:
        return self._text(text, numbered=False)

    def paragraphs(self, texts: list[str]) -> list[str]:
        """Spoken forms of consecutive paragraphs; a lone "V." opening one is a list number only where
        the paragraph before or after it starts with the neighbouring numeral ("IV." or "VI.")."""
        numbers = [_leading_numeral(text) for text in texts]
        return [self._text(text, _in_numbered_run(numbers, index)) for index, text in enumerate(texts)]

    def _text(self, text: str, numbered: bool) -> str:
        text = clean_punctuation(text)
        text = _LIST_NUMERAL.sub(lambda m: self._list_numeral(m, numbered), text, count=1)
        for rule in (self._abbreviations, self._roman, self._dates, self._times, self._money,
                     self._measures, self._numbers, self._symbols):
            text = rule(text)
        return collapse_whitespace(text)

    def title(self, title: str) -> str:
        title = clean_punctuation(title)
        letter = _LETTER_TITLE.match(title)
        if letter:
            return f"The letter {letter.group(1).upper()}"
        m = _TITLE_NUMERAL.match(title)
        if m:  # a title that is (or starts with) a bare number: "XII", "XII. The Letter", "3"
            value = int(m.group(1)) if m.group(1).isdigit() else roman_value(m.group(1))
            if value is not None and 0 < value <= 300:
                title = title_case(spell(str(value))) + title[m.end():]
        return self.text(title)

    @staticmethod
    def _list_numeral(m: Match, numbered: bool) -> str:
        name = _NAME.match(m.string, m.end())
        if m.group(1) in _LONE_NUMERALS and not numbered and name and name.group() not in _NOT_NAMES:
            return m.group()  # an initial: "V. Smith said."
        value = roman_value(m.group(1))
        return f"{title_case(spell(str(value)))}. " if value else m.group()

    # -- abbreviations ---------------------------------------------------------------------

    def _abbreviations(self, text: str) -> str:
        if "." in text or "#" in text or " " in text:
            text = _TITLE.sub(self._title_word, text)
            text = _ABBREVIATION.sub(self._abbreviation, text)
            text = _NUMBER_SIGN.sub(lambda m: "numbers " if m.group(2) else "number ", text)
        return text

    def _title_word(self, m: Match) -> str:
        abbr = m.group(1) or m.group(2)
        following = _next_word(m.string, m.end())
        before_name = following[:1].isupper() and following not in SENTENCE_STARTERS
        after_name = _prev_word(m.string, m.start())[:1].isupper()
        if abbr == "St" and not before_name and after_name:
            return "Street" + _sentence_stop(m.string, m.end())
        if abbr == "Dr" and not following[:1].isupper() and after_name:
            return "Drive" + _sentence_stop(m.string, m.end())
        return TITLES[abbr]

    def _abbreviation(self, m: Match) -> str:
        key = m.group(1).lower()
        words = ABBREVIATIONS[key]
        if m.group(1)[0].isupper():
            words = words[0].upper() + words[1:]
        return words + (_sentence_stop(m.string, m.end()) if key in ENDS_SENTENCE else "")

    # -- Roman numerals ----------------------------------------------------------------------

    def _roman(self, text: str) -> str:
        text = _WW.sub(lambda m: "World War " + ("Two" if m.group(1) == "II" else "One"), text)
        text = _HEADING.sub(self._heading, text)
        return _REGNAL.sub(self._regnal, text)

    def _heading(self, m: Match) -> str:
        numeral = m.group(2)
        if numeral in ("I", "i") and not m.group(1).lower().startswith("world") \
                and _LOWER_WORD_AHEAD.match(m.string, m.end()):
            return m.group()  # "Part I think": the pronoun, not a number
        value = int(numeral) if numeral.isdigit() else roman_value(numeral)
        if value is None:
            return m.group()
        label = m.group(1).title() if m.group(1).isupper() and len(m.group(1)) > 1 else m.group(1)
        return f"{label} {title_case(spell(str(value)))}"

    def _regnal(self, m: Match) -> str:
        value = roman_value(m.group(2))
        if value is None or (m.group(2) == "I" and _LOWER_WORD_AHEAD.match(m.string, m.end())):
            return m.group()
        return f"{m.group(1)} the {title_case(spell(str(value), to='ordinal'))}"

    # -- dates and times ---------------------------------------------------------------------

    def _dates(self, text: str) -> str:
        if not any(c.isdigit() for c in text):
            return text
        text = _NUMERIC_DATE.sub(self._numeric_date, text)
        text = _DAY_MONTH.sub(self._day_month, text)
        return _MONTH_DAY.sub(self._month_day, text)

    def _numeric_date(self, m: Match) -> str:
        first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
        day_first = self.day_first if first <= 12 and second <= 12 else first > 12
        day, month = (first, second) if day_first else (second, first)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group()
        year_words = _year(year) if len(year) == 4 else (
            spell(year) if year[0] != "0" else "oh " + spell(year[1]))
        day_words, month_name = spell(str(day), to="ordinal"), MONTHS[month - 1]
        if day_first:
            return f"the {day_words} of {month_name}, {year_words}"
        return f"{month_name} {day_words}, {year_words}"

    def _day_month(self, m: Match) -> str:
        the, day, month, year = m.groups()
        if not 1 <= int(day) <= 31:
            return m.group()
        spoken = f"{the or 'the'} {spell(day, to='ordinal')} of {month}"
        return spoken + (f", {_year(year)}" if year else "")

    def _month_day(self, m: Match) -> str:
        month, day, year = m.groups()
        if not 1 <= int(day) <= 31:
            return m.group()
        month = MONTH_ABBREVIATIONS.get(month.rstrip("."), month)
        return f"{month} {spell(day, to='ordinal')}" + (f", {_year(year)}" if year else "")

    def _times(self, text: str) -> str:
        if ":" in text:
            text = _TIME.sub(self._time, text)
        return _HOUR_MERIDIEM.sub(self._hour, text)

    def _hour(self, m: Match) -> str:
        words = f"{spell(str(int(m.group(1))))} {m.group(2).upper()}M"
        return words + (_sentence_stop(m.string, m.end()) if m.group(3) else "")

    def _time(self, m: Match) -> str:
        hour, minute, meridiem, stop = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        words = spell(str(hour))
        if minute != "00":
            words += " " + ("oh " + spell(minute[1]) if minute[0] == "0" else spell(minute))
        elif not meridiem:
            words += " hundred" if hour > 12 else " o'clock"  # 15:00 is "fifteen hundred"
        if meridiem:
            words += f" {meridiem.upper()}M"  # "PM": engines spell it out; "p.m." adds a stop
            if stop:
                words += _sentence_stop(m.string, m.end())
        return words

    # -- money, measures ---------------------------------------------------------------------

    def _money(self, text: str) -> str:
        if any(c in text for c in CURRENCIES):
            text = _DECIMAL_CURRENCY_SCALE.sub(
                lambda m: f"{spell(m.group(2))} {m.group(3)} {CURRENCIES[m.group(1)][1]}", text)
            text = _CURRENCY.sub(self._currency, text)
        if "d." in text:
            text = _OLD_MONEY.sub(self._old_money, text)
        return text

    def _currency(self, m: Match) -> str:
        unit, units, subunit, subunits = CURRENCIES[m.group(1)]
        whole, cents, scale = int(m.group(2).replace(",", "")), m.group(3), m.group(4)
        if scale:  # "$3 million" -> "three million dollars"
            return f"{spell(str(whole))} {scale} {units}"
        parts = []
        if whole or not cents:
            parts.append(f"{spell(str(whole))} {unit if whole == 1 else units}")
        if cents and subunit:
            value = int(cents.ljust(2, "0"))
            if value:
                parts.append(f"{spell(str(value))} {subunit if value == 1 else subunits}")
        return " and ".join(parts) or m.group()

    def _old_money(self, m: Match) -> str:
        shillings, pence = int(m.group(1)), int(m.group(2))
        return (f"{spell(str(shillings))} shilling{'s' if shillings != 1 else ''} and "
                f"{spell(str(pence))} {'penny' if pence == 1 else 'pence'}"
                + _sentence_stop(m.string, m.end()))

    def _measures(self, text: str) -> str:
        if "%" in text:
            text = _PERCENT.sub(lambda m: _number(*m.groups()) + " percent", text)
        if "°" in text:
            text = _DEGREES.sub(self._degrees, text)
        return text

    def _degrees(self, m: Match) -> str:
        sign, whole, fraction, scale = m.groups()
        words = _number(sign, whole, fraction)
        words += " degree" if words == "one" else " degrees"
        return words + {"C": " Celsius", "F": " Fahrenheit", None: ""}[scale]

    # -- plain numbers -----------------------------------------------------------------------

    def _numbers(self, text: str) -> str:
        if not any(c.isdigit() for c in text):
            return text
        text = _ORDINAL.sub(lambda m: spell(m.group(1).replace(",", ""), to="ordinal"), text)
        text = _DECADE.sub(self._decade, text)
        text = _FRACTION.sub(self._fraction, text)
        text = _RANGE.sub(" to ", text)
        text = _PLUS.sub(" plus ", text)
        text = _EQUALS.sub(" equals ", text)
        text = _NUMBER.sub(self._number, text)
        return _DIGITS.sub(self._glued_digits, text)

    def _decade(self, m: Match) -> str:
        if m.group(3):  # "the '20s", "his 40s"
            return _plural(spell(m.group(3) + "0"))
        return _plural(_year(f"{m.group(1)}{m.group(2)}0"))

    def _fraction(self, m: Match) -> str:
        numerator, denominator = int(m.group(1)), int(m.group(2))
        if not 0 < numerator < denominator:
            return m.group()  # "24/7", "9/11": not a fraction, read the numbers
        one, many = FRACTION_NAMES.get(denominator) or (
            spell(str(denominator), to="ordinal"), spell(str(denominator), to="ordinal") + "s")
        return f"{spell(str(numerator))} {one if numerator == 1 else many}"

    def _number(self, m: Match) -> str:
        sign, whole, fraction = m.groups()
        if not sign and not fraction and len(whole) == 4 and self._is_year(m, int(whole)):
            return _year(whole)
        after = m.string[m.end():m.end() + 1]
        return _number(sign or "", whole, fraction) + (" " if after.isalpha() else "")

    @staticmethod
    def _is_year(m: Match, value: int) -> bool:
        """1100-2099 (1000-1099 after "in", "since"...) unless a quantity follows ("1500 men")."""
        following = _next_word(m.string, m.end())
        plural = (len(following) > 2 and following.islower() and following.endswith("s")
                  and not following.endswith(("ss", "us", "is")) and following not in NOT_PLURAL)
        if following.lower() in QUANTITY_WORDS or plural:
            return False
        if 1100 <= value <= 2099:
            return True
        return 1000 <= value < 1100 and _prev_word(m.string, m.start()).lower() in YEAR_CONTEXT

    @staticmethod
    def _glued_digits(m: Match) -> str:
        """Digits left inside words ("A4", "10-20") are spelled with spaces around them."""
        text, start, end = m.string, m.start(), m.end()
        words = spell(m.group())
        before = " " if start and text[start - 1].isalpha() else ""
        after = " " if end < len(text) and text[end].isalpha() else ""
        return before + words + after

    # -- symbols -----------------------------------------------------------------------------

    def _symbols(self, text: str) -> str:
        if "&" in text:
            text = _AMPERSAND.sub(" and ", text)
        if "°" in text:
            text = _DEGREE_SIGN.sub(" degrees ", text)
        return text
