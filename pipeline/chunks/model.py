"""Chunks: the unit of speech synthesis, caching and resume."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ChunkRole(str, Enum):
    TITLE = "title"  # the spoken chapter title at the head of a chapter
    TEXT = "text"


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned piece of spoken-form text.

    `id` is a content hash of the spoken text and language (stable across runs and machines);
    the synthesis cache key adds engine, model revision, voice and settings on top of it.
    """

    id: str
    chapter: int  # index into Book.chapters
    paragraph: int  # index into Chapter.paragraphs; -1 for the title chunk
    text: str  # spoken form, what the engine reads
    ends_paragraph: bool  # the last chunk of its paragraph (or of the title): a longer pause follows
    role: ChunkRole = ChunkRole.TEXT
    scene_break_before: bool = False  # first chunk of a paragraph that follows a scene break
    mark: str | None = None  # a chapter marker starts here (a grouped tiny leaf's title)
