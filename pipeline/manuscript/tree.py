"""The book tree: parents (part, book, act, volume...) over leaf tracks, and titles that say where a
track is.

A reader hands over its sections in reading order with their depth in the table of contents and
whether they have children. Leaves become tracks; a parent's own heading and text become a `Lead`
of its first leaf, so that they are heard exactly once. Every track gets a title that is unique in
the book and names its ancestors: "Book II, Part I, Chapter I", "Act I, Scene II".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.book import Chapter, ChapterKind, Lead, Paragraph, Skipped

# A parent's own text up to this many words (a title page, an epigraph, a short argument) is heard at
# the head of its first child; a parent with more text (a chapter the TOC nests a letter under) is a
# track of its own before its children.
LEAD_MAX_WORDS = 250
_SINGLE_LETTER = re.compile(r"^[A-Za-z]\.?$")
_ROMAN_LETTERS = frozenset("IVXLCDM")


@dataclass
class Section:
    """One section as read, before it is placed in the tree."""

    title: str
    paragraphs: list[Paragraph]
    kind: ChapterKind
    depth: int  # 0 = top level of the table of contents
    parent: bool  # has children in the table of contents
    source_words: int  # source words read from it (heading included)


@dataclass
class _Open:
    section: Section
    heard: bool = False


@dataclass
class Tree:
    chapters: list[Chapter] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    source_words: int = 0


def build_tree(sections: list[Section]) -> Tree:
    """Leaves -> chapters with their path and leads; parents heard once at their first leaf."""
    tree = Tree()
    open_parents: list[_Open] = []

    def close(node: _Open) -> None:
        if node.heard:
            return
        if node.section.paragraphs:  # a parent none of whose children is read: a track of its own
            leaf(node.section)
        elif node.section.source_words:
            tree.skipped.append(Skipped(node.section.title, "heading without text", node.section.source_words))

    def leaf(section: Section) -> None:
        leads = [Lead(n.section.title, n.section.paragraphs) for n in open_parents if not n.heard]
        for node in open_parents:
            if not node.heard:
                node.heard = True
                tree.source_words += node.section.source_words
        tree.chapters.append(Chapter(section.title, section.paragraphs, section.kind,
                                     path=[n.section.title for n in open_parents], leads=leads))
        tree.source_words += section.source_words

    for section in sections:
        while open_parents and open_parents[-1].section.depth >= section.depth:
            close(open_parents.pop())
        if section.parent:
            node = _Open(section)
            if sum(len(p.text.split()) for p in section.paragraphs) > LEAD_MAX_WORDS:
                leaf(section)
                node.heard = True
            open_parents.append(node)
        elif section.paragraphs:
            leaf(section)
        elif section.source_words:
            tree.skipped.append(Skipped(section.title, "heading without text", section.source_words))
    while open_parents:
        close(open_parents.pop())
    locate_titles(tree.chapters)
    return tree


def _short(title: str) -> str:
    """An ancestor's title without its subtitle: "Part I: 1805" -> "Part I"."""
    head, sep, _ = title.partition(": ")
    return head if sep and head else title


def _contains(outer: str, inner: str) -> bool:
    return f" {inner.casefold()} " in f" {outer.casefold()} "


def locate_titles(chapters: list[Chapter]) -> None:
    """Give every chapter a track title that names its ancestors and is unique within the book."""
    for chapter in chapters:
        ancestors = [_short(title) for title in chapter.path]
        inner = ancestors[1:] + [_short(chapter.title)]
        # "Epilogue" over "First Epilogue": the inner title already says it.
        kept = [a for a, i in zip(ancestors, inner) if a and not _contains(i, a)]
        chapter.track_title = ", ".join([*kept, chapter.title])
    seen: Counter[str] = Counter(c.located_title for c in chapters)
    numbered: Counter[str] = Counter()
    for chapter in chapters:
        title = chapter.located_title
        if seen[title] > 1:
            numbered[title] += 1
            chapter.track_title = f"{title} ({numbered[title]})"


def is_alphabet_run(titles: list[str]) -> bool:
    """Headings that run through the alphabet (a dictionary's A, B, C...): at least three single
    letters, one of them not a Roman numeral, so that "C" and "D" among them are letters too."""
    letters = [t.rstrip(".").upper() for t in titles if _SINGLE_LETTER.match(t.strip())]
    return len(letters) >= 3 and any(letter not in _ROMAN_LETTERS for letter in letters)
