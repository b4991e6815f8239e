"""Metadata fit for tags, stores and the terminal (pipeline/manuscript/metadata.py), whatever the
manuscript says: capped lengths, no control characters, a real language tag."""

from __future__ import annotations

from pathlib import Path

from manuscript_epub_builder import Doc, EpubSpec, build_epub

from pipeline.manuscript import read_manuscript
from pipeline.manuscript.metadata import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, capped


def test_a_10_mb_description_is_capped_at_a_word(tmp_path: Path) -> None:
    """It used to be copied whole into the M4B, the manifest and the report."""
    words = "a fine tale of hens " * 524_288  # 10 MiB
    path = tmp_path / "big.md"
    path.write_text(f"---\ntitle: {'Long ' * 200}Title\ndescription: {words}\n---\n\n## One\n\nText.\n")
    book = read_manuscript(path)
    assert len(book.description) <= MAX_DESCRIPTION_CHARS and book.description.endswith("…")
    assert book.description.startswith("a fine tale of hens a fine") and not book.description[:-1].endswith(" ")
    assert len(book.title) <= MAX_TITLE_CHARS and book.title.endswith("Long…")


def test_epub_metadata_loses_c1_controls_and_a_bogus_language(tmp_path: Path) -> None:
    """XML forbids most C0 controls, but C1 ones such as CSI (U+009B) pass the parser."""
    docs = [Doc("c1.xhtml", "<h2>One</h2><p>Some text.</p>", "bodymatter"),
            Doc("c2.xhtml", "<h2>Two\u009b2J</h2><p>More\u0085text\u009d0;x\u009c here.</p>", "bodymatter")]
    spec = EpubSpec(docs, [("One", "c1.xhtml", []), ("Two\u009b2J", "c2.xhtml", [])], title="Evil\u009b31m Red",
                    authors=["Ann\u0090q\u009c Author"], language="en\u009b0m; rm -rf", description="Nice\u009b2J book.")
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert (book.title, book.authors, book.language, book.description) == ("Evil Red", ["Ann Author"], "en", "Nice book.")
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert book.chapters[1].paragraphs[0].text == "More text here."


def test_capped_cuts_at_a_word_or_mid_word_when_there_is_none() -> None:
    assert capped("short", 10) == "short"
    assert capped("one two three four", 12) == "one two…"
    assert capped("x" * 30, 10) == "x" * 9 + "…"
