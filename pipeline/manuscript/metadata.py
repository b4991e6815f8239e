"""Book metadata made fit for tags, store uploads and the terminal, whatever the manuscript said.

Every reader's metadata passes through `tidy_metadata`: control characters removed and whitespace
collapsed (clean_text), lengths capped to what tags and stores accept, and a language that is not a
language tag replaced by the default. A 10 MB description must not reach the M4B, the manifest and
the report; stores cut descriptions at about 4000 characters (Apple Books, Audible) anyway.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.book import Book
from pipeline.manuscript.cleaning import clean_text

MAX_TITLE_CHARS = 255  # ID3/MP4 text frames have no limit, but stores and file systems do
MAX_NAME_CHARS = 255  # an author or publisher
MAX_AUTHORS = 20
MAX_DESCRIPTION_CHARS = 4000
MAX_DATE_CHARS = 64
DEFAULT_LANGUAGE = "en"
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")  # BCP-47 shape


def capped(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary where there is one, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _field(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    return capped(clean_text(value[: limit * 4]), limit) or None  # clean only what can survive the cap


def tidy_metadata(book: Book, fallback_title: str) -> Book:
    """`book` with fit metadata; `fallback_title` (the file's name) where no title is left."""
    language = clean_text(book.language[:64])
    for chapter in [*book.chapters, *([book.notes] if book.notes else [])]:
        chapter.title = clean_text(chapter.title)
    return replace(
        book,
        title=_field(book.title, MAX_TITLE_CHARS) or _field(fallback_title, MAX_TITLE_CHARS) or "Untitled",
        authors=[a for a in (_field(a, MAX_NAME_CHARS) for a in book.authors[:MAX_AUTHORS]) if a],
        language=language if _LANGUAGE_TAG.match(language) else DEFAULT_LANGUAGE,
        publisher=_field(book.publisher, MAX_NAME_CHARS),
        date=_field(book.date, MAX_DATE_CHARS),
        description=_field(book.description, MAX_DESCRIPTION_CHARS),
        cover_note=_field(book.cover_note, MAX_TITLE_CHARS),
    )
