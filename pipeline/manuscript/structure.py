"""Structural semantics: which parts of a book are read aloud, and as what kind of track.

The vocabulary is EPUB 3 structural semantics (epub:type), the EPUB 2 guide types, and Standard
Ebooks' file-naming conventions; the same words also classify TOC labels and plain-text headings.
"""

from __future__ import annotations

import re

from bs4 import NavigableString, Tag

from pipeline.book import ChapterKind
from pipeline.manuscript.cleaning import count_words

# Never read: navigation, title pages, legal text, indexes, lists, ads, cover pages.
SKIPPED_TYPES = frozenset(
    {
        "toc", "landmarks", "page-list", "titlepage", "title-page", "halftitlepage", "halftitle",
        "copyright-page", "copyright", "imprint", "colophon", "uncopyright", "index", "loi", "lot",
        "cover", "coverpage", "adcard", "ads", "publisher-ads", "other-books", "other-credits",
    }
)  # fmt: skip
NOTE_TYPES = frozenset({"endnotes", "footnotes", "rearnotes", "endnote", "footnote", "rearnote", "notes", "note"})
_KINDS = {
    "dedication": ChapterKind.DEDICATION,
    "epigraph": ChapterKind.EPIGRAPH,
    "foreword": ChapterKind.FOREWORD,
    "preface": ChapterKind.PREFACE,
    "introduction": ChapterKind.INTRODUCTION,
    "prologue": ChapterKind.PROLOGUE,
    "epilogue": ChapterKind.EPILOGUE,
    "afterword": ChapterKind.AFTERWORD,
    "appendix": ChapterKind.APPENDIX,
}
# Words in file names and TOC labels that mean the same as the types above (no semantics given).
_NAME_TYPES = {
    "contents": "toc", "table of contents": "toc", "title page": "titlepage", "half title": "halftitlepage",
    "copyright page": "copyright-page", "list of illustrations": "loi", "list of tables": "lot",
    "footnotes": "footnotes", "endnotes": "endnotes", "notes": "notes", "cover": "cover",
}  # fmt: skip
_PAGE_NUMBER = re.compile(r"page-?num|page[-_]?number|pageno|pagebreak|running-?head", re.IGNORECASE)
_PAGE_ID = re.compile(r"^(?:page|pg|p)[-_]?[0-9ivxlc]+$", re.IGNORECASE)
_ROMAN = r"M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_BARE_NUMBER = re.compile(rf"^(?:[0-9]+|(?=[IVXLCDM]){_ROMAN}|(?=[ivxlcdm])(?i:{_ROMAN}))\.?$")


def epub_types(tag: Tag) -> set[str]:
    """epub:type (and ARIA doc-* role) words, without vocabulary prefixes ("z3998:fiction" -> "fiction")."""
    words = str(tag.get("epub:type") or "").split() + str(tag.get("role") or "").split()
    return {w.rsplit(":", 1)[-1].removeprefix("doc-").lower() for w in words}


# Project Gutenberg's EPUBs (ebookmaker) wrap their header and licence in these sections/files.
GUTENBERG_IDS = frozenset({"pg-header", "pg-footer", "pg-smallprint", "pg-machine-header"})
_GUTENBERG_CLASSES = frozenset({"pg-boilerplate", "pgheader", "pgfooter", "pg-smallprint"})
_PERSONA_CLASSES = frozenset({"persona", "speaker", "character", "speech-heading"})


def text_words(tag: Tag) -> int:
    """Source words under a tag, counted per text node (comments, scripts and styles are not text)."""
    return sum(count_words(str(s)) for s in tag.descendants if type(s) is NavigableString)


def is_gutenberg_boilerplate(tag: Tag) -> bool:
    return str(tag.get("id") or "") in GUTENBERG_IDS or bool(_GUTENBERG_CLASSES & set(tag.get("class") or []))


def is_persona(tag: Tag, types: set[str]) -> bool:
    """A speaker label in drama ("persona" semantics or a speaker class), outside stage directions."""
    if "persona" not in types and not _PERSONA_CLASSES & set(tag.get("class") or []):
        return False
    return not any("stage-direction" in epub_types(parent) for parent in tag.parents if parent.name != "body")


def is_link_list(tag: Tag) -> bool:
    """A block that is only internal links (a generated or printed table of contents): at least
    three links, and all but a few words of its text inside them."""
    links = [a for a in tag.find_all("a", href=True)
             if not str(a["href"]).startswith(("http:", "https:", "mailto:")) and not is_noteref(a)]
    if len(links) < 3:
        return False
    total = text_words(tag)
    return total > 0 and sum(text_words(a) for a in links) >= 0.8 * total


def skipped_reason(types: set[str]) -> str:
    return sorted(types & SKIPPED_TYPES)[0] if types & SKIPPED_TYPES else "skipped"


def types_from_name(name: str) -> set[str]:
    """Types implied by a file stem or TOC label ("uncopyright", "Table of Contents", "Prologue")."""
    key = re.sub(r"[\s_-]+", " ", name.strip().lower()).strip(" .:")
    if key in _NAME_TYPES:
        return {_NAME_TYPES[key]}
    squashed = key.replace(" ", "")
    if squashed in SKIPPED_TYPES or squashed in _KINDS or squashed in NOTE_TYPES:
        return {squashed}
    return set()


def is_skipped(types: set[str]) -> bool:
    return bool(types & SKIPPED_TYPES)


def is_notes(types: set[str]) -> bool:
    return bool(types & NOTE_TYPES)


def kind_of(types: set[str]) -> ChapterKind:
    for word, kind in _KINDS.items():
        if word in types:
            return kind
    return ChapterKind.CHAPTER


def is_page_marker(tag: Tag) -> bool:
    """Printed-page furniture: page-break markers, page numbers, running heads."""
    if "pagebreak" in epub_types(tag):
        return True
    classes = " ".join(tag.get("class") or [])
    if classes and _PAGE_NUMBER.search(classes):
        return True
    ident = str(tag.get("id") or "")
    # An empty element whose id looks like "page_12" is a page anchor; with text it could be content.
    return bool(_PAGE_ID.match(ident)) and not tag.get_text(strip=True).strip("0123456789ivxlc[]() ")


def is_noteref(tag: Tag) -> bool:
    """A note marker in running text: <a epub:type="noteref">, or a <sup> that links somewhere."""
    if "noteref" in epub_types(tag) or "backlink" in epub_types(tag):
        return True
    if tag.name == "sup":
        return tag.find("a", href=True) is not None or (tag.parent is not None and tag.parent.name == "a")
    if tag.name == "a" and tag.get("href"):
        only = [c for c in tag.children if not (isinstance(c, str) and not c.strip())]
        return len(only) == 1 and isinstance(only[0], Tag) and only[0].name == "sup"
    return False


def chapter_title(label: str, kind: ChapterKind) -> str:
    """ "I" -> "Chapter I"; "I: A Letter" -> "Chapter I: A Letter" for chapters; other labels unchanged."""
    head, sep, rest = label.partition(":")
    if kind is ChapterKind.CHAPTER and _BARE_NUMBER.match(head.strip()):
        number = head.strip().rstrip(".")
        return f"Chapter {number}: {rest.strip()}" if sep and rest.strip() else f"Chapter {number}"
    return label
