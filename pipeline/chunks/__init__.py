"""Book -> spoken-form, sentence-aligned chunks (normalisation, segmentation, chunking, summary)."""

from pipeline.chunks.chunking import chunk_book, chunk_chapter, spoken_paragraphs, spoken_title
from pipeline.chunks.model import Chunk, ChunkRole
from pipeline.chunks.normalize import normalizer_for
from pipeline.chunks.summary import book_summary, tree_rows

__all__ = ["Chunk", "ChunkRole", "book_summary", "chunk_book", "chunk_chapter",
           "normalizer_for", "spoken_paragraphs", "spoken_title", "tree_rows"]
