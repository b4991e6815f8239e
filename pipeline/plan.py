"""The production plan: a book's tracks and chunks with their cache keys, written to disk once so
that every later stage (and every Prefect task) works from a path, not from objects in memory."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from pydantic import BaseModel

from pipeline.book import Book, Chapter, ChapterKind, Paragraph
from pipeline.chunks import Chunk, chunk_book
from pipeline.lexicon.pronounce import Pronouncer
from pipeline.speech.cache import cache_key
from pipeline.speech.engine import Engine, SynthesisSettings, Voice

PLAN_VERSION = 1


class PlannedChunk(BaseModel):
    id: str
    key: str  # cache key: chunk id + engine + revision + voice + settings + seed
    seed: int
    text: str
    role: str
    paragraph: int
    ends_paragraph: bool
    scene_break_before: bool = False
    speech: str | None = None  # what the engine reads, when the lexicon changed `text`
    pronunciations: list[dict[str, str]] = []  # lexicon entries applied: {"grapheme", "alias"|"ipa"}
    mark: str | None = None  # a chapter marker inside the track starts at this chunk (grouped tiny leaves)

    @property
    def engine_text(self) -> str:
        return self.text if self.speech is None else self.speech

    @property
    def lexicon_key(self) -> str:
        """The cache key's share of the lexicon: empty when no entry applies, so that a lexicon
        change re-synthesises only the chunks whose spoken text it changes."""
        return "" if self.speech is None else ";lexicon=" + hashlib.sha256(self.speech.encode()).hexdigest()[:16]


class LexiconUse(BaseModel):
    files: list[str]  # lowest precedence first
    entries: int
    skipped: list[str] = []  # IPA-only entries this engine cannot say (left as written)
    changed_chunks: int | None = None  # chunks the lexicon now says differently than in the previous plan


class Track(BaseModel):
    index: int  # position in the audiobook, 0-based
    title: str  # written title, for tags and file names
    kind: str  # ChapterKind value, or "credits"
    chunks: list[PlannedChunk]


class BookInfo(BaseModel):
    title: str
    authors: list[str]
    language: str
    publisher: str | None = None
    date: str | None = None
    description: str | None = None
    cover_note: str | None = None


class Plan(BaseModel):
    version: int = PLAN_VERSION
    slug: str
    source: str
    source_sha256: str
    book: BookInfo
    engine: str
    model_revision: str
    sample_rate: int
    voice_name: str
    voice_hash: str
    settings: SynthesisSettings
    tracks: list[Track]
    lexicon: LexiconUse | None = None

    @property
    def chunks(self) -> list[PlannedChunk]:
        return [c for t in self.tracks for c in t.chunks]

    def save(self, path: Path) -> None:
        from pipeline.speech.cache import write_atomic

        write_atomic(path, self.model_dump_json(indent=1).encode())

    @classmethod
    def load(cls, path: Path) -> "Plan":
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['\u2019]", "", ascii_text)  # "Keeper's" -> "keepers", not "keeper-s"
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "book"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunk_seed(chunk_id: str, base_seed: int) -> int:
    """A per-chunk seed: reproducible for a (chunk, settings) pair, different between chunks."""
    return (int(chunk_id[:8], 16) + base_seed * 1_000_003) % (2**31)


def _credits(book: Book, voice: Voice) -> tuple[Chapter, Chapter]:
    by = f"Written by {book.author}."
    opening = Chapter(title="", kind=ChapterKind.CHAPTER, paragraphs=[
        Paragraph(f"{book.title}."), Paragraph(by), Paragraph(f"Narrated by {voice.name.title()}.")])
    closing = Chapter(title="", kind=ChapterKind.CHAPTER, paragraphs=[
        Paragraph("The End."), Paragraph(f"{book.title}."), Paragraph(by)])
    return opening, closing


def build_plan(book: Book, source: Path, engine: Engine, voice: Voice, settings: SynthesisSettings,
               pronouncer: Pronouncer | None = None, source_sha256: str | None = None) -> Plan:
    """The book's tracks of planned chunks. `source_sha256`: the manuscript's hash when the caller has it
    (hashing a large manuscript twice is wasted time)."""
    opening, closing = _credits(book, voice)
    chapters = [opening, *book.chapters, closing]
    spoken = Book(title=book.title, authors=book.authors, language=book.language, chapters=chapters)
    by_chapter: dict[int, list[Chunk]] = {}
    for chunk in chunk_book(spoken, max_chars=engine.max_chunk_chars):
        by_chapter.setdefault(chunk.chapter, []).append(chunk)
    titles = ["Opening Credits", *(c.located_title for c in book.chapters), "Closing Credits"]
    kinds = ["credits", *(c.kind.value for c in book.chapters), "credits"]
    tracks = []
    for index, chapter in enumerate(chapters):
        planned: list[PlannedChunk] = []
        for chunk in by_chapter.get(index, []):
            seed = chunk_seed(chunk.id, settings.seed)
            applied = pronouncer.apply(chunk.text) if pronouncer else None
            said = PlannedChunk(id=chunk.id, key="", seed=seed, text=chunk.text, role=chunk.role.value,
                                paragraph=chunk.paragraph, ends_paragraph=chunk.ends_paragraph,
                                scene_break_before=chunk.scene_break_before, mark=chunk.mark,
                                speech=applied.text if applied and applied.text != chunk.text else None,
                                pronunciations=applied.pronunciations if applied else [])
            said.key = cache_key(chunk.id, engine.name, engine.model_revision, voice.hash,
                                 settings.key() + said.lexicon_key, seed)
            planned.append(said)
        if planned:
            tracks.append(Track(index=len(tracks), title=titles[index] or f"Track {index}", kind=kinds[index],
                                chunks=planned))
    info = BookInfo(title=book.title, authors=book.authors, language=book.language, publisher=book.publisher,
                    date=book.date, description=book.description, cover_note=book.cover_note)
    return Plan(slug=slugify(book.title), source=str(source), source_sha256=source_sha256 or file_sha256(source),
                book=info,
                engine=engine.name, model_revision=engine.model_revision, sample_rate=engine.sample_rate,
                voice_name=voice.name, voice_hash=voice.hash, settings=settings, tracks=tracks,
                lexicon=LexiconUse(files=pronouncer.files, entries=pronouncer.entries, skipped=pronouncer.skipped)
                if pronouncer else None)
