"""Phrases of a paragraph wrapped in `<span id>` inside the original XHTML it was read from.

The EPUB reader numbers the body's text nodes in document order (blank ones aside) and records, per
paragraph, the numbers of those it read. Here the same document, parsed with lxml, is numbered the
same way; the paragraph's visible characters (whitespace, invisible and control characters aside)
are matched one to one with those of its nodes, which is checked, so that a phrase's first and last
characters have exact places in the tree. A phrase is then wrapped in one span: where it starts or
ends inside an inline element (`<i>`, `<a>`, `<abbr>`), that element is split in two there (the copy
keeps its attributes but not its id), so that the span holds whole elements and stays valid XHTML.
A paragraph where any of this fails is one phrase on its enclosing element (see `wrap_paragraph`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from pipeline.control_characters import strip_controls

XHTML = "http://www.w3.org/1999/xhtml"
_BLANKS = " \t\r\n"
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")  # as the reader drops them (manuscript.cleaning)
_SKIPPED_TEXT = frozenset({"script", "style"})  # bs4 keeps their text apart from the document's strings
# Elements a span may hold (HTML phrasing content), and elements that may not hold a span.
PHRASING = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "img", "kbd", "mark", "q",
     "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "del", "ins"}
)  # fmt: skip
_NO_SPANS = frozenset({"html", "head", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "hgroup",
                       "select", "colgroup", "ruby"})
_MARK = f"{{{XHTML}}}readalong-mark"  # a temporary element at a phrase edge; none survives


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@dataclass(frozen=True)
class Place:
    """A character in the tree: `element.text[offset]` or `element.tail[offset]`."""

    element: etree._Element
    tail: bool
    offset: int


def text_nodes(body: etree._Element) -> list[tuple[etree._Element, bool]]:
    """The body's non-blank text nodes in document order, as (element, is tail), numbered as the reader does."""
    out: list[tuple[etree._Element, bool]] = []

    def visit(element: etree._Element) -> None:
        if isinstance(element.tag, str) and local(element.tag) not in _SKIPPED_TEXT:
            if element.text and element.text.strip(_BLANKS):
                out.append((element, False))
            for child in element:
                visit(child)
                if child.tail and child.tail.strip(_BLANKS):
                    out.append((child, True))

    visit(body)
    return out


def _visible(char: str) -> bool:
    return not char.isspace() and not _INVISIBLE.match(char) and bool(strip_controls(char))


def paragraph_places(text: str, nodes: list[tuple[etree._Element, bool]]) -> list[Place] | None:
    """The place of each visible character of `text`, or None where its nodes do not spell it."""
    places = []
    for element, tail in nodes:
        raw = (element.tail if tail else element.text) or ""
        places += [Place(element, tail, k) for k, c in enumerate(raw) if _visible(c)]
    spelled = "".join((p.element.tail if p.tail else p.element.text)[p.offset] for p in places)
    return places if spelled == "".join(c for c in text if not c.isspace()) else None


def _owner(place: Place) -> etree._Element:
    return place.element.getparent() if place.tail else place.element


def container_of(places: list[Place]) -> etree._Element | None:
    """The nearest element that holds all of a paragraph's text."""
    owners = {_owner(places[0]), _owner(places[-1])} | {_owner(p) for p in places}
    chains = [list(o.iterancestors())[::-1] + [o] for o in owners]
    common = None
    for level in zip(*chains):
        if all(e is level[0] for e in level):
            common = level[0]
        else:
            break
    return common


def _insert_mark(place: Place) -> etree._Element:
    """A marker element at the place (before its character, or after the text when offset is its length)."""
    mark = etree.Element(_MARK)
    element = place.element
    if place.tail:
        parent = element.getparent()
        mark.tail, element.tail = element.tail[place.offset:], element.tail[:place.offset]
        parent.insert(parent.index(element) + 1, mark)
    else:
        mark.tail, element.text = element.text[place.offset:], element.text[:place.offset]
        element.insert(0, mark)
    return mark


def _is_empty(element: etree._Element) -> bool:
    return not element.text and not len(element) and element.get("id") is None


def _lift(mark: etree._Element, container: etree._Element) -> None:
    """Split the mark's ancestors below `container` at the mark, until the mark is the container's child."""
    while (parent := mark.getparent()) is not container:
        grand = parent.getparent()
        copy = parent.makeelement(parent.tag, {k: v for k, v in parent.attrib.items() if k != "id"})
        copy.text, mark.tail = mark.tail, None
        for sibling in list(parent)[parent.index(mark) + 1:]:
            copy.append(sibling)
        copy.tail, parent.tail = parent.tail, None
        at = grand.index(parent)
        grand.insert(at + 1, mark)
        if _is_empty(copy):
            mark.tail = copy.tail
        else:
            grand.insert(at + 2, copy)
        if _is_empty(parent):
            grand.remove(parent)


def _unmark(mark: etree._Element) -> None:
    parent, tail = mark.getparent(), mark.tail or ""
    previous = mark.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(mark)


def _wrap(start: etree._Element, end: etree._Element, ident: str) -> etree._Element | None:
    """Everything between two marks (siblings) into a `<span id>`, if it is phrasing content."""
    container = start.getparent()
    between = list(container)[container.index(start) + 1:container.index(end)]
    if local(container.tag) in _NO_SPANS or any(local(e.tag) not in PHRASING for e in between
                                                 if isinstance(e.tag, str)):
        return None
    span = container.makeelement(f"{{{XHTML}}}span", {"id": ident})
    span.text = start.tail
    for element in between:
        span.append(element)
    span.tail = end.tail
    container.replace(start, span)
    container.remove(end)
    return span


def wrap_phrases(places: list[Place], text: str, ranges: list[tuple[int, int, str]]
                 ) -> list[etree._Element] | None:
    """Wrap each (start, end, id) range of `text` (a paragraph whose characters are at `places`) in a span.
    Returns the spans made (a range that could not be wrapped has none: the tree is then untouched but
    for split inline elements), or None where the paragraph has no place to wrap in."""
    container = container_of(places)
    if container is None:
        return None
    visible_before = [0] * (len(text) + 1)  # visible characters of text[:i]
    for i, c in enumerate(text):
        visible_before[i + 1] = visible_before[i] + (not c.isspace())
    edges = []  # (place, is end, range number)
    for n, (start, end, _) in enumerate(ranges):
        first, last = visible_before[start], visible_before[end] - 1
        if last < first:
            return None
        edges.append((places[first], False, n))
        end_place = places[last]
        edges.append((Place(end_place.element, end_place.tail, end_place.offset + 1), True, n))
    # Insert from the last place back, so that offsets in a text not yet cut stay right; at one place
    # a range's end comes before the next one's start.
    rank = {(p.element, p.tail): k for k, p in reversed(list(enumerate(places)))}
    keyed = sorted(edges, key=lambda e: (rank[(e[0].element, e[0].tail)], e[0].offset, not e[1]),
                   reverse=True)
    marks: dict[tuple[int, bool], etree._Element] = {}
    for place, is_end, n in keyed:
        marks[(n, is_end)] = _insert_mark(place)
    for mark in marks.values():
        _lift(mark, container)
    made = []
    for n, (_, _, ident) in enumerate(ranges):
        span = _wrap(marks[(n, False)], marks[(n, True)], ident)
        if span is not None:
            made.append(span)
        else:
            _unmark(marks[(n, False)])
            _unmark(marks[(n, True)])
    return made
