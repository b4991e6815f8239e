"""English spoken-form normalisation, one table per class of written form."""

import pytest

from pipeline.chunks.normalize import EnglishNormalizer, normalizer_for

EN = normalizer_for("en")


def cases(table: dict[str, str]):
    return pytest.mark.parametrize(("written", "spoken"), list(table.items()))


CARDINALS = {
    "42": "forty-two",
    "1,234": "one thousand two hundred and thirty-four",  # num2words' style, grouping commas dropped
    "1,000,000 stars": "one million stars",
    "3.14": "three point one four",
    "-5": "minus five",
    "It fell to -12 overnight.": "It fell to minus twelve overnight.",
    "0.5": "zero point five",
    "He had 3 hens and 12 ducks.": "He had three hens and twelve ducks.",
    "A4 paper": "A four paper",
    "5km": "five km",
    "2+2=4": "two plus two equals four",
}
YEARS = {
    "1859": "eighteen fifty-nine",
    "It was 1859.": "It was eighteen fifty-nine.",
    "1900": "nineteen hundred",
    "2005": "two thousand and five",
    "1905": "nineteen oh-five",
    "in 1066": "in ten sixty-six",
    "the 1920s": "the nineteen twenties",
    "the 1900s": "the nineteen hundreds",
    "the '20s": "the twenties",
    "in his 40s": "in his forties",
    "1914–1918": "nineteen fourteen to nineteen eighteen",
    # Quantities and comma-grouped numbers are not years.
    "1500 men": "one thousand five hundred men",
    "the 1850 miles": "the one thousand eight hundred and fifty miles",
    "1,859": "one thousand eight hundred and fifty-nine",
    "1066 pages": "one thousand and sixty-six pages",
}
ORDINALS = {
    "3rd": "third",
    "21st": "twenty-first",
    "the 24th": "the twenty-fourth",
    "on the 2nd and 3rd": "on the second and third",
    "1,000th": "one thousandth",
}
CURRENCY = {
    "$12.50": "twelve dollars and fifty cents",
    "£3": "three pounds",
    "€5": "five euros",
    "$1": "one dollar",
    "$1.01": "one dollar and one cent",
    "$0.50": "fifty cents",
    "¥500": "five hundred yen",
    "£1,200": "one thousand two hundred pounds",
    "$3 million": "three million dollars",
    "$1.5 million": "one point five million dollars",
    "It cost 3s. 6d.": "It cost three shillings and six pence.",
}
MEASURES = {
    "45%": "forty-five percent",
    "4.5 %": "four point five percent",
    "30°C": "thirty degrees Celsius",
    "98.6°F": "ninety-eight point six degrees Fahrenheit",
    "1° off": "one degree off",
    "Tom & Jerry": "Tom and Jerry",
    "AT&T": "AT and T",
    "1/2 of it": "one half of it",
    "3/4": "three quarters",
    "2/3": "two thirds",
}
TIMES = {
    "3:30 pm": "three thirty PM",
    "3:30 p.m.": "three thirty PM.",
    "at 3:30 p.m. on Monday": "at three thirty PM on Monday",
    "at 3:30 p.m. Then": "at three thirty PM. Then",
    "10:05": "ten oh five",
    "12:00": "twelve o'clock",
    "3:00 PM": "three PM",
    "15:00": "fifteen hundred",
    "at 5 pm": "at five PM",
    "at 5 a.m. sharp": "at five AM sharp",
}
DATES = {
    "12/25/1999": "December twenty-fifth, nineteen ninety-nine",
    "25/12/1999": "the twenty-fifth of December, nineteen ninety-nine",  # day > 12: day first
    "25 December 1999": "the twenty-fifth of December, nineteen ninety-nine",
    "December 25th": "December twenty-fifth",
    "December 25, 1999": "December twenty-fifth, nineteen ninety-nine",
    "Dec. 25": "December twenty-fifth",
    "the 4th of July": "the fourth of July",
    "in May 1905": "in May nineteen oh-five",
}
ROMAN = {
    "Chapter XII": "Chapter Twelve",
    "Part IV": "Part Four",
    "CHAPTER IV": "Chapter Four",  # an all-capitals label is said as a word, not spelled
    "Chapter I": "Chapter One",
    "Act I, Scene ii": "Act One, Scene Two",
    "George III": "George the Third",
    "Louis XIV": "Louis the Fourteenth",
    "Henry VIII had six wives.": "Henry the Eighth had six wives.",
    "Charles I, king": "Charles the First, king",
    "World War II": "World War Two",
    "World War I ended": "World War One ended",
    "WWII": "World War Two",
    # Never the pronoun, never words that look like numerals.
    "I went home.": "I went home.",
    "Part I think was true.": "Part I think was true.",
    "Elizabeth I was there": "Elizabeth I was there",
    "MIX THE CIVIL DID LID": "MIX THE CIVIL DID LID",
    "Malcolm X": "Malcolm X",
}
ABBREVIATIONS = {
    "Mr. Smith": "Mister Smith",
    "Mr Smith": "Mister Smith",
    "Mrs. Smith": "Missus Smith",
    "Dr. Watson": "Doctor Watson",
    "Mulholland Dr. is long": "Mulholland Drive is long",
    "St. Paul's": "Saint Paul's",
    "Baker St.": "Baker Street.",
    "Baker St. The end.": "Baker Street. The end.",
    "e.g. this": "for example this",
    "E.g. this": "For example this",
    "i.e. that": "that is that",
    "apples, etc., too": "apples, et cetera, too",
    "apples, etc. Then": "apples, et cetera. Then",
    "A vs. B": "A versus B",
    "No. 5": "number five",
    "#1": "number one",
    "John Smith Jr. went": "John Smith Junior went",
    "John Smith Sr.": "John Smith Senior.",
    "Prof. Plum": "Professor Plum",
    "Capt. Hook": "Captain Hook",
    "Col. Mustard": "Colonel Mustard",
    "Gen. Lee": "General Lee",
    "Lt. Dan": "Lieutenant Dan",
    "Rev. Green": "Reverend Green",
    "the Hon. member": "the Honourable member",
}
PUNCTUATION = {
    "He paused... then": "He paused… then",
    "He paused . . . then": "He paused … then",  # the author's spacing is kept
    "Wait....": "Wait…",
    "She said — well – no": "She said — well – no",
    "\u201cHello,\u201d he said. \u2018Hi\u2019": "\"Hello,\" he said. 'Hi'",
    "don\u2019t": "don't",
    "  lots \n of\tspace  ": "lots of space",
}


@cases(CARDINALS)
def test_cardinals(written, spoken):
    assert EN.text(written) == spoken


@cases(YEARS)
def test_years(written, spoken):
    assert EN.text(written) == spoken


@cases(ORDINALS)
def test_ordinals(written, spoken):
    assert EN.text(written) == spoken


def test_ordinal_is_never_spelled_letter_by_letter():
    assert "t h" not in EN.text("the 24th") and "24" not in EN.text("the 24th")


@cases(CURRENCY)
def test_currency(written, spoken):
    assert EN.text(written) == spoken


@cases(MEASURES)
def test_measures_and_symbols(written, spoken):
    assert EN.text(written) == spoken


@cases(TIMES)
def test_times(written, spoken):
    assert EN.text(written) == spoken


@cases(DATES)
def test_dates(written, spoken):
    assert EN.text(written) == spoken


def test_british_english_reads_ambiguous_dates_day_first():
    assert normalizer_for("en-GB").text("1/2/1999") == "the first of February, nineteen ninety-nine"
    assert normalizer_for("en-US").text("1/2/1999") == "January second, nineteen ninety-nine"


@cases(ROMAN)
def test_roman_numerals(written, spoken):
    assert EN.text(written) == spoken


@cases(ABBREVIATIONS)
def test_abbreviations(written, spoken):
    assert EN.text(written) == spoken


@cases(PUNCTUATION)
def test_punctuation(written, spoken):
    assert EN.text(written) == spoken


TITLES = {
    "XII": "Twelve",
    "I": "The letter I",  # a lone letter is never a number (a numbered chapter is "Chapter I" by then)
    "XII. The Letter": "Twelve. The Letter",
    "IV: Arrival": "Four: Arrival",
    "3": "Three",
    "Chapter XII: A Letter": "Chapter Twelve: A Letter",
    "Chapter 21": "Chapter Twenty-One",
    "I Remember": "I Remember",
    "MIX": "MIX",
    "CIVIL WAR": "CIVIL WAR",
    "Mr. and Mrs. S. F. Ukridge": "Mister and Missus S. F. Ukridge",
}


@cases(TITLES)
def test_titles(written, spoken):
    assert EN.title(written) == spoken


def test_lookup_uses_primary_subtag():
    assert isinstance(normalizer_for("en-GB"), EnglishNormalizer)
    assert isinstance(normalizer_for("EN_us"), EnglishNormalizer)
    assert normalizer_for("en").language == "en"


# Numbers in headings come from context, never from the letter alone (issue 14).
HEADING_NUMBERS = {
    # A label word and a numeral: a cardinal, the same kind of number for every label word.
    **{f"{label} IV": f"{label} Four" for label in (
        "Chapter", "Book", "Part", "Letter", "Act", "Scene", "Canto", "Volume", "Section", "Stave", "Epistle",
        "Lecture", "Sonnet", "Tale", "Story", "Essay", "Sermon", "Discourse", "Meditation", "Episode")},
    "Letter I": "Letter One",
    "Stave I: Marley's Ghost": "Stave One: Marley's Ghost",
    "Canto XXXIV": "Canto Thirty-Four",
    "Book 3": "Book Three",
    # Regnal names stay ordinal.
    "George III": "George the Third",
    "The Reign of Louis XIV": "The Reign of Louis the Fourteenth",
    # A lone letter (a dictionary's headings) is the letter, whatever Roman numeral it could be.
    "A": "The letter A", "C": "The letter C", "D": "The letter D", "L": "The letter L", "M": "The letter M",
    "V": "The letter V", "X": "The letter X",
    "C: Cabbage to Cyclops": "C: Cabbage to Cyclops",
    # The pronoun stays the pronoun.
    "I Remember": "I Remember",
    "Part I think": "Part I think",
    # Bare numerals of more than one letter are numbers.
    "XII": "Twelve", "LX": "Sixty", "XII. The Letter": "Twelve. The Letter",
}


@cases(HEADING_NUMBERS)
def test_heading_numbers_from_context(written, spoken):
    assert normalizer_for("en").title(written) == spoken


LIST_NUMERALS = {
    "I. The first rule of the house.": "One. The first rule of the house.",
    "IV. The fourth rule.": "Four. The fourth rule.",
    "I went home.": "I went home.",
    "I. M. Pei built it.": "I. M. Pei built it.",  # initials, not a list
    "C. S. Lewis wrote it.": "C. S. Lewis wrote it.",
    "Letter I wrote was long.": "Letter I wrote was long.",
    "Then I. Then you.": "Then I. Then you.",  # only at the start of a paragraph
    "V. Smith said so.": "V. Smith said so.",  # a lone letter before a name: an initial
    "X. Jones came in.": "X. Jones came in.",
    "I. Smith wrote it.": "I. Smith wrote it.",
    "V. The fifth rule.": "Five. The fifth rule.",  # before a function word: a number
    "XV. Smith said so.": "Fifteen. Smith said so.",  # two letters are no initial
}

# (paragraphs, spoken forms): a lone I, V or X before a name is a list number only in a numbered run.
LIST_RUNS = [
    (["IV. Rule four.", "V. Smith said so.", "VI. Rule six."], ["Four. Rule four.", "Five. Smith said so.", "Six. Rule six."]),
    (["V. Smith said so.", "He left."], ["V. Smith said so.", "He left."]),
    (["He came in.", "V. Smith said so."], ["He came in.", "V. Smith said so."]),
    (["I. Smith wrote.", "II. Brown replied."], ["One. Smith wrote.", "Two. Brown replied."]),
    (["IX. Nine lives.", "X. Marks the spot."], ["Nine. Nine lives.", "Ten. Marks the spot."]),
    (["V. Smith said so.", "VII. Seven."], ["V. Smith said so.", "Seven. Seven."]),  # not neighbours
    (["X. Jones came.", "XI. Eleven."], ["Ten. Jones came.", "Eleven. Eleven."]),
]


@cases(LIST_NUMERALS)
def test_roman_list_numerals_at_paragraph_start(written, spoken):
    assert normalizer_for("en").text(written) == spoken


@pytest.mark.parametrize("written, spoken", LIST_RUNS)
def test_lone_numeral_is_a_list_number_only_in_a_numbered_run(written, spoken):
    assert normalizer_for("en").paragraphs(written) == spoken
    assert normalizer_for("fr").paragraphs(written) == written  # the basic normaliser leaves numerals alone


@pytest.mark.parametrize("language", ["en", "fr"])
def test_manuscript_double_brackets_never_reach_piper_as_raw_phonemes(language):
    """Piper reads "[[ ... ]]" as raw phonemes; only the lexicon may write that markup."""
    import re

    spoken = normalizer_for(language).text("He wrote [[kæt]] on the slate, then [[[dɔg]]].")
    assert not re.search(r"\[\[.*?\]\]", spoken)
    assert "kæt" in spoken and "dɔg" in spoken  # the text itself is kept
