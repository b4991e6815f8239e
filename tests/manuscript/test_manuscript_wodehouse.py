"""The real Standard Ebooks EPUB 3 in the shared folder beside the repository."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from pipeline.book import ChapterKind
from pipeline.manuscript import read_manuscript

BOOK = Path(__file__).resolve().parents[2] / ".." / "shared" / "books" / "love-among-the-chickens.epub"

pytestmark = pytest.mark.skipif(not BOOK.exists(), reason="shared books folder not available")


@pytest.fixture(scope="module")
def book():
    return read_manuscript(BOOK)


def test_chapters_are_dedication_then_the_novel(book) -> None:
    assert len(book.chapters) == 24
    assert [c.kind for c in book.chapters] == [ChapterKind.DEDICATION] + [ChapterKind.CHAPTER] * 23
    titles = [c.title for c in book.chapters]
    assert titles[:3] == ["Dedication", "Chapter I: A Letter with a Postscript", "Chapter II: Mr. and Mrs. S. F. Ukridge"]
    assert titles[7] == "Chapter VII: The Entente Cordiale Is Sealed"
    assert titles[-1] == "Chapter XXIII: After the Storm"
    for skipped in ("Titlepage", "Imprint", "Colophon", "Uncopyright", "Love Among the Chickens"):
        assert skipped not in titles
    assert not any("Standard Ebooks" in p.text for c in book.chapters for p in c.paragraphs)
    assert book.chapters[1].paragraphs[0].text.startswith("“A gentleman called to see you")
    assert book.notes is None


def test_text_is_clean(book) -> None:
    text = "\n".join(p.text for c in book.chapters for p in c.paragraphs)
    assert "\u2060" not in text and "\u00ad" not in text
    assert 45_000 < book.words < 55_000
    assert any(p.scene_break_before for c in book.chapters for p in c.paragraphs)


def test_metadata_and_cover(book) -> None:
    assert book.title == "Love Among the Chickens"
    assert book.authors == ["P. G. Wodehouse"]
    assert book.language.startswith("en-")
    assert book.publisher == "Standard Ebooks"
    assert book.description and "chicken farm" in book.description
    assert book.cover is not None and book.cover.mime == "image/jpeg", book.cover_note
    assert Image.open(io.BytesIO(book.cover.data)).size[0] >= 1000
