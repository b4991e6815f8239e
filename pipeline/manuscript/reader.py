"""Dispatch on content: a zip is an EPUB whatever its name; everything else must be text."""

from __future__ import annotations

from pathlib import Path

from pipeline.book import Book
from pipeline.errors import InputError
from pipeline.input_files import check_input_file
from pipeline.manuscript.markdown_file import read_markdown
from pipeline.manuscript.metadata import tidy_metadata
from pipeline.manuscript.text_file import read_text

SUPPORTED_SUFFIXES = (".epub", ".txt", ".text", ".md", ".markdown")
# A paragraph longer than this is not prose but a file without paragraph breaks (or worse): chunking
# it would take minutes per megabyte and plan hundreds of hours of audio. Refused up front.
MAX_PARAGRAPH_CHARS = 1_000_000
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Common binary formats people hand over by mistake: name them instead of "not a text file".
_BINARY_MAGIC = {
    b"%PDF": "a PDF (not supported; convert it to EPUB or text)",
    b"\x89PNG": "a PNG image, not a text file",
    b"\xff\xd8\xff": "a JPEG image, not a text file",
    b"GIF8": "a GIF image, not a text file",
    b"\xd0\xcf\x11\xe0": "an old Word/Office document (not supported)",
}


def _dispatch(path: Path) -> Book:
    check_input_file(path, "a manuscript file")
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except PermissionError as error:
        raise InputError(f"{path}: cannot read the file (permission denied)") from error
    if head.startswith(_ZIP_MAGIC):
        from pipeline.manuscript.epub import read_epub  # ebooklib, lxml, cairosvg: only for EPUBs

        return read_epub(path)
    if path.suffix.lower() == ".epub":
        raise InputError(f"{path}: corrupt EPUB (not a zip archive)")
    for magic, problem in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise InputError(f"{path}: this is {problem}")
    if path.suffix.lower() in (".md", ".markdown"):
        return read_markdown(path)
    return read_text(path)


def _check_paragraphs(path: Path, book: Book) -> Book:
    for chapter in book.chapters:
        for paragraph in chapter.paragraphs:
            if len(paragraph.text) > MAX_PARAGRAPH_CHARS:
                raise InputError(f"{path}: a paragraph of {len(paragraph.text):,} characters in {chapter.title!r} "
                                 f"(the limit is {MAX_PARAGRAPH_CHARS:,}); is the text missing its paragraph breaks?")
    return book


def read_manuscript(path: Path) -> Book:
    """Read an EPUB, plain-text or Markdown manuscript. Any problem is an InputError naming the file."""
    path = Path(path)
    try:
        return tidy_metadata(_check_paragraphs(path, _dispatch(path)), path.stem)
    except InputError:
        raise
    except Exception as error:  # parser bugs and corrupt data must still reach the user as one line
        detail = " ".join(str(error).split())[:200]
        raise InputError(f"{path}: could not read the manuscript ({type(error).__name__}: {detail})") from error
