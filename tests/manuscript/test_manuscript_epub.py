"""EPUB reading: TOC (nav and NCX), anchors, parts, spine fallback, structure, notes, metadata, covers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from manuscript_epub_builder import PNG_1PX, SVG_COVER, Doc, EpubSpec, build_epub
from PIL import Image

from pipeline.book import ChapterKind
from pipeline.manuscript import read_manuscript


def chapter(n: int, heading: str = "", body: str = "") -> str:
    heading = heading or f"<h2>Chapter {n}</h2>"
    return f'<section epub:type="chapter" id="c{n}">{heading}{body or f"<p>Text of chapter {n}.</p>"}</section>'


def three_chapters() -> list[Doc]:
    return [Doc(f"c{n}.xhtml", chapter(n), "bodymatter") for n in (1, 2, 3)]


@pytest.mark.parametrize("version", [2, 3])
def test_toc_chapters_nav_and_ncx(tmp_path: Path, version: int) -> None:
    toc = [(f"Chapter {n}", f"c{n}.xhtml", []) for n in (1, 2, 3)]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(three_chapters(), toc, version=version)))
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert [c.paragraphs[0].text for c in book.chapters] == [f"Text of chapter {n}." for n in (1, 2, 3)]
    assert book.title == "Test Book" and book.authors == ["Ann Author"] and book.language == "en-GB"


@pytest.mark.parametrize("version", [2, 3])
def test_mid_file_anchors_split_the_document(tmp_path: Path, version: int) -> None:
    body = (
        '<h2 id="a">One</h2><p>First text.</p>'
        '<div><h2 id="b">Two</h2><p>Second text.</p></div>'
        '<p><a id="c"/></p><h2>Three</h2><p>Third text.</p>'
    )
    toc = [("One", "all.xhtml#a", []), ("Two", "all.xhtml#b", []), ("Three", "all.xhtml#c", [])]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec([Doc("all.xhtml", body)], toc, version=version)))
    assert [(c.title, [p.text for p in c.paragraphs]) for c in book.chapters] == [
        ("One", ["First text."]),
        ("Two", ["Second text."]),
        ("Three", ["Third text."]),
    ]


def test_nested_parts_are_a_tree_and_each_part_is_heard_once(tmp_path: Path) -> None:
    docs = [
        Doc("p1.xhtml", '<section epub:type="part"><h1>Part One</h1></section>'),
        *three_chapters()[:2],
        Doc("p2.xhtml", '<section epub:type="part"><h1>Part Two</h1><p>A part with its own words.</p></section>'),
        three_chapters()[2],
    ]
    toc = [
        ("Part One", "p1.xhtml", [("Chapter 1", "c1.xhtml", []), ("Chapter 2", "c2.xhtml", [])]),
        ("Part Two", "p2.xhtml", [("Chapter 3", "c3.xhtml", [])]),
    ]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert [c.located_title for c in book.chapters] == [
        "Part One, Chapter 1", "Part One, Chapter 2", "Part Two, Chapter 3"]
    assert [c.path for c in book.chapters] == [["Part One"], ["Part One"], ["Part Two"]]
    # A part's heading and its own words lead its first chapter, and only that one.
    assert [[(lead.title, [p.text for p in lead.paragraphs]) for lead in c.leads] for c in book.chapters] == [
        [("Part One", [])], [], [("Part Two", ["A part with its own words."])]]


@pytest.mark.parametrize("version", [2, 3])
def test_spine_fallback_without_toc(tmp_path: Path, version: int) -> None:
    docs = [Doc("t.xhtml", '<section epub:type="titlepage"><h1>Test Book</h1></section>'), *three_chapters()]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, None, version=version)))
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]


def test_document_missing_from_toc_continues_previous_chapter(tmp_path: Path) -> None:
    docs = [*three_chapters(), Doc("c3b.xhtml", "<p>More of chapter 3.</p>", "bodymatter")]
    toc = [(f"Chapter {n}", f"c{n}.xhtml", []) for n in (1, 2, 3)]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [p.text for p in book.chapters[-1].paragraphs] == ["Text of chapter 3.", "More of chapter 3."]


SKIPPED = ["toc", "titlepage", "halftitlepage", "copyright-page", "imprint", "colophon", "uncopyright", "index",
           "loi", "lot", "cover"]  # fmt: skip
OWN_TRACKS = {
    "dedication": ChapterKind.DEDICATION, "epigraph": ChapterKind.EPIGRAPH, "foreword": ChapterKind.FOREWORD,
    "preface": ChapterKind.PREFACE, "introduction": ChapterKind.INTRODUCTION, "prologue": ChapterKind.PROLOGUE,
    "epilogue": ChapterKind.EPILOGUE, "afterword": ChapterKind.AFTERWORD, "appendix": ChapterKind.APPENDIX,
}  # fmt: skip


def test_structural_semantics_decide_what_is_read(tmp_path: Path) -> None:
    docs = [Doc(f"{t}.xhtml", f'<section epub:type="{t}"><h2>{t.title()}</h2><p>{t} words.</p></section>') for t in SKIPPED]
    docs += [Doc(f"{t}.xhtml", f'<section epub:type="{t}"><h2>The {t}</h2><p>{t} words.</p></section>') for t in OWN_TRACKS]
    docs += three_chapters()
    toc = [(d.name, d.name, []) for d in docs]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    kinds = [(c.title, c.kind) for c in book.chapters]
    assert kinds == [(f"The {t}", k) for t, k in OWN_TRACKS.items()] + [(f"Chapter {n}", ChapterKind.CHAPTER) for n in (1, 2, 3)]


def test_landmarks_guide_and_file_names_skip_pages(tmp_path: Path) -> None:
    docs = [
        Doc("front.xhtml", "<p>Cover page text.</p>"),
        Doc("legal.xhtml", "<p>All rights reserved.</p>"),
        Doc("uncopyright.xhtml", "<p>Public domain.</p>"),
        *three_chapters(),
    ]
    toc = [(d.name, d.name, []) for d in docs]
    spec = EpubSpec(docs, toc, landmarks=[("cover", "front.xhtml"), ("copyright-page", "legal.xhtml")])
    assert [c.title for c in read_manuscript(build_epub(tmp_path / "b3.epub", spec)).chapters] == [
        "Chapter 1", "Chapter 2", "Chapter 3",
    ]  # fmt: skip
    spec = EpubSpec(docs, toc, version=2, guide=[("cover", "front.xhtml"), ("copyright-page", "legal.xhtml")])
    assert len(read_manuscript(build_epub(tmp_path / "b2.epub", spec)).chapters) == 3


def test_noterefs_removed_and_notes_collected(tmp_path: Path) -> None:
    body = (
        '<p>A claim<a href="notes.xhtml#n1" epub:type="noteref">1</a> and another<sup><a href="notes.xhtml#n2">2</a></sup>.</p>'
        '<aside epub:type="footnote" id="f1"><p>An inline footnote.</p></aside>'
    )
    notes = (
        '<section epub:type="endnotes"><h2>Notes</h2><ol>'
        '<li id="n1" epub:type="endnote"><p>First note. <a href="c1.xhtml#r1" epub:type="backlink">↩</a></p></li>'
        '<li id="n2" epub:type="endnote"><p>Second note.</p></li></ol></section>'
    )
    docs = [Doc("c1.xhtml", chapter(1, body=body)), Doc("c2.xhtml", chapter(2)), Doc("notes.xhtml", notes, "backmatter")]
    toc = [("Chapter 1", "c1.xhtml", []), ("Chapter 2", "c2.xhtml", []), ("Notes", "notes.xhtml", [])]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]
    assert [p.text for p in book.chapters[0].paragraphs] == ["A claim and another."]
    assert book.notes is not None and book.notes.kind is ChapterKind.NOTES
    assert [p.text for p in book.notes.paragraphs] == ["An inline footnote.", "First note.", "Second note."]


def test_standard_ebooks_titles(tmp_path: Path) -> None:
    hgroup = '<hgroup><h2 epub:type="ordinal z3998:roman">I</h2><p epub:type="title">A Letter</p></hgroup>'
    docs = [
        Doc("c1.xhtml", chapter(1, hgroup)),
        Doc("c2.xhtml", '<section epub:type="chapter"><p>Body two.</p></section>'),
        Doc("c3.xhtml", '<section epub:type="chapter"><h2 epub:type="ordinal">III</h2><p>Body three.</p></section>'),
    ]
    toc = [("I: A Letter", "c1.xhtml", []), ("II: The Reply", "c2.xhtml", []), ("III", "c3.xhtml", [])]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [c.title for c in book.chapters] == ["Chapter I: A Letter", "Chapter II: The Reply", "Chapter III"]


def test_title_not_repeated_as_first_paragraph(tmp_path: Path) -> None:
    docs = [Doc(f"c{n}.xhtml", f'<p class="title">Chapter {n}</p><p>Body {n}.</p>') for n in (1, 2)]
    toc = [(f"Chapter {n}", f"c{n}.xhtml", []) for n in (1, 2)]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [[p.text for p in c.paragraphs] for c in book.chapters] == [["Body 1."], ["Body 2."]]


def test_cleaning_in_xhtml(tmp_path: Path) -> None:
    body = (
        '<p>Soft\u00adhy\u00adphen and zero\u200bwidth\u2060 text<span epub:type="pagebreak" id="page12" title="12"/>'
        ' with a <span class="pagenum">[p. 12]</span>break and <img alt="a picture" src="x.png"/>image.</p>'
        '<div class="running-head">RUNNING HEAD</div>'
        "<p>She said <i>very</i> <em>softly</em>: “yes”.</p><hr/><p>After the break.</p>"
        '<p class="center">* * *</p><p>After stars.</p>'
        "<blockquote><p>Line one<br/>line two</p></blockquote><ul><li>Item one</li><li>Item two</li></ul>"
        "<p>Cafe\u0301   spaced\n   out.</p>"
    )
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec([Doc("c1.xhtml", chapter(1, body=body))], [("Chapter 1", "c1.xhtml", [])])))
    paragraphs = book.chapters[0].paragraphs
    texts = [p.text for p in paragraphs]
    assert texts == [
        "Softhyphen and zerowidth text with a break and image.",
        "She said very softly: “yes”.",
        "After the break.",
        "After stars.",
        "Line one\nline two",
        "Item one",
        "Item two",
        "Café spaced out.",
    ]
    assert paragraphs[1].emphasis == [(9, 20)]
    assert [p.scene_break_before for p in paragraphs[:4]] == [False, False, True, True]


def test_metadata_defaults_and_description(tmp_path: Path) -> None:
    spec = EpubSpec(three_chapters(), None, language=None, description="&lt;p&gt;A &lt;i&gt;fine&lt;/i&gt; book.&lt;/p&gt;")
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert book.language == "en"
    assert book.description == "A fine book."
    assert book.cover is None and book.cover_note


@pytest.mark.parametrize("version", [2, 3])
def test_raster_cover(tmp_path: Path, version: int) -> None:
    png = io.BytesIO()
    Image.new("RGB", (600, 600), "#336").save(png, "PNG")  # opaque, square, small: kept as it is
    spec = EpubSpec(three_chapters(), None, version=version, cover=("cover.png", png.getvalue(), "image/png"))
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert book.cover is not None and book.cover.mime == "image/png" and book.cover.data == png.getvalue()
    assert book.cover_note is None


def test_transparent_cover_is_flattened_and_says_so(tmp_path: Path) -> None:
    spec = EpubSpec(three_chapters(), None, cover=("cover.png", PNG_1PX, "image/png"))
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert book.cover is not None and Image.open(io.BytesIO(book.cover.data)).mode == "RGB"
    assert book.cover.mime == "image/jpeg"
    assert "transparency flattened" in (book.cover_note or "")


def test_svg_cover_rasterised(tmp_path: Path) -> None:
    spec = EpubSpec(three_chapters(), None, cover=("cover.svg", SVG_COVER, "image/svg+xml"))
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert book.cover is not None and book.cover.mime == "image/jpeg"
    image = Image.open(io.BytesIO(book.cover.data))  # 200×300 rendered 1400 px wide, padded square
    assert image.format == "JPEG" and image.size == (2100, 2100)
    assert book.cover_note == "cover padded from 1400×2100 to a 2100×2100 square, converted from SVG to JPEG"


def test_broken_cover_gives_note(tmp_path: Path) -> None:
    spec = EpubSpec(three_chapters(), None, cover=("cover.jpg", b"not really a jpeg", "image/gif"))
    book = read_manuscript(build_epub(tmp_path / "b.epub", spec))
    assert book.cover is None and "cover.jpg" in (book.cover_note or "")
