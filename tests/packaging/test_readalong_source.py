"""When the manuscript's own XHTML cannot carry the read-along, nothing is written and the caller
falls back to generated documents (the full path is tested end to end in test_epub3)."""

from __future__ import annotations

from pipeline.packaging.readalong_source import write_source_readalong
from tests.manuscript.manuscript_epub_builder import Doc, EpubSpec, build_epub, xhtml

CHAPTER = Doc("c1.xhtml", xhtml("<section><h1>One</h1><p>It began. It ended.</p></section>"))


def test_an_epub_2_package_is_not_mapped(tmp_path):
    source = build_epub(tmp_path / "old.epub", EpubSpec([CHAPTER], toc=[("One", "c1.xhtml", [])], version=2))
    out = tmp_path / "book.epub"
    # The package is refused before the plan or any audio is looked at.
    assert write_source_readalong(out, tmp_path, None, [], [], source) is None
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_a_document_that_is_not_well_formed_xml_is_not_mapped(tmp_path):
    # The HTML reader copes with it; lxml's XML parser does not.
    sloppy = Doc("c2.xhtml", xhtml("<p>Unclosed <b>bold</p><p>More.</p>"))
    source = build_epub(tmp_path / "sloppy.epub", EpubSpec([CHAPTER, sloppy], toc=[("One", "c1.xhtml", []),
                                                                                  ("Two", "c2.xhtml", [])]))
    out = tmp_path / "book.epub"
    assert write_source_readalong(out, tmp_path, None, [], [], source) is None
    assert not out.exists()
