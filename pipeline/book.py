"""The book model: what a manuscript becomes once read, before it is turned into speech.

Readers in `pipeline.manuscript` produce it; `pipeline.chunks` turns it into spoken-form chunks.
Text here is clean written text (no page numbers, no noteref markers, no soft hyphens) but not yet
in spoken form: normalisation ("1859" -> "eighteen fifty-nine") happens in `pipeline.chunks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ChapterKind(str, Enum):
    """What a track is, from the manuscript's structural semantics (epub:type, landmarks, headings)."""

    DEDICATION = "dedication"
    EPIGRAPH = "epigraph"
    FOREWORD = "foreword"
    PREFACE = "preface"
    INTRODUCTION = "introduction"
    PROLOGUE = "prologue"
    CHAPTER = "chapter"
    EPILOGUE = "epilogue"
    AFTERWORD = "afterword"
    APPENDIX = "appendix"
    NOTES = "notes"  # endnote/footnote bodies, offered as one optional final track


@dataclass
class Paragraph:
    """One paragraph of written text. `scene_break` marks a section break (*, ***, <hr/>) before it."""

    text: str
    scene_break_before: bool = False
    # Character spans of emphasised text (italics etc.) in `text`, kept for expressive engines.
    emphasis: list[tuple[int, int]] = field(default_factory=list)
    # Words of the source text this paragraph was read from (per text node), for the coverage check.
    source_words: int = 0
    # Set on the heading of a tiny leaf grouped into a larger track: the leaf's located title, which
    # becomes a chapter marker inside the track; `text` is the leaf's own title, read as a title.
    marker: str | None = None
    # Where the text came from, for EPUB input: the content document (its path in the EPUB) and the
    # document-order numbers of the body's text nodes that were read into it (the read-along EPUB
    # wraps the phrases of the original XHTML with these). Empty for other inputs.
    source_document: str = ""
    source_nodes: tuple[int, ...] = ()


@dataclass
class Lead:
    """A parent section's heading and its own text (a part title page, an epigraph): spoken once,
    at the head of the parent's first track, followed by a longer pause."""

    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Skipped:
    """Something in the manuscript that is deliberately not read, and why."""

    what: str  # a title, a file name or a description ("page number")
    reason: str  # "titlepage", "notes", "page number", "gutenberg boilerplate"...
    words: int


@dataclass
class Chapter:
    title: str  # written title, e.g. "Chapter XII: A Letter" (normalised to spoken form later)
    paragraphs: list[Paragraph]
    kind: ChapterKind = ChapterKind.CHAPTER
    path: list[str] = field(default_factory=list)  # ancestors' written titles, outermost first
    leads: list[Lead] = field(default_factory=list)  # ancestors first heard here, outermost first
    # Unique title that says where the track is ("Book II, Chapter I: Five Years Later"); "" = `title`.
    track_title: str = ""

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)

    @property
    def located_title(self) -> str:
        return self.track_title or self.title


@dataclass
class Cover:
    data: bytes  # raster image bytes (JPEG or PNG); SVG covers are rasterised
    mime: str  # "image/jpeg" or "image/png"


@dataclass
class Book:
    title: str
    authors: list[str]
    language: str  # BCP-47, e.g. "en", "en-GB"
    chapters: list[Chapter]
    publisher: str | None = None
    date: str | None = None  # as given by the manuscript (ISO 8601 where known)
    description: str | None = None
    cover: Cover | None = None
    cover_note: str | None = None  # why there is no usable cover, or what was done to fit the cover to stores
    notes: Chapter | None = None  # endnote bodies, not read unless asked for
    skipped: list[Skipped] = field(default_factory=list)  # what is deliberately not read
    source_words: int | None = None  # words of the source read aloud (per text node), where counted

    @property
    def author(self) -> str:
        return " & ".join(self.authors) if self.authors else "Unknown author"

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)
