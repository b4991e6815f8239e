"""The book tree (pipeline/manuscript/tree.py) as read from generated EPUBs: parents heard once,
located unique titles, alphabet runs, Project Gutenberg boilerplate, nothing dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.chunks import book_summary, chunk_book
from pipeline.manuscript import read_manuscript
from tests.manuscript.manuscript_epub_builder import Doc, EpubSpec, build_epub


FILLER = "<p>" + "And so the story went on for a while. " * 20 + "</p>"  # 160 words: not a tiny leaf


def _chapter(name: str, heading: str, text: str, filler: str = FILLER) -> Doc:
    return Doc(name, f'<section epub:type="chapter"><h3>{heading}</h3><p>{text}</p>{filler}</section>', "bodymatter")


def _summary(path: Path) -> dict:
    book = read_manuscript(path)
    return book_summary(book, chunk_book(book, max_chars=400), with_chunks=True)


def test_nested_books_parts_and_epilogues_are_located_and_heard_once(tmp_path: Path) -> None:
    docs = [
        Doc("half.xhtml", '<section epub:type="halftitlepage"><h2>A Long Novel</h2></section>', "frontmatter"),
        Doc("book-1.xhtml", '<section epub:type="division"><h2>Book I</h2></section>', "bodymatter"),
        Doc("part-1-1.xhtml", '<section epub:type="part"><h3>Part I: 1805</h3>'
                              "<blockquote><p>An epigraph for the first part.</p></blockquote></section>"),
        _chapter("c-1-1-1.xhtml", "I", "Well, Prince, so Genoa and Lucca."),
        _chapter("c-1-1-2.xhtml", "II", "The drawing room was filling."),
        Doc("book-2.xhtml", '<section epub:type="division"><h2>Book II</h2></section>', "bodymatter"),
        _chapter("c-2-1.xhtml", "I: Five Years Later", "Pierre came back."),
        Doc("epilogue.xhtml", '<section epub:type="division"><h2>Epilogue</h2></section>', "bodymatter"),
        Doc("epilogue-1.xhtml", '<section epub:type="part"><h3>First Epilogue</h3></section>', "bodymatter"),
        _chapter("e-1-1.xhtml", "I", "Seven years had passed."),
        Doc("epilogue-2.xhtml", '<section epub:type="part"><h3>Second Epilogue</h3></section>', "bodymatter"),
        _chapter("e-2-1.xhtml", "I", "History is the life of nations."),
    ]
    toc = [("A Long Novel", "half.xhtml", [
        ("Book I", "book-1.xhtml", [("Part I: 1805", "part-1-1.xhtml", [
            ("I", "c-1-1-1.xhtml", []), ("II", "c-1-1-2.xhtml", [])])]),
        ("Book II", "book-2.xhtml", [("I: Five Years Later", "c-2-1.xhtml", [])]),
        ("Epilogue", "epilogue.xhtml", [
            ("First Epilogue", "epilogue-1.xhtml", [("I", "e-1-1.xhtml", [])]),
            ("Second Epilogue", "epilogue-2.xhtml", [("I", "e-2-1.xhtml", [])])]),
    ])]
    summary = _summary(build_epub(tmp_path / "novel.epub", EpubSpec(docs, toc)))
    chapters = summary["chapters"]
    assert [c["title"] for c in chapters] == [
        "Book One, Part One, Chapter One", "Book One, Part One, Chapter Two",
        "Book Two, Chapter One: Five Years Later", "First Epilogue, Chapter One", "Second Epilogue, Chapter One"]
    assert chapters[0]["path"] == ["Book One", "Part One: eighteen oh-five"]
    spoken = [[chunk["text"] for chunk in c["chunks"]] for c in chapters]
    # The parents' headings and the part's epigraph open the first chapter; the second hears none.
    assert spoken[0][:4] == ["Book One", "Part One: eighteen oh-five", "An epigraph for the first part.",
                             "Chapter One"]
    assert spoken[1][0] == "Chapter Two"
    assert spoken[2][:2] == ["Book Two", "Chapter One: Five Years Later"]
    assert spoken[3][:3] == ["Epilogue", "First Epilogue", "Chapter One"]
    assert spoken[4][:2] == ["Second Epilogue", "Chapter One"]
    assert {"what": "half.xhtml", "reason": "halftitlepage", "words": 3} in summary["skipped"]


def test_own_title_pause_is_longer_after_a_parent_heading(tmp_path: Path) -> None:
    docs = [Doc("act-1.xhtml", '<section epub:type="chapter"><h2>Act I</h2>'
                               '<section id="s1"><h3>Scene I</h3><p>Elsinore.</p></section>'
                               '<section id="s2"><h3>Scene II</h3><p>A room of state.</p></section></section>')]
    toc = [("Act I", "act-1.xhtml", [("Scene I", "act-1.xhtml#s1", []), ("Scene II", "act-1.xhtml#s2", [])])]
    book = read_manuscript(build_epub(tmp_path / "play.epub", EpubSpec(docs, toc)))
    chunks = chunk_book(book, max_chars=400)
    first = [c for c in chunks if c.chapter == 0]
    assert [(c.text, c.role.value, c.scene_break_before) for c in first[:2]] == [
        ("Act One", "title", False), ("Scene One", "title", True)]  # the scene pause follows the act
    assert [c.located_title for c in book.chapters] == ["Act I, Scene I", "Act I, Scene II"]


def test_same_located_title_twice_is_made_unique(tmp_path: Path) -> None:
    docs = [_chapter(f"c{n}.xhtml", "Interlude", f"Text number {n}.") for n in (1, 2)]
    toc = [("Interlude", "c1.xhtml", []), ("Interlude", "c2.xhtml", [])]
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [c.located_title for c in book.chapters] == ["Interlude (1)", "Interlude (2)"]


def test_alphabet_run_headings_are_letters_not_numbers(tmp_path: Path) -> None:
    letters = ["A", "B", "C", "D", "I", "L", "M", "V", "X"]
    docs = [_chapter(f"{x}.xhtml", x, f"Words that begin with {x.lower()}.", filler="") for x in letters]
    toc = [(x, f"{x}.xhtml", []) for x in letters]
    summary = _summary(build_epub(tmp_path / "dictionary.epub", EpubSpec(docs, toc)))
    # Nine tiny letters are one track; each letter is a heading (and an M4B marker) inside it.
    assert [c["title"] for c in summary["chapters"]] == ["A – X"]
    spoken = [chunk["text"] for chunk in summary["chapters"][0]["chunks"]]
    assert [t for t in spoken if t.startswith("The letter")] == [f"The letter {x}" for x in letters]


def test_roman_chapters_without_letters_stay_numbers(tmp_path: Path) -> None:
    numerals = ["I", "II", "III", "IV", "V"]
    docs = [_chapter(f"{x}.xhtml", x, "Some text.") for x in numerals]
    summary = _summary(build_epub(tmp_path / "b.epub", EpubSpec(docs, [(x, f"{x}.xhtml", []) for x in numerals])))
    assert [c["title"] for c in summary["chapters"]] == [f"Chapter {n}" for n in ("One", "Two", "Three", "Four", "Five")]


# Project Gutenberg's EPUBs (ebookmaker): the header and the licence are sections with these ids and
# classes; the book's own HTML title page and a contents table of internal links come first.
PG_HEADER = ('<section class="pg-boilerplate pgheader" id="pg-header" lang="en">'
             '<h2 id="pg-header-heading">The Project Gutenberg eBook of A Short Tale</h2>'
             "<div>This ebook is for the use of anyone anywhere in the United States and most other parts of the "
             "world at no cost and with almost no restrictions whatsoever.</div>"
             '<div id="pg-start-separator"><span>*** START OF THE PROJECT GUTENBERG EBOOK A SHORT TALE ***</span>'
             "</div></section>")
PG_FOOTER = ('<section class="pg-boilerplate pgfooter" id="pg-footer">'
             '<div id="pg-end-separator"><span>*** END OF THE PROJECT GUTENBERG EBOOK A SHORT TALE ***</span></div>'
             '<div id="project-gutenberg-license"><h2>THE FULL PROJECT GUTENBERG LICENSE</h2>'
             "<p>PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK. To protect the Project Gutenberg mission "
             "of promoting the free distribution of electronic works, by using or distributing this work, you agree "
             "to comply with all the terms of the Full Project Gutenberg License.</p></div></section>")
PG_CONTENTS = ('<h2>CONTENTS</h2><table><tr><td><a class="pginternal" href="tale-1.xhtml#c1">CHAPTER I.</a></td></tr>'
               '<tr><td><a class="pginternal" href="tale-1.xhtml#c2">CHAPTER II.</a></td></tr>'
               '<tr><td><a class="pginternal" href="tale-1.xhtml#c3">CHAPTER III.</a></td></tr></table>')


@pytest.mark.parametrize("version", [2, 3])
def test_gutenberg_boilerplate_licence_and_contents_are_not_read(tmp_path: Path, version: int) -> None:
    front = f"{PG_HEADER}<h1>A Short Tale</h1><p>by Ann Author</p>{PG_CONTENTS}"
    chapters = "".join(f'<div class="chapter"><h2 id="c{n}">CHAPTER {r}.</h2><p>The {w} chapter of the tale.</p>{FILLER}</div>'
                       for n, r, w in ((1, "I", "first"), (2, "II", "second"), (3, "III", "third")))
    docs = [Doc("tale-0.xhtml", front), Doc("tale-1.xhtml", chapters), Doc("tale-2.xhtml", PG_FOOTER)]
    toc = [("A Short Tale", "tale-0.xhtml", []), ("CHAPTER I.", "tale-1.xhtml#c1", []),
           ("CHAPTER II.", "tale-1.xhtml#c2", []), ("CHAPTER III.", "tale-1.xhtml#c3", []),
           ("THE FULL PROJECT GUTENBERG LICENSE", "tale-2.xhtml", [])]
    spec = EpubSpec(docs, toc, version=version, title="A Short Tale")
    summary = _summary(build_epub(tmp_path / "pg.epub", spec))
    assert [c["title"] for c in summary["chapters"]] == ["Chapter One.", "Chapter Two.", "Chapter Three."]
    spoken = " ".join(chunk["text"] for c in summary["chapters"] for chunk in c["chunks"])
    assert "Gutenberg" not in spoken and "CHAPTER" not in spoken and "Ann Author" not in spoken
    reasons = {entry["reason"] for entry in summary["skipped"]}
    assert {"gutenberg boilerplate", "contents", "titlepage"} <= reasons


def test_deep_tables_lists_and_asides_are_read_in_order(tmp_path: Path) -> None:
    deep = "<div>" * 1200 + "<p>Deep inside.</p>" + "</div>" * 1200
    body = (f'<section epub:type="chapter"><h2>One</h2><p>Before.</p>{deep}'
            "<table><tr><td>In a cell.</td></tr></table><dl><dt>Term</dt><dd>Its meaning.</dd></dl>"
            "<aside><p>An aside that is not a note.</p></aside><blockquote><p>Quoted.</p></blockquote>"
            '<p>Verse line one<br/>verse line two.</p></section>')
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec([Doc("c.xhtml", body)], [("One", "c.xhtml", [])])))
    assert [p.text for p in book.chapters[0].paragraphs] == [
        "Before.", "Deep inside.", "In a cell.", "Term", "Its meaning.", "An aside that is not a note.", "Quoted.",
        "Verse line one\nverse line two."]
    chunks = [c.text for c in chunk_book(book, max_chars=400)]
    assert chunks[-1] == "Verse line one, verse line two."  # a line break is a short pause
    assert book.source_words == 24


def test_note_marker_and_page_number_in_a_heading_are_skipped_not_read(tmp_path: Path) -> None:
    body = ('<section epub:type="chapter"><h2>The Storm<a epub:type="noteref" href="#n1">12</a>'
            '<span epub:type="pagebreak" id="page-7">7</span></h2><p>Rain fell on the sea.</p>'
            '<aside epub:type="footnote" id="n1"><p>A note on storms.</p></aside></section>')
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec([Doc("c.xhtml", body)], [("Storm", "c.xhtml", [])])))
    assert book.chapters[0].title == "The Storm"
    skipped = {s.reason: s.words for s in book.skipped}
    assert (skipped["note reference"], skipped["page number"], skipped["notes"]) == (1, 1, 4)
    assert book.source_words == 7  # "The Storm" + "Rain fell on the sea."


def test_inline_speaker_label_is_its_own_paragraph(tmp_path: Path) -> None:
    body = ('<section epub:type="chapter"><h2>Scene</h2><p><b epub:type="z3998:persona">Hamlet.</b> To be, or not '
            'to be.</p><p><i epub:type="z3998:stage-direction">Enter <b epub:type="z3998:persona">Ophelia</b>.</i></p>'
            "</section>")
    book = read_manuscript(build_epub(tmp_path / "b.epub", EpubSpec([Doc("c.xhtml", body)], [("Scene", "c.xhtml", [])])))
    assert [p.text for p in book.chapters[0].paragraphs] == ["Hamlet.", "To be, or not to be.", "Enter Ophelia."]


def _poems(count: int, lines: int = 2) -> tuple[list[Doc], list]:
    docs = [Doc("songs.xhtml", '<section epub:type="part"><h2>Songs</h2></section>')]
    children = []
    for n in range(1, count + 1):
        verse = "<br/>".join(f"Line {w} of the song" for w in ("one", "two", "three", "four")[:lines])
        docs.append(Doc(f"s{n}.xhtml", f'<section epub:type="chapter"><h3>Song {n}</h3><p>{verse}</p></section>'))
        children.append((f"Song {n}", f"s{n}.xhtml", []))
    return docs, [("Songs", "songs.xhtml", children)]


def test_tiny_leaves_are_grouped_with_a_marker_each(tmp_path: Path) -> None:
    docs, toc = _poems(5)
    docs.append(Doc("long.xhtml", '<section epub:type="chapter"><h2>A Long Poem</h2><p>' + "word " * 200 + "</p></section>"))
    toc.append(("A Long Poem", "long.xhtml", []))
    book = read_manuscript(build_epub(tmp_path / "poems.epub", EpubSpec(docs, toc)))
    assert [c.located_title for c in book.chapters] == ["Songs, Song 1 – Song 5", "A Long Poem"]
    chunks = [c for c in chunk_book(book, max_chars=400) if c.chapter == 0]
    assert [c.text for c in chunks[:4]] == ["Songs", "Song One – Song Five", "Song One",
                                            "Line one of the song, Line two of the song"]
    assert [c.mark for c in chunks if c.mark] == [f"Songs, Song {n}" for n in range(1, 6)]
    assert all(c.scene_break_before for c in chunks if c.mark)  # the longer pause before each leaf


def test_a_few_tiny_leaves_stay_tracks_of_their_own(tmp_path: Path) -> None:
    docs, toc = _poems(4)
    book = read_manuscript(build_epub(tmp_path / "poems.epub", EpubSpec(docs, toc)))
    assert [c.located_title for c in book.chapters] == [f"Songs, Song {n}" for n in range(1, 5)]


def test_a_parent_that_is_only_a_label_in_the_toc_is_still_a_parent(tmp_path: Path) -> None:
    docs = [_chapter(f"c{n}.xhtml", f"Chapter {r}", "Text.") for n, r in ((1, "I"), (2, "II"), (3, "I"))]
    toc = [("Book the First", None, [("Chapter I", "c1.xhtml", []), ("Chapter II", "c2.xhtml", [])]),
           ("Book the Second", None, [("Chapter I", "c3.xhtml", [])])]
    summary = _summary(build_epub(tmp_path / "b.epub", EpubSpec(docs, toc)))
    assert [c["title"] for c in summary["chapters"]] == [
        "Book the First, Chapter One", "Book the First, Chapter Two", "Book the Second, Chapter One"]
    assert [c["chunks"][0]["text"] for c in summary["chapters"]] == ["Book the First", "Chapter Two", "Book the Second"]
