"""XHTML content documents -> segments of paragraphs, split at TOC anchors.

One walk over the document tree does everything: it cuts at anchor ids (so a TOC entry can start a
chapter mid-file), takes the first heading of each segment as its title, drops page furniture,
noterefs, images and skipped sections, routes footnote/endnote bodies aside, and marks scene breaks.
Every text node is accounted for: read (counted in its paragraph's `source_words`) or listed in
`skipped` with the reason, so that nothing can vanish silently.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

from pipeline.book import Paragraph
from pipeline.manuscript.cleaning import (
    LINE_BREAK, Run, clean_text, count_words, is_scene_break, paragraph_from_runs,
)  # fmt: skip
from pipeline.manuscript.structure import (
    epub_types, is_gutenberg_boilerplate, is_link_list, is_notes, is_noteref, is_page_marker, is_persona, is_skipped,
    skipped_reason, text_words,
)  # fmt: skip

_IGNORED = frozenset(
    {"head", "script", "style", "img", "svg", "math", "object", "video", "audio", "iframe", "nav",
     "template", "button", "input", "select", "textarea", "map", "canvas", "picture", "source", "rt", "rp"}
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hgroup"})
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "aside", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "header",
     "footer", "figure", "figcaption", "table", "thead", "tbody", "tr", "td", "th", "caption", "pre",
     "address", "main", "center", "body", "html", "details", "summary", "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
_EMPHASIS = frozenset({"i", "em"})
_LISTS = frozenset({"table", "ul", "ol", "dl", "div", "p"})  # where a generated contents list may sit


@dataclass
class Segment:
    """The part of a document from one cut (None = document start) to the next."""

    anchor: str | None
    types: set[str] = field(default_factory=set)
    title: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    title_words: int = 0  # source words of the heading that became `title`
    skipped_types: set[str] = field(default_factory=set)  # of skipped sections it opens with

    @property
    def source_words(self) -> int:
        return self.title_words + sum(p.source_words for p in self.paragraphs)


def parse_xhtml(content: bytes | str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
        return BeautifulSoup(content, "lxml")


def inline_text(tag: Tag) -> str:
    """Visible text of a tag (headings, TOC labels): no noterefs, page numbers or image alt text."""
    parts: list[str] = []
    for child in tag.children:
        if isinstance(child, Tag):
            if child.name in _IGNORED or is_page_marker(child) or is_noteref(child):
                continue
            parts.append(" " if child.name == "br" else inline_text(child))
        elif type(child) is NavigableString:
            parts.append(str(child))
    return "".join(parts)


def heading_text(tag: Tag) -> str:
    """An <hgroup>'s parts ("I" + "A Letter") joined as "I: A Letter"; a plain heading's text."""
    if tag.name != "hgroup":
        return clean_text(inline_text(tag))
    parts = [clean_text(inline_text(child)) for child in tag.find_all(True, recursive=False)]
    return ": ".join(part for part in parts if part)


class _Walker:
    def __init__(self, anchors: list[str], body_types: set[str], nodes: dict[int, int]) -> None:
        self.nodes = nodes  # id() of each text node under the body -> its document-order number
        self.cuts = {anchor: index + 1 for index, anchor in enumerate(anchors)}
        self.segments = [Segment(None, set(body_types))] + [Segment(anchor) for anchor in anchors]
        self.current = self.segments[0]
        self.notes: list[Paragraph] = []
        self.runs: list[Run] = []
        self.run_words = 0
        self.scene_break = False
        self.in_notes = 0
        self.skipped: Counter[str] = Counter()  # reason -> source words not read

    def skip(self, reason: str, tag: Tag) -> None:
        words = text_words(tag)
        if words:
            self.skipped[reason] += words

    def heading_words(self, tag: Tag) -> int:
        """Source words of a heading that its title reads (as `inline_text` does); a note marker, page
        number or image inside it is counted as skipped."""
        words = 0
        for child in tag.children:
            if isinstance(child, Tag):
                if child.name in _IGNORED:
                    self.skip(f"not text ({child.name})", child)
                elif is_page_marker(child):
                    self.skip("page number", child)
                elif is_noteref(child):
                    self.skip("note reference", child)
                else:
                    words += self.heading_words(child)
            elif type(child) is NavigableString:
                words += count_words(child)
        return words

    def flush(self) -> None:
        runs, self.runs = self.runs, []
        words, self.run_words = self.run_words, 0
        paragraph = paragraph_from_runs(runs, source_words=words) if runs else None
        if paragraph is None:
            return
        if self.in_notes:
            self.skipped["notes"] += words
            self.notes.append(paragraph)
        elif is_scene_break(paragraph.text):
            self.scene_break = True
        else:
            paragraph.scene_break_before = self.scene_break and bool(self.current.paragraphs)
            self.scene_break = False
            self.current.paragraphs.append(paragraph)

    def walk(self, tag: Tag, emphasis: bool = False) -> None:
        for child in tag.children:
            if not isinstance(child, Tag):
                if type(child) is NavigableString:  # not comments, CDATA, doctypes
                    self.runs.append(Run(str(child), emphasis, node=self.nodes.get(id(child))))
                    self.run_words += count_words(child)
                continue
            self.element(child, emphasis)

    def element(self, tag: Tag, emphasis: bool) -> None:
        anchor = tag.get("id")
        if isinstance(anchor, str) and anchor in self.cuts:
            self.flush()
            self.current = self.segments[self.cuts[anchor]]
            self.scene_break = False
        name = tag.name
        if name in _IGNORED:
            return self.skip(f"not text ({name})", tag)
        if is_page_marker(tag):
            return self.skip("page number", tag)
        if is_noteref(tag):
            return self.skip("note reference", tag)
        if is_gutenberg_boilerplate(tag):
            return self.skip("gutenberg boilerplate", tag)
        types = epub_types(tag)
        if is_skipped(types):
            if not self.current.paragraphs and not self.runs:
                self.current.skipped_types |= types
            return self.skip(skipped_reason(types), tag)
        if name in _LISTS and not self.in_notes and is_link_list(tag):
            return self.skip("contents", tag)
        if is_notes(types):
            # Note bodies go aside without breaking the paragraph they may sit in.
            saved, saved_words, self.runs, self.run_words = self.runs, self.run_words, [], 0
            self.in_notes += 1
            self.walk(tag)
            self.flush()
            self.in_notes -= 1
            self.runs, self.run_words = saved, saved_words
            return
        starting = not self.current.paragraphs and not "".join(r.text for r in self.runs).strip()
        if starting and not self.in_notes:
            self.current.types |= types
        if name == "hr":
            self.flush()
            self.scene_break = True
        elif name == "br":
            self.runs.append(LINE_BREAK)
        elif name in _HEADINGS and starting and not self.current.title:
            self.flush()
            if self.in_notes:  # the notes section's own heading ("Endnotes")
                self.skip("notes", tag)
            else:
                self.current.title = heading_text(tag) or None
                self.current.title_words = self.heading_words(tag)
        elif name in _BLOCKS or name in _HEADINGS:
            self.flush()
            self.walk(tag, emphasis)
            self.flush()
        elif is_persona(tag, types) and not "".join(r.text for r in self.runs).strip():
            # A speaker label that opens a speech: its own short paragraph, not run into the speech.
            self.walk(tag, emphasis)
            self.flush()
        else:
            self.walk(tag, emphasis or name in _EMPHASIS)


def read_segments(content: bytes | str, anchors: list[str]
                  ) -> tuple[list[Segment], list[Paragraph], Counter[str]]:
    """Segments (document start, then one per anchor, in the order given), any note bodies found,
    and the source words left unread by reason."""
    soup = parse_xhtml(content)
    body = soup.body or soup
    # Text nodes with something besides blanks, numbered in document order (parsers disagree on blanks).
    texts = (s for s in body.descendants if type(s) is NavigableString and s.strip(" \t\r\n"))
    nodes = {id(s): n for n, s in enumerate(texts)}
    walker = _Walker(anchors, epub_types(body) if isinstance(body, Tag) and body.name == "body" else set(), nodes)
    # The walk recurses once per element level; deeply nested markup must not lose its text.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        walker.walk(body)
    finally:
        sys.setrecursionlimit(limit)
    walker.flush()
    return walker.segments, walker.notes, walker.skipped
