"""Plain-text and Markdown manuscripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.book import ChapterKind
from pipeline.errors import InputError
from pipeline.chunks import book_summary, chunk_book
from pipeline.chunks.chunking import spoken_heading
from pipeline.manuscript import read_manuscript

NOVEL = """Chapter 1: The Start

It was a dark
and stormy night.

“Quite,” said she.

* * *

Later that extra-
ordinary evening, the Anglo-
Saxon guests left.

CHAPTER II
THE MIDDLE

Middle text here.

Chapter Twelve

Twelve text.

Epilogue

The end.
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_headings_paragraphs_scene_breaks_and_hyphens(tmp_path: Path) -> None:
    book = read_manuscript(write(tmp_path, "my-novel.txt", NOVEL))
    assert book.title == "my-novel" and book.authors == [] and book.language == "en"
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("Chapter 1: The Start", ChapterKind.CHAPTER),
        ("Chapter II: The Middle", ChapterKind.CHAPTER),
        ("Chapter Twelve", ChapterKind.CHAPTER),
        ("Epilogue", ChapterKind.EPILOGUE),
    ]
    first = book.chapters[0].paragraphs
    assert [p.text for p in first] == [
        "It was a dark and stormy night.",
        "“Quite,” said she.",
        "Later that extraordinary evening, the Anglo-Saxon guests left.",
    ]
    assert [p.scene_break_before for p in first] == [False, False, True]


# UTF-32's BOM starts like UTF-16's (it was read as UTF-16: garbage with NULs); without a BOM, UTF-16/32
# text has NUL bytes and was refused as binary.
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252", "latin-1", "utf-32", "utf-32-le", "utf-32-be",
                                      "utf-16-le", "utf-16-be"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Part One\n\nThe café’s crème brûlée — “naïve” déjà vu, façade.\n\nPart Two\n\nMore words.\n"
    if encoding == "latin-1":
        text = text.replace("’", "'").replace("—", "-").replace("“", '"').replace("”", '"')
    book = read_manuscript(write(tmp_path, "enc.txt", text * 3 if encoding != "latin-1" else text, encoding))
    assert book.chapters[0].title == "Part One"
    assert "crème brûlée" in book.chapters[0].paragraphs[0].text
    assert "naïve" in book.chapters[0].paragraphs[0].text
    assert not any("\x00" in p.text for c in book.chapters for p in c.paragraphs)


@pytest.mark.parametrize(
    "heading, title",
    [("Prologue", "Prologue"), ("Introduction", "Introduction"), ("Preface", "Preface"),
     ("CHAPTER XII. A Storm", "Chapter XII: A Storm"), ("Chapter Twenty-One", "Chapter Twenty-One"),
     ("LETTER IV", "Letter IV"), ("Stave One", "Stave One"), ("CANTO THE FIRST", "Canto the First")],
)  # fmt: skip
def test_heading_patterns(tmp_path: Path, heading: str, title: str) -> None:
    book = read_manuscript(write(tmp_path, "h.txt", f"{heading}\n\nBody text.\n\nChapter 99\n\nMore.\n"))
    assert [c.title for c in book.chapters] == [title, "Chapter 99"]


@pytest.mark.parametrize(
    "heading, title",
    [("PART I", "Part I"), ("Book 2", "Book 2"), ("BOOK THE FIRST", "Book the First"), ("Volume Two", "Volume Two"),
     ("BOOK FIRST.—A JUST MAN", "Book First: A Just Man"), ("Act III", "Act III")],
)  # fmt: skip
def test_container_headings_are_parents(tmp_path: Path, heading: str, title: str) -> None:
    """A part, book, volume or act holds the chapters after it: heard once, at the head of the first."""
    book = read_manuscript(write(tmp_path, "h.txt", f"{heading}\n\nBody text.\n\nChapter 99\n\nMore.\n"))
    assert [(c.located_title, c.path) for c in book.chapters] == [(f"{title.split(':')[0]}, Chapter 99", [title])]
    assert [(lead.title, [p.text for p in lead.paragraphs]) for lead in book.chapters[0].leads] == [(title, ["Body text."])]


def test_no_headings_is_one_chapter(tmp_path: Path) -> None:
    book = read_manuscript(write(tmp_path, "essay.txt", "Just some text\nover lines.\n\nAnd a second paragraph.\n"))
    assert [(c.title, [p.text for p in c.paragraphs]) for c in book.chapters] == [
        ("essay", ["Just some text over lines.", "And a second paragraph."])
    ]


def test_gutenberg_header_and_licence(tmp_path: Path) -> None:
    text = (
        "The Project Gutenberg eBook of A Tale\n\nTitle: A Tale\n\nAuthor: Jane Doe\n\nLanguage: English\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK A TALE ***\n\nA Tale\n\nCONTENTS\n\nCHAPTER I. Begin\nCHAPTER II. End\n\n"
        "CHAPTER I. Begin\n\nOnce upon a time.\n\nCHAPTER II. End\n\nThe end.\n\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK A TALE ***\n\nLicence text that must not be read.\n"
    )
    book = read_manuscript(write(tmp_path, "pg.txt", text))
    assert (book.title, book.authors, book.language) == ("A Tale", ["Jane Doe"], "en")
    assert [c.title for c in book.chapters] == ["Chapter I: Begin", "Chapter II: End"]
    assert all("Licence" not in p.text for c in book.chapters for p in c.paragraphs)


def test_large_single_line_file_is_refused_quickly(tmp_path: Path) -> None:
    # 10 MB with no paragraph break: not a manuscript anyone can narrate; refuse rather than grind.
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * (10 * 1024 * 1024 // 5))
    with pytest.raises(InputError, match="big.txt.*paragraph breaks"):
        read_manuscript(path)


MARKDOWN = """---
title: "My Story"
author: [Ann One, Bob Two]
language: fr
date: 2020-01-02
description: A *short* tale.
---

## Chapter 1

Some *emphasised* text with an ![alt words](x.png) image.

<!-- a comment -->

***

After the break.

```
code that is not read
```

## Chapter 2

- item one
- item two

> quoted line
"""


def test_markdown_front_matter_headings_scene_breaks(tmp_path: Path) -> None:
    book = read_manuscript(write(tmp_path, "story.md", MARKDOWN))
    assert (book.title, book.authors, book.language, book.date) == ("My Story", ["Ann One", "Bob Two"], "fr", "2020-01-02")
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]
    first = book.chapters[0].paragraphs
    assert [p.text for p in first] == ["Some emphasised text with an image.", "After the break."]
    assert first[0].emphasis == [(5, 15)]
    assert [p.scene_break_before for p in first] == [False, True]
    assert [p.text for p in book.chapters[1].paragraphs] == ["item one", "item two", "quoted line"]


def test_markdown_title_heading_without_front_matter(tmp_path: Path) -> None:
    text = "# The Book\n\n## One\n\nFirst.\n\n## Two\n\nSecond.\n"
    book = read_manuscript(write(tmp_path, "b.markdown", text))
    assert book.title == "The Book" and [c.title for c in book.chapters] == ["One", "Two"]


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_markdown_front_matter_with_cr_or_crlf_line_ends(tmp_path: Path, newline: str) -> None:
    """Classic Mac line ends used to hide the front matter: title, author and language were lost."""
    book = read_manuscript(write(tmp_path, "story.md", MARKDOWN.replace("\n", newline)))
    assert (book.title, book.authors, book.language) == ("My Story", ["Ann One", "Bob Two"], "fr")
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]


def test_markdown_punctuation_only_headings_are_scene_breaks(tmp_path: Path) -> None:
    """`## * * *` or `## —` made a chapter whose title had nothing to say: produce crashed on it."""
    text = "# Book\n\n## One\n\nFirst.\n\n## * * *\n\nSecond.\n\n## —\n\nThird.\n\n##\n\nFourth.\n\n## Two\n\nFifth.\n"
    book = read_manuscript(write(tmp_path, "b.md", text))
    assert [c.title for c in book.chapters] == ["One", "Two"]
    paragraphs = book.chapters[0].paragraphs
    assert [(p.text, p.scene_break_before) for p in paragraphs] == [
        ("First.", False), ("Second.", True), ("Third.", True), ("Fourth.", True)]


ESC_MARKDOWN = ("---\ntitle: Evil\x1b[31m Red\x07\nauthor: A\x1b]0;pwned\x07 Writer\nlanguage: en\x1b[0m\n"
                "description: Bad\x9b2J news\n---\n\n## Chapter\x1b[2J One\n\nText\x08 with \x1b[1mbold\x1b[0m and a bell\x07.\n")


def test_control_characters_are_stripped_everywhere(tmp_path: Path) -> None:
    """Escape sequences, not just the ESC: "\x1b[31m" must not leave "[31m" in a spoken title."""
    book = read_manuscript(write(tmp_path, "esc.md", ESC_MARKDOWN))
    assert (book.title, book.authors, book.language, book.description) == ("Evil Red", ["A Writer"], "en", "Bad news")
    assert book.chapters[0].title == "Chapter One"
    assert book.chapters[0].paragraphs[0].text == "Text with bold and a bell."
    text = "Title: Bell\x07 Book\nAuthor: Ann\x1b[5m\n\nChapter 1\n\nSome\x01 text\x1b[A here.\n"
    plain = read_manuscript(write(tmp_path, "esc.txt", text))
    assert (plain.title, plain.authors) == ("Bell Book", ["Ann"])
    assert plain.chapters[0].paragraphs[0].text == "Some text here."


# -- the book tree from Markdown heading levels and plain-text label words -------------------------------

BODY = "And so the story went on for a while. " * 20  # 180 words: not a tiny leaf


def _md(*lines: str) -> str:
    return "\n\n".join(BODY if line == "…" else line for line in lines) + "\n"


TREES = {
    "nested.md": (
        _md("---\ntitle: A Long Novel\n---", "# A Long Novel", "## Part One: Spring", "An epigraph.",
            "### Chapter 1", "…", "### Chapter 2", "…", "## Part Two", "### Chapter 1", "…", "## Epilogue", "…"),
        [("Part One, Chapter 1", ["Part One: Spring"], ["Part One: Spring"]),
         ("Part One, Chapter 2", ["Part One: Spring"], []),
         ("Part Two, Chapter 1", ["Part Two"], ["Part Two"]),
         ("Epilogue", [], [])]),
    "collection.md": (
        _md("# Tales", "## A Scandal in Bohemia", "### I", "…", "### II", "…", "### III", "…",
            "## The Red-Headed League", "…"),
        [("A Scandal in Bohemia, Chapter I", ["A Scandal in Bohemia"], ["A Scandal in Bohemia"]),
         ("A Scandal in Bohemia, Chapter II", ["A Scandal in Bohemia"], []),
         ("A Scandal in Bohemia, Chapter III", ["A Scandal in Bohemia"], []),
         ("The Red-Headed League", [], [])]),
    "setext.md": (
        _md("Book the First\n==============", "Chapter I\n---------", "…", "Chapter II\n---------", "…",
            "Book the Second\n===============", "Chapter I\n---------", "…"),
        [("Book the First, Chapter I", ["Book the First"], ["Book the First"]),
         ("Book the First, Chapter II", ["Book the First"], []),
         ("Book the Second, Chapter I", ["Book the Second"], ["Book the Second"])]),
    "two-cities.txt": (
        _md("BOOK THE FIRST\nRECALLED TO LIFE", "CHAPTER I\nThe Period", "…", "CHAPTER II\nThe Mail", "…",
            "BOOK THE SECOND", "THE GOLDEN THREAD", "CHAPTER I", "Five Years Later", "…"),
        [("Book the First, Chapter I: The Period", ["Book the First: Recalled To Life"],
          ["Book the First: Recalled To Life"]),
         ("Book the First, Chapter II: The Mail", ["Book the First: Recalled To Life"], []),
         ("Book the Second, Chapter I: Five Years Later", ["Book the Second: The Golden Thread"],
          ["Book the Second: The Golden Thread"])]),
    "volumes.txt": (
        _md("PREFACE", "…", "VOLUME I.—FANTINE", "BOOK FIRST.—A JUST MAN", "CHAPTER I—M. MYRIEL", "…",
            "CHAPTER II", "…", "BOOK SECOND.—THE FALL", "CHAPTER I", "…", "VOLUME II\nBOOK FIRST\nCHAPTER I", "…"),
        [("Preface", [], []),
         ("Volume I, Book First, Chapter I: M. Myriel", ["Volume I: Fantine", "Book First: A Just Man"],
          ["Volume I: Fantine", "Book First: A Just Man"]),
         ("Volume I, Book First, Chapter II", ["Volume I: Fantine", "Book First: A Just Man"], []),
         ("Volume I, Book Second, Chapter I", ["Volume I: Fantine", "Book Second: The Fall"], ["Book Second: The Fall"]),
         ("Volume II, Book First, Chapter I", ["Volume II", "Book First"], ["Volume II", "Book First"])]),
    "letters.txt": (  # letters and chapters are siblings, not parent and child
        _md("LETTER I", "…", "LETTER II", "…", "CHAPTER I", "…", "CHAPTER II", "…"),
        [("Letter I", [], []), ("Letter II", [], []), ("Chapter I", [], []), ("Chapter II", [], [])]),
    "acts.txt": (
        _md("ACT I", "SCENE I. Elsinore", "…", "SCENE II", "…", "ACT II", "SCENE I", "…"),
        [("Act I, Scene I: Elsinore", ["Act I"], ["Act I"]), ("Act I, Scene II", ["Act I"], []),
         ("Act II, Scene I", ["Act II"], ["Act II"])]),
}


@pytest.mark.parametrize("name", TREES)
def test_book_tree_from_headings(tmp_path: Path, name: str) -> None:
    """Located titles (unique), ancestors' paths, and each parent heard once: at its first child."""
    text, expected = TREES[name]
    book = read_manuscript(write(tmp_path, name, text))
    assert [(c.located_title, c.path, [lead.title for lead in c.leads]) for c in book.chapters] == expected
    titles = [c.located_title for c in book.chapters]
    assert len(set(titles)) == len(titles)
    summary = book_summary(book, chunk_book(book, max_chars=400), with_chunks=True)
    spoken = [chunk["text"] for chapter in summary["chapters"] for chunk in chapter["chunks"]]
    for parent in {title for chapter in summary["chapters"] for title in chapter["path"]}:
        assert spoken.count(parent) == 1, parent
    assert [c["path"] for c in summary["chapters"]] == [
        [spoken_heading(t, "en") for t in path] for _, path, _ in expected]


def test_markdown_tiny_leaves_are_grouped(tmp_path: Path) -> None:
    poems = [f"### Song {n}\n\nA little song of a line or two." for n in range(1, 7)]
    book = read_manuscript(write(tmp_path, "songs.md", _md("# Verses", "## Songs", *poems, "## Prose", "…")))
    assert [c.located_title for c in book.chapters] == ["Songs, Song 1 – Song 6", "Prose"]
    markers = [p.marker for p in book.chapters[0].paragraphs if p.marker]
    assert markers == [f"Songs, Song {n}" for n in range(1, 7)]


def test_contents_list_and_empty_headings_are_reported_not_read(tmp_path: Path) -> None:
    text = _md("CONTENTS\n\nCHAPTER I. Begin\nCHAPTER II. End", "Chapter I. Begin", "…", "Chapter II. End", "…")
    book = read_manuscript(write(tmp_path, "c.txt", text))
    assert [c.title for c in book.chapters] == ["Chapter I: Begin", "Chapter II: End"]
    markdown = read_manuscript(write(tmp_path, "c.md", _md("## Contents", "One, Two", "## One", "…", "## Two")))
    assert [c.title for c in markdown.chapters] == ["One"]
    assert [(s.what, s.reason) for s in markdown.skipped] == [("Contents", "toc"), ("Two", "heading without text")]


@pytest.mark.parametrize("layout", ["blocks", "one block", "stacked"])
def test_a_short_line_under_a_heading_is_text_when_nothing_else_follows(tmp_path: Path, layout: str) -> None:
    """"Chapter 2" / "rain on the garden" / "Chapter 3": the short line looks like a subtitle, but taking it
    for one would leave the chapter empty, and an empty chapter (with its words) is dropped."""
    chapter_two = {"blocks": "CHAPTER II\n\nrain on the garden", "one block": "CHAPTER II\nrain on the garden",
                   "stacked": "PART ONE\nCHAPTER II\nrain on the garden"}[layout]
    text = _md("CHAPTER I", "…", chapter_two, "CHAPTER III\nThe Kettle", "…")
    book = read_manuscript(write(tmp_path, "short.txt", text))
    chapters = {c.title: [p.text for p in c.paragraphs] for c in book.chapters}
    assert chapters["Chapter II"] == ["rain on the garden"], chapters
    assert "Chapter III: The Kettle" in chapters  # a subtitle over text stays a subtitle


def test_markdown_numbered_list_items_keep_their_numbers(tmp_path: Path) -> None:
    """CommonMark takes "1859." at the start of a line for a numbered list item: the number is text
    a reader sees, so it is read (found by the property tests), alone or before the item's text."""
    path = tmp_path / "years.md"
    path.write_text("# Years\n\nThe war began.\n\n1859.\n\n1859. Peace came.\n\n1. First item\n2) Second item\n\n"
                    "- a bullet\n", encoding="utf-8")
    [chapter] = read_manuscript(path).chapters
    assert [p.text for p in chapter.paragraphs] == ["The war began.", "1859.", "1859. Peace came.", "1. First item",
                                                    "2) Second item", "a bullet"]
