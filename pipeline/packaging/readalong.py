"""Read-along text: the book's written sentences, each with where it is heard in the mastered files.

Timing comes from the captions' source, nothing else: a chunk's place in its file (the mastering
layout: head room tone, title readings, pauses) cut into sentence cues by `chunk_cues`. A written
sentence is matched to its spoken form by normalising it on its own: for every paragraph the
spoken forms of its written sentences, joined, are the paragraph the engine read (checked; a
paragraph where they are not becomes one phrase). A phrase is the smallest run of written
sentences whose spoken span starts and ends on cue edges, so a sentence split across chunks is
one phrase, and a cue never straddles two phrases.

Written text comes from the manuscript re-read at packaging time (checked against the plan's
sha256); without it (credits, a changed manuscript) the spoken text is shown instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.book import Book, Chapter, Paragraph
from pipeline.chunks.chunking import spoken_paragraphs, spoken_text
from pipeline.chunks.normalize.punctuation import _SPACES
from pipeline.chunks.sentences import split_sentences
from pipeline.errors import PipelineError
from pipeline.mastering.render import ChunkTiming, RenderedPart
from pipeline.packaging.captions import chunk_cues
from pipeline.plan import Plan, PlannedChunk, Track, file_sha256

_WORD = re.compile(f"(?:(?!{_SPACES.pattern}).)+")  # runs between the whitespace that collapse_whitespace merges


@dataclass
class Phrase:
    """A run of text read as one: `text[start:end]` of its block, heard in file `part` from `begin`
    to `end_s` (seconds; the captions' first cue start and last cue end)."""

    id: str
    start: int
    end: int
    part: int  # index into the book's rendered parts (audio files), in book order
    begin: float
    end_s: float


@dataclass
class Block:
    """A heading or paragraph: its written text ("\\n" = line break), emphasis spans, read phrases."""

    kind: str  # "heading" | "paragraph"
    text: str
    emphasis: list[tuple[int, int]] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    scene_break_before: bool = False
    source_document: str = ""  # EPUB input: the paragraph's content document and text nodes (see Paragraph)
    source_nodes: tuple[int, ...] = ()


@dataclass
class Document:
    """One content document: a track of the audiobook, or the unread notes."""

    name: str  # file stem, e.g. "t03"
    title: str
    kind: str  # ChapterKind value, "credits" or "notes"
    blocks: list[Block]

    @property
    def phrases(self) -> list[Phrase]:
        return [p for b in self.blocks for p in b.phrases]


@dataclass
class _Heard:
    chunk: PlannedChunk
    part: int
    timing: ChunkTiming


def readalong_documents(plan: Plan, parts: list[RenderedPart], book: Book | None) -> list[Document]:
    """Content documents for every track (in order), then the notes (text only) when the book has any."""
    timings: dict[int, list[tuple[int, ChunkTiming]]] = {}
    for index, part in enumerate(parts):
        timings.setdefault(part.track, []).extend((index, t) for t in part.timings)
    written = _written_chapters(plan, book)
    language = plan.book.language
    documents = []
    for track in plan.tracks:
        placed = timings.get(track.index, [])
        if [t.id for _, t in placed] != [c.id for c in track.chunks]:
            raise PipelineError(f"track {track.index} ({track.title}): its mastered files do not hold the planned "
                                f"chunks; produce the book again")
        items = [_Heard(chunk, index, timing) for chunk, (index, timing) in zip(track.chunks, placed)]
        documents.append(_track_document(track, items, written.get(track.index), language))
    if book is not None and book.notes is not None:
        blocks = [Block("paragraph", p.text, list(p.emphasis), scene_break_before=p.scene_break_before)
                  for p in book.notes.paragraphs]
        documents.append(Document("notes", "Notes", "notes", [Block("heading", "Notes"), *blocks]))
    return documents


def manuscript_book(plan: Plan) -> Book | None:
    """The manuscript the plan was made from, if it is still there unchanged."""
    from pipeline.manuscript import read_manuscript

    source = Path(plan.source)
    try:
        if file_sha256(source) != plan.source_sha256:
            return None
        return read_manuscript(source)
    except (OSError, PipelineError):
        return None


def _written_chapters(plan: Plan, book: Book | None) -> dict[int, Chapter]:
    """The book chapter each track reads, matched by spoken text, in order (credits match none)."""
    if book is None:
        return {}
    found: dict[int, Chapter] = {}
    position = 0
    for track in plan.tracks:
        if track.kind == "credits":
            continue
        spoken = _spoken_by_paragraph(track.chunks)
        for candidate in range(position, len(book.chapters)):
            chapter = book.chapters[candidate]
            forms = spoken_paragraphs(chapter, plan.book.language)
            if all(p < len(forms) and forms[p] == text for p, text in spoken.items()):
                found[track.index] = chapter
                position = candidate + 1
                break
    return found


def _spoken_by_paragraph(chunks: list[PlannedChunk]) -> dict[int, str]:
    texts: dict[int, list[str]] = {}
    for chunk in chunks:
        if chunk.role != "title":
            texts.setdefault(chunk.paragraph, []).append(chunk.text)
    return {p: " ".join(t) for p, t in texts.items()}


def _track_document(track: Track, items: list[_Heard], chapter: Chapter | None, language: str) -> Document:
    name = f"t{track.index + 1:03d}"
    titled = [h for h in items if h.chunk.role == "title"]
    blocks: list[Block] = []
    heading = Block("heading", track.title)
    if titled:
        heading.phrases.append(Phrase("title", 0, len(heading.text), titled[0].part, titled[0].timing.start,
                                      titled[-1].timing.end))
    blocks.append(heading)
    by_paragraph: dict[int, list[_Heard]] = {}
    for h in items:
        if h.chunk.role != "title":
            by_paragraph.setdefault(h.chunk.paragraph, []).append(h)
    if chapter is not None:
        # A sentence's spoken form as the chunker makes a paragraph's (line ends read as pauses).
        spoken_form = lambda sentence: spoken_text([Paragraph(sentence)], language)[0]  # noqa: E731
        for number, paragraph in enumerate(chapter.paragraphs):
            block = Block("paragraph", paragraph.text, list(paragraph.emphasis),
                          scene_break_before=paragraph.scene_break_before,
                          source_document=paragraph.source_document, source_nodes=paragraph.source_nodes)
            if number in by_paragraph:
                block.phrases = _phrases(block.text, by_paragraph[number], f"p{number}", language, spoken_form)
            blocks.append(block)
    else:  # what was read is all there is: show the spoken text
        for number, heard in sorted(by_paragraph.items()):
            text = " ".join(h.chunk.text for h in heard)
            block = Block("paragraph", text, scene_break_before=heard[0].chunk.scene_break_before)
            block.phrases = _phrases(text, heard, f"p{number}", language, lambda sentence: sentence)
            blocks.append(block)
    return Document(name, track.title, track.kind, blocks)


def _phrases(text: str, heard: list[_Heard], prefix: str, language: str, spoken_form) -> list[Phrase]:
    """Phrases of one paragraph: written sentences grouped until their spoken edges are cue edges."""
    # Cues of the paragraph with their offsets in the spoken paragraph (chunk texts joined by spaces).
    cues, offset = [], 0
    for h in heard:
        for cue in chunk_cues(h.timing.start, h.timing.end, h.chunk.text, language):
            cues.append((offset, h.part, cue))
            offset += len(cue.text) + 1
    spoken = " ".join(h.chunk.text for h in heard)
    collapsed, to_text = _collapse_with_map(text)
    sentences, at = [], 0  # (start, end) in `collapsed`, spoken start or None
    for sentence in split_sentences(collapsed, language):
        written = text[to_text[at]:to_text[at + len(sentence) - 1] + 1]  # with its line breaks
        sentences.append((at, at + len(sentence), spoken_form(written)))
        at += len(sentence) + 1
    forms = [s for _, _, s in sentences if s]
    whole = [Phrase(f"{prefix}s0", 0, len(text), cues[0][1], cues[0][2].start, cues[-1][2].end)]
    if not sentences or " ".join(forms) != spoken:
        return whole  # the paragraph as one phrase: its edges are still exact
    cue_starts = {c[0] for c in cues}
    groups: list[tuple[list[int], int]] = []  # (sentence indices, spoken start) per phrase
    members: list[int] = []
    position = 0
    for i, (_, _, form) in enumerate(sentences):
        if form and members and position in cue_starts and any(sentences[j][2] for j in members):
            groups.append((members, bound))
            members = []
        if form and not any(sentences[j][2] for j in members):
            bound = position
        members.append(i)
        if form:
            position += len(form) + 1
    groups.append((members, bound))
    phrases = []
    for n, (group, lo) in enumerate(groups):
        hi = groups[n + 1][1] if n + 1 < len(groups) else len(spoken) + 1
        mine = [c for c in cues if lo <= c[0] < hi]
        if not mine:
            return whole
        start, end = to_text[sentences[group[0]][0]], to_text[sentences[group[-1]][1] - 1] + 1
        phrases.append(Phrase(f"{prefix}s{n}", start, end, mine[0][1], mine[0][2].start, mine[-1][2].end))
    if len({p.part for p in phrases}) > 1:
        return whole  # parts split between paragraphs, so this cannot happen; never mix files in one block
    return phrases


def _collapse_with_map(text: str) -> tuple[str, list[int]]:
    """`collapse_whitespace(text)` and, for each of its characters, its index in `text`."""
    words = [m for m in _WORD.finditer(text)]
    collapsed = " ".join(m.group() for m in words)
    mapping: list[int] = []
    for n, m in enumerate(words):
        if n:
            mapping.append(m.start() - 1)  # the space stands for the whitespace before the word
        mapping.extend(range(m.start(), m.end()))
    return collapsed, mapping
