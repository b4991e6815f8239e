"""Manuscript readers: EPUB, plain text and Markdown files become a `pipeline.book.Book`."""

from pipeline.manuscript.reader import SUPPORTED_SUFFIXES, read_manuscript

__all__ = ["SUPPORTED_SUFFIXES", "read_manuscript"]
