"""Book -> spoken-form, sentence-aligned chunks: the units of synthesis, caching and resume.

Per paragraph: normalise, collapse whitespace, split into sentences, split over-long sentences at
clause boundaries, then merge very short sentences ("Yes.") into a neighbour while the limit
allows. Chunks never cross paragraphs, so for every paragraph
`" ".join(chunk texts) == spoken paragraph` (save for a single word over `max_chars`, hard-split,
and sentences with nothing to say, such as "—" or "* * *": no letter or digit, so no speech).
"""

from __future__ import annotations

import re

from pipeline.book import Book, Chapter
from pipeline.chunks.ids import chunk_id
from pipeline.chunks.model import Chunk, ChunkRole
from pipeline.chunks.normalize import normalizer_for
from pipeline.chunks.normalize.punctuation import collapse_whitespace
from pipeline.chunks.sentences import split_sentences
from pipeline.chunks.splitting import split_long_sentence

DEFAULT_MIN_CHARS = 20
# A line break (verse, an address, a letter's close) is a short pause: a comma where the line does not
# already end in punctuation, so that verse is not read as one run-on sentence.
_LINE_END = re.compile(r"(?<=\w)[ \t]*\n\s*")


def spoken_heading(title: str, language: str) -> str:
    """A written heading as read aloud ("Chapter XII" -> "Chapter Twelve"); "" if untitled."""
    return collapse_whitespace(normalizer_for(language).title(title or ""))


def spoken_title(chapter: Chapter, language: str) -> str:
    """The chapter's own title as read aloud at its head."""
    return spoken_heading(chapter.title, language)


def spoken_text(paragraphs: list, language: str) -> list[str]:
    spoken = normalizer_for(language).paragraphs([_LINE_END.sub(", ", p.text) for p in paragraphs])
    return [collapse_whitespace(text) for text in spoken]


def spoken_paragraphs(chapter: Chapter, language: str) -> list[str]:
    """Each paragraph's spoken form (one entry per paragraph, "" where nothing is left to read)."""
    return spoken_text(chapter.paragraphs, language)


def text_pieces(text: str, language: str, max_chars: int, min_chars: int) -> list[str]:
    """Chunk texts for one spoken paragraph (or title)."""
    pieces: list[str] = []
    for sentence in split_sentences(text, language):
        pieces.extend(piece for piece in split_long_sentence(sentence, max_chars) if speakable(piece))
    return _merge_short(pieces, max_chars, min_chars)


def speakable(text: str) -> bool:
    """Whether an engine has anything to say: "—", "* * *" or "…" alone make no audio. Every chunk is."""
    return any(c.isalnum() for c in text)


def _merge_short(pieces: list[str], max_chars: int, min_chars: int) -> list[str]:
    """Join a piece shorter than `min_chars` to its neighbour when the result fits."""
    merged: list[str] = []
    for piece in pieces:
        if merged and (len(merged[-1]) < min_chars or len(piece) < min_chars) \
                and len(merged[-1]) + 1 + len(piece) <= max_chars:
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def chunk_chapter(chapter: Chapter, index: int, language: str, max_chars: int,
                  min_chars: int = DEFAULT_MIN_CHARS) -> list[Chunk]:
    """Title chunks (role TITLE, paragraph -1) then paragraph chunks for chapter number `index`."""
    _check_limits(max_chars, min_chars)
    chunks: list[Chunk] = []

    def add(texts: list[str], paragraph: int, role: ChunkRole, scene_break: bool, mark: str | None = None) -> None:
        for i, text in enumerate(texts):
            chunks.append(Chunk(
                id=chunk_id(language, role, text), chapter=index, paragraph=paragraph, text=text,
                ends_paragraph=i == len(texts) - 1, role=role,
                scene_break_before=scene_break and i == 0, mark=mark if i == 0 else None))

    # Parents first heard here (a book's, a part's, an act's heading and any text it carries), then
    # the chapter's own title after a longer pause (the scene-break pause before it).
    for lead in chapter.leads:
        add(text_pieces(spoken_heading(lead.title, language), language, max_chars, min_chars), -1,
            ChunkRole.TITLE, False)
        for spoken in spoken_text(lead.paragraphs, language):
            add(text_pieces(spoken, language, max_chars, min_chars), -1, ChunkRole.TITLE, False)
    title = spoken_title(chapter, language)
    add(text_pieces(title, language, max_chars, min_chars), -1, ChunkRole.TITLE, bool(chunks))
    # A scene break or a grouped leaf's marker before a paragraph with nothing to read ("* * *" alone)
    # moves on to the next chunk that says something.
    pending_break, pending_mark = False, None
    for number, (paragraph, spoken) in enumerate(
            zip(chapter.paragraphs, spoken_paragraphs(chapter, language))):
        pending_break = pending_break or paragraph.scene_break_before
        if paragraph.marker is not None:  # a grouped leaf's title: a marker, after a longer pause
            texts = text_pieces(spoken_heading(paragraph.text, language), language, max_chars, min_chars)
            role, pending_break, pending_mark = ChunkRole.TITLE, bool(chunks), pending_mark or paragraph.marker
        else:
            texts, role = text_pieces(spoken, language, max_chars, min_chars), ChunkRole.TEXT
        if texts:
            add(texts, number, role, pending_break, pending_mark)
            pending_break, pending_mark = False, None
    return chunks


def chunk_book(book: Book, max_chars: int, min_chars: int = DEFAULT_MIN_CHARS) -> list[Chunk]:
    """All chapters' chunks in reading order (endnotes in `book.notes` are not included)."""
    _check_limits(max_chars, min_chars)
    return [chunk for index, chapter in enumerate(book.chapters)
            for chunk in chunk_chapter(chapter, index, book.language, max_chars, min_chars)]


def _check_limits(max_chars: int, min_chars: int) -> None:
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    if not 0 <= min_chars <= max_chars:
        raise ValueError(f"min_chars must be between 0 and max_chars, got {min_chars}")
