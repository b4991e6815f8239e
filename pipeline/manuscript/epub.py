"""EPUB 2/3 -> Book: chapters from the TOC (nav or NCX), split at anchors, filtered by structure."""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import ebooklib
from ebooklib import epub

from pipeline.book import Book, Chapter, ChapterKind, Paragraph, Skipped
from pipeline.errors import InputError
from pipeline.manuscript.cleaning import clean_text
from pipeline.manuscript.cover import find_cover
from pipeline.manuscript.epub_safety import check_epub, opf_path
from pipeline.manuscript.structure import (
    GUTENBERG_IDS, NOTE_TYPES, SKIPPED_TYPES, epub_types, is_notes, is_skipped, kind_of,
    skipped_reason, text_words, types_from_name,
)  # fmt: skip
from pipeline.manuscript.tree import Section, build_tree, is_alphabet_run, section_title
from pipeline.manuscript.xhtml import parse_xhtml, read_segments

# Types that say what a section is (as opposed to "bodymatter", "z3998:fiction"...).
_DECISIVE = SKIPPED_TYPES | NOTE_TYPES | {k.value for k in ChapterKind} | {"part", "division", "volume"}
_INLINE_SKIPS = frozenset({"note reference", "page number", "notes", "contents"})  # reported per book, not per file
_GUIDE_TYPES = {"title-page": "titlepage", "text": "bodymatter"}


@dataclass
class _TocEntry:
    label: str
    doc: int  # spine index
    anchor: str | None
    depth: int = 0  # nesting in the TOC
    parent: bool = False  # has children in the TOC
    # Parents without a link of their own ("Book the First" as a bare label) that this entry opens.
    unlinked: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Draft:
    doc_name: str
    anchor: str | None
    label: str | None
    heading: str | None
    types: set[str]
    paragraphs: list[Paragraph] = field(default_factory=list)
    depth: int = 0
    parent: bool = False
    title_words: int = 0
    skipped_types: set[str] = field(default_factory=set)

    @property
    def source_words(self) -> int:
        return self.title_words + sum(p.source_words for p in self.paragraphs)


def _flatten(toc: list, depth: int = 0) -> list[tuple[str, str | None, int, bool]]:
    """(label, href, depth, has children) in reading order; a part's own entry comes before its children."""
    out: list[tuple[str, str | None, int, bool]] = []
    for node in toc:
        if isinstance(node, tuple):
            section, children = node
            out.append((section.title or "", getattr(section, "href", None) or None, depth, bool(children)))
            out.extend(_flatten(children, depth + 1))
        else:
            out.append((node.title or "", node.href or None, depth, False))
    return out


def _resolve(href: str, base: str, names: dict[str, int]) -> tuple[int, str | None] | None:
    target, _, anchor = unquote(href).partition("#")
    for candidate in (target, posixpath.normpath(posixpath.join(base, target))):
        if candidate in names:
            return names[candidate], anchor or None
    return None


def _semantic_links(book: epub.EpubBook) -> dict[tuple[str, str | None], set[str]]:
    """Types that the EPUB 3 landmarks nav and the EPUB 2 guide give to (document, anchor)."""
    links: dict[tuple[str, str | None], set[str]] = {}

    def add(href: str, base: str, words: set[str]) -> None:
        target, _, anchor = unquote(href).partition("#")
        key = (posixpath.normpath(posixpath.join(base, target)), anchor or None)
        links.setdefault(key, set()).update(words)

    for reference in book.guide:
        kind = (reference.get("type") or "").lower()
        if reference.get("href"):
            add(reference["href"], "", {_GUIDE_TYPES.get(kind, kind)})
    for nav in (item for item in book.get_items() if isinstance(item, epub.EpubNav)):
        base = posixpath.dirname(nav.get_name())
        for landmarks in parse_xhtml(nav.get_content()).find_all("nav"):
            if "landmarks" in epub_types(landmarks):
                for link in landmarks.find_all("a", href=True):
                    add(link["href"], base, epub_types(link))
    return links


def _toc_entries(book: epub.EpubBook, names: dict[str, int]) -> list[_TocEntry]:
    # ebooklib resolves nav hrefs but leaves NCX ones relative to the NCX file.
    ncx = next((item for item in book.get_items() if isinstance(item, epub.EpubNcx)), None)
    has_nav = any(isinstance(item, epub.EpubNav) for item in book.get_items())
    base = posixpath.dirname(ncx.get_name()) if ncx is not None and not has_nav else ""
    entries: list[_TocEntry] = []
    seen: set[tuple[int, str | None]] = set()
    unlinked: list[tuple[str, int]] = []
    for label, href, depth, parent in _flatten(book.toc):
        resolved = _resolve(href, base, names) if href else None
        unlinked = [(text, level) for text, level in unlinked if level < depth]  # still open above this entry
        if resolved is None and parent and clean_text(label):
            unlinked.append((clean_text(label), depth))
        elif resolved is not None and resolved not in seen:
            seen.add(resolved)
            entries.append(_TocEntry(clean_text(label), *resolved, depth, parent, unlinked))
            unlinked = []
    return entries


def _types(draft: _Draft, links: dict) -> set[str]:
    types = draft.types | links.get((draft.doc_name, draft.anchor), set())
    if not draft.paragraphs and not draft.heading:  # all it holds is a skipped section (a half-title page)
        types |= draft.skipped_types
    if not types & _DECISIVE:
        types |= (types_from_name(PurePosixPath(draft.doc_name).stem) or types_from_name(draft.label or "")
                  or types_from_name(draft.heading or ""))
    if draft.doc_name.rsplit("/", 1)[-1].split(".")[0] in GUTENBERG_IDS or "gutenberg" in (draft.label or "").lower():
        types.add("gutenberg boilerplate")  # ebookmaker's own header/licence files
    return types


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _is_title_page(draft: _Draft, book_title: str, before_text: bool) -> bool:
    """A short page headed with the book's own title before any text (a Gutenberg book's title and
    author): the opening credits already say it."""
    heading, title = _letters(draft.heading or ""), _letters(book_title)
    return (before_text and bool(heading) and bool(title) and (heading.startswith(title) or title.startswith(heading))
            and draft.source_words < 80)


def _section(draft: _Draft, types: set[str], number: int, letters: bool) -> Section:
    kind = kind_of(types)
    heading, label = draft.heading, draft.label
    title = heading or label or (f"Chapter {number}" if kind is ChapterKind.CHAPTER else kind.value.title())
    if heading and label and len(label) > len(heading) and label.lower().startswith(heading.lower()):
        title = label  # "Chapter 1" heading, "Chapter 1: The Start" in the TOC
    title = section_title(title, kind, letters)
    paragraphs = draft.paragraphs
    spoken = {t.casefold() for t in (title, heading, label) if t}
    if paragraphs and paragraphs[0].text.casefold() in spoken:  # the title is read separately
        paragraphs = paragraphs[1:]
    return Section(title, paragraphs, kind, draft.depth, draft.parent, draft.source_words)


def _raw_content(path: Path, docs: list[epub.EpubHtml]) -> list[tuple[str, bytes]]:
    """The documents' paths in the EPUB and their bytes as stored: ebooklib re-parses them with a depth
    limit (256) that silently drops deeply nested text."""
    with zipfile.ZipFile(path) as archive:
        base = posixpath.dirname(opf_path(path, archive))
        names = set(archive.namelist())
        out = []
        for doc in docs:
            name = posixpath.normpath(posixpath.join(base, unquote(doc.get_name())))
            out.append((name, archive.read(name) if name in names else doc.get_content()))
        return out


def _metadata(book: epub.EpubBook, name: str) -> list[tuple[str, dict]]:
    return [(value, attrs) for value, attrs in book.get_metadata("DC", name) if value and value.strip()]


def read_epub(path: Path) -> Book:
    package = check_epub(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="ebooklib")
        warnings.filterwarnings("ignore", category=FutureWarning, module="ebooklib")
        try:
            book = epub.read_epub(str(path), options={"ignore_ncx": True})
        except Exception as error:
            raise InputError(f"{path}: corrupt EPUB ({type(error).__name__}: {error})") from error

    docs: list[epub.EpubHtml] = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None and item.get_type() == ebooklib.ITEM_DOCUMENT and not isinstance(item, epub.EpubNav):
            docs.append(item)
    if not docs:
        raise InputError(f"{path}: EPUB has an empty spine (no content documents to read)")
    names = {doc.get_name(): index for index, doc in enumerate(docs)}
    entries = _toc_entries(book, names)
    if len(entries) < 2 and len(docs) > 2:
        entries = []  # a one-entry TOC ("Start") is no help: fall back to the spine
    places = {(e.doc, e.anchor): e for e in entries}
    use_spine = not entries

    drafts: list[_Draft] = []
    notes: list[Paragraph] = []
    skipped_words: Counter[str] = Counter()
    skipped: list[Skipped] = []
    for item in book.get_items():
        if isinstance(item, epub.EpubNav) and any(item.get_id() == idref for idref, _ in book.spine):
            skipped_words["toc"] += text_words(parse_xhtml(item.get_content()))
    for index, (doc, (zip_name, content)) in enumerate(zip(docs, _raw_content(path, docs))):
        anchors = [e.anchor for e in entries if e.doc == index and e.anchor]
        segments, doc_notes, doc_skipped = read_segments(content, anchors)
        for paragraph in doc_notes + [p for segment in segments for p in segment.paragraphs]:
            paragraph.source_document = zip_name
        notes.extend(doc_notes)
        for reason, words in doc_skipped.items():
            if reason in _INLINE_SKIPS or reason.startswith("not text"):
                skipped_words[reason] += words
            else:  # a whole page or section: name its file
                skipped.append(Skipped(doc.get_name(), reason, words))
        for segment in segments:
            entry = places.get((index, segment.anchor))
            label = entry.label if entry is not None else None
            own_track = use_spine or label is not None
            if segment.anchor is None and not own_track:
                # Not in the TOC: a continuation of the previous track, unless it says it is something else.
                decisive = segment.types & (_DECISIVE - {"chapter", "bodymatter"})
                own_track = bool(segment.title or decisive or not drafts)
            if entry is not None:  # bare-label parents open here: headings without text of their own
                drafts += [_Draft("", None, text, None, set(), [], level, True) for text, level in entry.unlinked]
            if own_track:
                if entry is not None:
                    depth, parent = entry.depth, entry.parent
                else:  # not in the TOC: a sibling of the track before it (a child, if that is a parent)
                    depth, parent = (drafts[-1].depth + drafts[-1].parent, False) if drafts else (0, False)
                drafts.append(_Draft(doc.get_name(), segment.anchor, label, segment.title, set(segment.types),
                                     segment.paragraphs, depth, parent, segment.title_words,
                                     set(segment.skipped_types)))
            else:
                drafts[-1].paragraphs.extend(segment.paragraphs)

    links = _semantic_links(book)
    letters = is_alphabet_run([d.heading or d.label or "" for d in drafts])
    titles = _metadata(book, "title")
    book_title = clean_text(titles[0][0]) if titles else path.stem
    sections: list[Section] = []
    for draft in drafts:
        types = _types(draft, links)
        if _is_title_page(draft, book_title, not sections):
            types.add("titlepage")
        what = draft.heading or draft.label or draft.doc_name
        if "gutenberg boilerplate" in types or is_skipped(types):
            reason = "gutenberg boilerplate" if "gutenberg boilerplate" in types else skipped_reason(types)
            skipped.append(Skipped(what, reason, draft.source_words))
        elif is_notes(types):
            notes.extend(draft.paragraphs)
            skipped.append(Skipped(what, "notes", draft.source_words))
        else:
            sections.append(_section(draft, types, len(sections) + 1, letters))
    tree = build_tree(sections)
    chapters = tree.chapters
    if not chapters:
        raise InputError(f"{path}: EPUB has no readable text")
    skipped += tree.skipped + [Skipped("throughout the text", reason, words) for reason, words in skipped_words.items()]

    cover_pages = [doc for (doc, _), types in links.items() if "cover" in types]
    cover, cover_note = find_cover(book, package, cover_pages)
    creators = _metadata(book, "creator")
    authors = [v.strip() for v, a in creators if a.get("{http://www.idpf.org/2007/opf}role", "aut") == "aut"]
    descriptions = _metadata(book, "description")
    publishers = _metadata(book, "publisher")
    dates = _metadata(book, "date")
    languages = _metadata(book, "language")
    return Book(
        title=book_title,
        authors=authors or [v.strip() for v, _ in creators],
        language=languages[0][0].strip() if languages else "en",
        chapters=chapters,
        publisher=clean_text(publishers[0][0]) if publishers else None,
        date=dates[0][0].strip() if dates else None,
        description=clean_text(parse_xhtml(descriptions[0][0]).get_text(" ")) if descriptions else None,
        cover=cover,
        cover_note=cover_note,
        notes=Chapter("Notes", notes, ChapterKind.NOTES) if notes else None,
        skipped=[s for s in skipped if s.words],
        source_words=tree.source_words,
    )
