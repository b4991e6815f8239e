"""The `audiobook inspect` summary: a public JSON contract.

Stable keys: title, author, language, chapters[index, title, words, chunks[id, text]] ("chunks"
only when asked for). Extra keys (kind, duration_s, path, book-level words, duration_s, skipped and
source_words) may be added to but the listed ones must not change. A chapter's "title" is its track
title, unique in the book ("Book Two, Part One, Chapter One"); "path" lists its ancestors' titles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.book import Book
from pipeline.chunks.chunking import spoken_heading, spoken_title
from pipeline.chunks.model import Chunk


def book_summary(book: Book, chunks: list[Chunk], with_chunks: bool,
                 words_per_minute: float = 155,
                 pronunciations: Callable[[str], list[dict[str, str]]] | None = None) -> dict[str, Any]:
    """Summary of a book and its chunks; durations are estimated from spoken words per minute.
    `pronunciations(text)`: the lexicon entries applied to a chunk, listed per chunk when given."""
    by_chapter: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        by_chapter.setdefault(chunk.chapter, []).append(chunk)
    chapters = []
    for index, chapter in enumerate(book.chapters):
        own = by_chapter.get(index, [])
        # Spoken words (numbers spelled out) when chunks are given, else the written count.
        spoken_words = sum(len(c.text.split()) for c in own) if own else chapter.words
        entry: dict[str, Any] = {
            "index": index,
            "title": spoken_heading(chapter.located_title, book.language),
            "path": [spoken_heading(title, book.language) for title in chapter.path],
            "heading": spoken_title(chapter, book.language),  # its own title, as heard at its head
            "kind": chapter.kind.value,
            "words": chapter.words,
            "duration_s": round(spoken_words * 60 / words_per_minute, 1),
        }
        if with_chunks:
            entry["chunks"] = [{"id": c.id, "text": c.text,
                                **({"pronunciations": pronunciations(c.text)} if pronunciations else {})}
                               for c in own]
        chapters.append(entry)
    return {
        "title": book.title,
        "author": book.author,
        "language": book.language,
        "words": book.words,
        "duration_s": round(sum(c["duration_s"] for c in chapters), 1),
        "chapters": chapters,
        # What is deliberately not read, and the source words read aloud (headings included),
        # so that read + skipped can be checked against the manuscript's own text.
        "skipped": [{"what": s.what, "reason": s.reason, "words": s.words} for s in book.skipped],
        "source_words": book.source_words,
    }


def tree_rows(summary: dict[str, Any]) -> list[tuple[dict[str, Any] | None, int, str]]:
    """The chapters as an indented tree: (chapter or None for a parent row, depth, title)."""
    rows: list[tuple[dict[str, Any] | None, int, str]] = []
    previous: list[str] = []
    for chapter in summary["chapters"]:
        path = chapter["path"]
        same = 0
        while same < min(len(path), len(previous)) and path[same] == previous[same]:
            same += 1
        rows += [(None, depth, path[depth]) for depth in range(same, len(path))]
        rows.append((chapter, len(path), chapter["heading"] or chapter["title"]))
        previous = path
    return rows
