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
from pipeline.manuscript.cleaning import count_words
from pipeline.manuscript.structure import chapter_title, is_skipped, kind_of, skipped_reason, types_from_name

# A parent's own text up to this many words (a title page, an epigraph, a short argument) is heard at
# the head of its first child; a parent with more text (a chapter the TOC nests a letter under) is a
# track of its own before its children.
LEAD_MAX_WORDS = 250
# Tiny leaves (a poem of a few lines, a dictionary letter with one entry): a run of at least
# TINY_RUN consecutive chapters under the same parent, each under TINY_WORDS words (about a minute),
# is one track of at most GROUP_MAX_WORDS words, with a chapter marker per leaf in the M4B.
TINY_WORDS = 150
TINY_RUN = 5
GROUP_MAX_WORDS = 3000
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
    for chapter in tree.chapters:
        chapter.track_title = _located(chapter)
    tree.chapters = group_tiny_leaves(tree.chapters)
    _make_unique(tree.chapters)
    return tree


@dataclass
class Headed:
    """A section of a Markdown or plain-text manuscript: a heading (its level in the book's own
    hierarchy, 0 = outermost) and the paragraphs up to the next heading. `title` "" = text before
    the first heading."""

    title: str
    depth: int
    paragraphs: list[Paragraph]


def section_title(title: str, kind: ChapterKind, letters: bool) -> str:
    """ "I" -> "Chapter I", except in an alphabet run (a dictionary's "C" is a letter, not Chapter 100)."""
    return title if letters and len(title.rstrip(".")) == 1 else chapter_title(title, kind)


def tree_from_headings(headed: list[Headed], book_title: str) -> Tree:
    """The tree of a manuscript without a table of contents: a heading is a parent when the next
    one read is deeper; sections named as skipped ("Contents", "Copyright") are not read."""
    letters = is_alphabet_run([h.title for h in headed])
    skipped: list[Skipped] = []
    kept: list[tuple[Headed, set[str], int]] = []
    for section in headed:
        types = types_from_name(section.title.split(":")[0]) if section.title else set()
        words = count_words(section.title) + sum(count_words(p.text) for p in section.paragraphs)
        if is_skipped(types):
            skipped.append(Skipped(section.title, skipped_reason(types), words))
        else:
            kept.append((section, types, words))
    sections = []
    for index, (section, types, words) in enumerate(kept):
        kind = kind_of(types)
        title = section_title(section.title, kind, letters) if section.title else book_title
        # (text before the first heading is never a parent: it has no heading to be heard once)
        parent = bool(section.title) and index + 1 < len(kept) and kept[index + 1][0].depth > section.depth
        sections.append(Section(title, section.paragraphs, kind, section.depth, parent, words))
    tree = build_tree(sections)
    tree.skipped = [s for s in skipped + tree.skipped if s.words]
    return tree


def _is_tiny(chapter: Chapter) -> bool:
    return chapter.kind is ChapterKind.CHAPTER and chapter.words < TINY_WORDS


def _group(run: list[Chapter]) -> Chapter:
    first, last = run[0], run[-1]
    paragraphs: list[Paragraph] = []
    for leaf in run:
        paragraphs.append(Paragraph(leaf.title, marker=leaf.located_title))
        paragraphs.extend(leaf.paragraphs)
    group = Chapter(f"{first.title} – {last.title}", paragraphs, ChapterKind.CHAPTER, path=first.path,
                    leads=first.leads)
    group.track_title = _located(group)
    return group


def group_tiny_leaves(chapters: list[Chapter]) -> list[Chapter]:
    """Runs of tiny sibling leaves become one track each (see TINY_WORDS); other chapters stay."""
    out: list[Chapter] = []
    run: list[Chapter] = []

    def flush() -> None:
        if len(run) >= TINY_RUN:
            out.append(_group(run))
        else:
            out.extend(run)
        run.clear()

    for chapter in chapters:
        fits = run and chapter.path == run[-1].path and not chapter.leads \
            and sum(c.words for c in run) + chapter.words <= GROUP_MAX_WORDS
        if _is_tiny(chapter) and (fits or not run):
            run.append(chapter)
            continue
        flush()
        if _is_tiny(chapter):
            run.append(chapter)
        else:
            out.append(chapter)
    flush()
    return out


def _short(title: str) -> str:
    """An ancestor's title without its subtitle: "Part I: 1805" -> "Part I"."""
    head, sep, _ = title.partition(": ")
    return head if sep and head else title


def _contains(outer: str, inner: str) -> bool:
    return f" {inner.casefold()} " in f" {outer.casefold()} "


def _located(chapter: Chapter) -> str:
    """A title that names the chapter's ancestors: "Book II, Part I, Chapter I"."""
    ancestors = [_short(title) for title in chapter.path]
    inner = ancestors[1:] + [_short(chapter.title)]
    # "Epilogue" over "First Epilogue": the inner title already says it.
    kept = [a for a, i in zip(ancestors, inner) if a and not _contains(i, a)]
    return ", ".join([*kept, chapter.title])


def _make_unique(chapters: list[Chapter]) -> None:
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
