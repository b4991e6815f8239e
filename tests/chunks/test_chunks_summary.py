"""The inspect summary's public JSON contract."""

import json

from pipeline.book import Book, Chapter, ChapterKind, Paragraph
from pipeline.chunks import book_summary, chunk_book


def make_book() -> Book:
    return Book(
        title="Love Among the Chickens", authors=["P. G. Wodehouse"], language="en",
        chapters=[
            Chapter(title="Dedication", kind=ChapterKind.DEDICATION, paragraphs=[Paragraph("To Bill.")]),
            Chapter(title="Chapter I", paragraphs=[Paragraph("Ukridge had 42 hens in 1905."),
                                                     Paragraph("Yes.")]),
        ])


def test_summary_shape_with_chunks():
    book = make_book()
    chunks = chunk_book(book, 400)
    summary = book_summary(book, chunks, with_chunks=True)
    json.dumps(summary)  # plain JSON types only
    assert {"title", "author", "language", "chapters"} <= summary.keys()
    assert (summary["title"], summary["author"], summary["language"]) == (
        "Love Among the Chickens", "P. G. Wodehouse", "en")
    first, second = summary["chapters"]
    assert {"index", "title", "words", "chunks"} <= first.keys()
    assert (second["index"], second["title"], second["words"]) == (1, "Chapter One", 7)
    assert first["kind"] == "dedication"
    assert [c["text"] for c in second["chunks"]] == [
        "Chapter One", "Ukridge had forty-two hens in nineteen oh-five.", "Yes."]
    assert all(set(c) == {"id", "text"} for ch in summary["chapters"] for c in ch["chunks"])
    assert summary["words"] == book.words
    assert summary["duration_s"] > 0


def test_summary_without_chunks_has_no_chunks_key():
    book = make_book()
    summary = book_summary(book, chunk_book(book, 400), with_chunks=False)
    assert all("chunks" not in ch for ch in summary["chapters"])


def test_duration_scales_with_words_per_minute():
    book = make_book()
    chunks = chunk_book(book, 400)
    slow = book_summary(book, chunks, with_chunks=False, words_per_minute=100)
    fast = book_summary(book, chunks, with_chunks=False, words_per_minute=200)
    assert slow["chapters"][1]["duration_s"] > fast["chapters"][1]["duration_s"]
