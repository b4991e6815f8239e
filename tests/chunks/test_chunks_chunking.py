"""Chunking: limits, merging, paragraph alignment, titles, scene breaks, ids."""

import random
from collections import defaultdict

import pytest

from pipeline.book import Book, Chapter, Paragraph
from pipeline.chunks import ChunkRole, chunk_book, chunk_chapter, spoken_paragraphs, spoken_title
from pipeline.chunks.ids import chunk_id

WODEHOUSE = (
    "Ukridge, I may mention, was not a man who did things by halves; when he took up a scheme he "
    "took it up thoroughly, and he had taken up chicken-farming, so to speak, with both hands; "
    "he had bought, on credit, a quantity of hens which, he assured me, would lay eggs in such "
    "profusion that we should be rich within the year — richer, in fact, than Dr. Crocus of "
    "St. Paul's, who had made £1,200 in 1905 from a single patent medicine; and he had written, "
    "at 3:30 p.m. on the 24th of June, to every poultry dealer in the south of England, asking "
    "for terms, credit, advice, and, in one case (a Mr. Harold Beale of No. 7, Lyme Regis), "
    "for a small loan, which was refused; but none of this, as he pointed out, mattered in the "
    "least: the thing was a certainty, and the hens, once they had settled down, would see to it."
)
SHORT = "Yes. No. Oh! Well, perhaps. I suppose so. Quite. Right-o."
NO_PUNCTUATION = " ".join(["chicken"] * 280)  # ~2200 chars, no punctuation at all
GENERATED = " ".join(
    random.Random(7).choice(["The hens laid.", "Ukridge said, loudly, that it was so; I doubted it.",
                             "Mr. Garnet sighed at 4:15 pm.", "Yes.", "It cost $3.50 — a fortune!",
                             "A very long sentence that goes on, and on, and on about nothing "
                             "in particular, as Ukridge's sentences often did."]) for _ in range(60))


def book_of(*paragraphs: Paragraph | str, title: str = "Chapter XII: A Letter") -> Book:
    paras = [p if isinstance(p, Paragraph) else Paragraph(p) for p in paragraphs]
    return Book(title="Love Among the Chickens", authors=["P. G. Wodehouse"], language="en-GB",
                chapters=[Chapter(title=title, paragraphs=paras)])


def by_paragraph(chunks):
    grouped = defaultdict(list)
    for c in chunks:
        grouped[(c.chapter, c.paragraph)].append(c)
    return grouped


@pytest.mark.parametrize("max_chars", [40, 80, 150, 250, 400, 1000])
@pytest.mark.parametrize("text", [WODEHOUSE, SHORT, NO_PUNCTUATION, GENERATED])
def test_limits_and_concatenation_invariant(text, max_chars):
    book = book_of(text, "Second paragraph. Short.", title="Chapter XII: A Letter")
    chunks = chunk_book(book, max_chars=max_chars, min_chars=20)
    assert chunks and all(0 < len(c.text) <= max_chars for c in chunks)
    assert all(c.text == c.text.strip() and "  " not in c.text for c in chunks)
    grouped = by_paragraph(chunks)
    for number, spoken in enumerate(spoken_paragraphs(book.chapters[0], book.language)):
        own = grouped[(0, number)]
        assert " ".join(c.text for c in own) == spoken
        assert [c.ends_paragraph for c in own] == [False] * (len(own) - 1) + [True]
    title = grouped[(0, -1)]
    assert " ".join(c.text for c in title) == spoken_title(book.chapters[0], "en") == "Chapter Twelve: A Letter"


def test_long_sentences_split_at_clause_boundaries_first():
    chunks = chunk_book(book_of(WODEHOUSE), max_chars=250)
    body = [c.text for c in chunks if c.role is ChunkRole.TEXT]
    assert len(body) > 1
    assert all(t.endswith((";", ":", ",", "—", ".", ")")) for t in body)
    assert any(t.endswith(";") for t in body)


def test_sentence_without_punctuation_splits_between_words():
    chunks = chunk_book(book_of(NO_PUNCTUATION), max_chars=100)
    body = [c.text for c in chunks if c.role is ChunkRole.TEXT]
    assert all(set(t.split()) == {"chicken"} for t in body)  # no word cut in half
    assert " ".join(body) == NO_PUNCTUATION


def test_word_longer_than_limit_is_hard_split():
    # The documented exception: nothing to cut at, and no chunk may exceed the limit.
    word = "a" * 95
    chunks = chunk_book(book_of(f"Look: {word} here."), max_chars=40, min_chars=0)
    body = [c.text for c in chunks if c.role is ChunkRole.TEXT]
    assert all(len(t) <= 40 for t in body)
    assert "".join(body).replace(" ", "") == f"Look:{word}here."


def test_short_sentences_merge_within_paragraph_only():
    chunks = chunk_book(book_of("Yes.", "No. Oh! Very well then, I shall go to the station."), 400)
    texts = [(c.paragraph, c.text) for c in chunks if c.role is ChunkRole.TEXT]
    assert texts == [(0, "Yes."), (1, "No. Oh! Very well then, I shall go to the station.")]


def test_long_sentences_are_not_merged():
    text = "Ukridge bought forty hens on credit. The hens declined to lay any eggs at all."
    texts = [c.text for c in chunk_book(book_of(text), 400) if c.role is ChunkRole.TEXT]
    assert texts == ["Ukridge bought forty hens on credit.", "The hens declined to lay any eggs at all."]


def test_title_chunks_and_fields():
    book = book_of("First.", Paragraph("After the break.", scene_break_before=True))
    chunks = chunk_book(book, 400)
    title, first, second = chunks
    assert (title.role, title.paragraph, title.ends_paragraph, title.text) == (
        ChunkRole.TITLE, -1, True, "Chapter Twelve: A Letter")
    assert (first.role, first.paragraph, first.scene_break_before) == (ChunkRole.TEXT, 0, False)
    assert (second.paragraph, second.scene_break_before, second.ends_paragraph) == (1, True, True)
    assert all(c.chapter == 0 for c in chunks)


def test_scene_break_moves_past_empty_paragraph():
    book = book_of(Paragraph("   ", scene_break_before=True), "Then.")
    body = [c for c in chunk_book(book, 400) if c.role is ChunkRole.TEXT]
    assert [(c.paragraph, c.scene_break_before) for c in body] == [(1, True)]


def test_untitled_chapter_has_no_title_chunk():
    assert all(c.role is ChunkRole.TEXT for c in chunk_book(book_of("Text.", title=""), 400))


def test_chunk_chapter_uses_given_index():
    chapter = book_of("Hello there, Ukridge.").chapters[0]
    assert {c.chapter for c in chunk_chapter(chapter, 5, "en", 400)} == {5}


def test_invalid_limits_are_rejected():
    with pytest.raises(ValueError):
        chunk_book(book_of("x"), max_chars=0)
    with pytest.raises(ValueError):
        chunk_book(book_of("x"), max_chars=10, min_chars=20)


def test_ids_are_stable_and_content_addressed():
    first = chunk_book(book_of(WODEHOUSE, "Yes, quite."), 200)
    again = chunk_book(book_of(WODEHOUSE, "Yes, quite."), 200)
    assert [c.id for c in first] == [c.id for c in again]
    assert all(len(c.id) == 16 and int(c.id, 16) >= 0 for c in first)
    # A known value pins the recipe: sha256("en-gb\x1ftext\x1fHello.") across runs and machines.
    assert chunk_id("en-GB", ChunkRole.TEXT, "Hello.") == chunk_id("en_gb", ChunkRole.TEXT, "Hello.")
    assert chunk_id("en-GB", ChunkRole.TEXT, "Hello.") == "%s" % __import__("hashlib").sha256(
        "en-gb\x1ftext\x1fHello.".encode()).hexdigest()[:16]
    assert chunk_id("en", ChunkRole.TEXT, "Hello.") != chunk_id("en", ChunkRole.TEXT, "Hello!")
    assert chunk_id("en", ChunkRole.TEXT, "Hello.") != chunk_id("fr", ChunkRole.TEXT, "Hello.")
    assert chunk_id("en", ChunkRole.TEXT, "Hello.") != chunk_id("en", ChunkRole.TITLE, "Hello.")


def test_identical_sentences_share_an_id():
    chunks = chunk_book(book_of("The hens were silent.", "The hens were silent."), 400)
    body = [c for c in chunks if c.role is ChunkRole.TEXT]
    assert body[0].id == body[1].id and body[0].paragraph != body[1].paragraph


@pytest.mark.parametrize("language", ["en", "en-GB", "fr", "de", "ar", "pt", "hi"])
def test_noisy_text_never_breaks_the_invariants(language):
    pieces = list("0123456789 .,:;/-–—$£€¥%°#&+='\"!?…IVXLCDMivx") + [
        "Mr.", "St.", "Dr.", "pm", "a.m.", "th", "December", "Chapter", "George", "World War",
        "No.", "etc.", "1859", "1920s", " the "]
    rng = random.Random(11)
    for _ in range(80):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        book = Book(title="t", authors=[], language=language,
                    chapters=[Chapter(title=text, paragraphs=[Paragraph(text)])])
        for max_chars in (8, 30):
            chunks = chunk_book(book, max_chars, min_chars=3)
            assert all(0 < len(c.text) <= max_chars for c in chunks)
            assert all(any(ch.isalnum() for ch in c.text) for c in chunks), "a chunk with nothing to say"
            spoken = spoken_paragraphs(book.chapters[0], language)[0]
            if all(len(word) <= max_chars for word in spoken.split(" ")):
                # Every word with a letter or digit is read, in order; only sentences like "—" are left out.
                joined = " ".join(c.text for c in chunks if c.paragraph == 0)
                assert _speaking_words(joined) == _speaking_words(spoken)
                assert all(c.text in spoken for c in chunks if c.paragraph == 0)


def _speaking_words(text: str) -> list[str]:
    return [word for word in text.split() if any(ch.isalnum() for ch in word)]


def test_sentences_with_nothing_to_say_make_no_chunks():
    """An engine makes no audio for "—" or "* * *": such a title or sentence is not a chunk (it used to
    be one, and its empty audio crashed mastering)."""
    book = Book(title="t", authors=[], language="en",
                chapters=[Chapter(title="* * *", paragraphs=[Paragraph("—"), Paragraph("Yes. … Go.")])])
    assert [(c.role, c.text) for c in chunk_book(book, 400)] == [(ChunkRole.TEXT, "Yes. … Go.")]


def test_a_marker_with_nothing_to_say_moves_to_the_next_chunk():
    """A grouped leaf titled "—" still gets its chapter marker (and its longer pause): on the next chunk."""
    book = book_of("First poem.", Paragraph("—", marker="Songs, —"), "Second poem.",
                   Paragraph("Song 3", marker="Songs, Song 3"), "Third poem.")
    chunks = chunk_book(book, 400)
    assert [(c.text, c.mark, c.scene_break_before) for c in chunks if c.role is ChunkRole.TEXT or c.mark] == [
        ("First poem.", None, False), ("Second poem.", "Songs, —", True), ("Song Three", "Songs, Song 3", True),
        ("Third poem.", None, False)]
