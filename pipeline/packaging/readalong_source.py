"""The read-along EPUB 3 of an EPUB manuscript: its own content documents, phrases wrapped in place.

The source's package is kept (its documents, CSS, images, cover and metadata) and gains the audio,
one SMIL per read document, a navigation document and the media metadata. Every read phrase of a
paragraph becomes a `<span id>` in the XHTML it was read from (see `xhtml_spans`); a paragraph that
cannot be mapped phrase by phrase is one `<par>` on its enclosing element, and a track's title par
is the heading before its first paragraph. Skipped content (title page, notes, page numbers,
colophon) stays where it is, without audio. The credits, which no source document holds, are
generated documents. Links into documents that are not in the spine lose their `href`, so that a
trimmed spine stays valid.

An EPUB 2 package, a document lxml cannot parse, or a track whose text was not found in the
source raises `Unmappable`; the caller then writes generated documents for the whole book.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from lxml import etree

from pipeline.errors import PipelineError
from pipeline.manuscript.epub_safety import opf_path
from pipeline.mastering.render import RenderedPart
from pipeline.packaging.epub3 import (
    ACTIVE_CLASS, OPF, STYLE, XHTML, Clip, clock, content_document, document_overlay, modified_time, nav_document,
    pack_epub, smil_overlay, timed_clips,
)  # fmt: skip
from pipeline.packaging.readalong import Document, Phrase
from pipeline.packaging.xhtml_spans import container_of, local, paragraph_places, text_nodes, wrap_phrases
from pipeline.plan import Plan

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hgroup"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_XHTML_TYPE = "application/xhtml+xml"
HERE = "readalong"  # folder beside the package document for what is added
CSS = f".{ACTIVE_CLASS} {{ background-color: #ffe58a; color: #000; }}\n"


class Unmappable(Exception):
    """The source cannot carry the read-along; the message says why."""


@dataclass
class MappingReport:
    phrases: int = 0  # read phrases of the book's own text (title pars aside)
    wrapped: int = 0  # each in a span of its own
    merged: int = 0  # paragraphs that are one par on their enclosing element
    titles_on_headings: int = 0
    titles_elsewhere: int = 0  # title pars on the first paragraph's element (no heading found)
    generated: list[str] = field(default_factory=list)  # generated documents (the credits)


@dataclass
class _Source:
    path: str  # in the zip
    tree: etree._ElementTree
    nodes: list[tuple[etree._Element, bool]]
    ids: set[str]
    overlay: list[Clip] = field(default_factory=list)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    def new_id(self, wanted: str) -> str:
        while wanted in self.ids:
            wanted += "-ra"
        self.ids.add(wanted)
        return wanted

    def id_of(self, element: etree._Element, wanted: str) -> str:
        if element.get("id") is None:
            element.set("id", self.new_id(wanted))
        return element.get("id")


def write_source_readalong(out: Path, work: Path, plan: Plan, documents: list[Document],
                           parts: list[RenderedPart], source: Path) -> MappingReport | None:
    """Write the EPUB from the source's own documents; None (nothing written) where it cannot be mapped."""
    try:
        with zipfile.ZipFile(source) as archive:
            entries, opf, report = _build(archive, source, plan, documents, parts)
    except (Unmappable, PipelineError, etree.XMLSyntaxError, KeyError):
        return None
    pack_epub(out, work, entries, opf)
    return report


def _build(archive: zipfile.ZipFile, source: Path, plan: Plan, documents: list[Document],
           parts: list[RenderedPart]) -> tuple[dict[str, bytes | Path], str, MappingReport]:
    opf_name = opf_path(source, archive)
    base = posixpath.dirname(opf_name)
    package = etree.fromstring(archive.read(opf_name), _PARSER)
    if not (package.get("version") or "").startswith("3"):
        raise Unmappable("not an EPUB 3 package")
    if "META-INF/encryption.xml" in archive.namelist():
        raise Unmappable("obfuscated resources")
    manifest = package.find(f"{{{OPF}}}manifest")
    spine = package.find(f"{{{OPF}}}spine")
    items = {item.get("id"): item for item in manifest if item.tag == f"{{{OPF}}}item"}

    def full(href: str) -> str:
        return posixpath.normpath(posixpath.join(base, unquote(href.partition("#")[0])))

    spine_docs: dict[str, etree._Element] = {}
    for ref in [r for r in spine if r.tag == f"{{{OPF}}}itemref"]:
        item = items.get(ref.get("idref"))
        if item is None or item.get("media-type") != _XHTML_TYPE:
            spine.remove(ref)
        else:
            spine_docs[full(item.get("href"))] = item
    sources: dict[str, _Source] = {}
    for path in spine_docs:
        tree = etree.fromstring(archive.read(path), _PARSER).getroottree()
        body = tree.getroot().find(f"{{{XHTML}}}body")
        if body is None:
            raise Unmappable(f"{path} has no body")
        ids = {e.get("id") for e in tree.getroot().iter() if e.get("id")}
        sources[path] = _Source(path, tree, text_nodes(body), ids)

    report = MappingReport()
    read = [d for d in documents if d.kind not in ("credits", "notes")]  # notes: the source's own, as text
    titles = _title_targets(read, sources)
    sequence: list[tuple[str, str, Phrase]] = []  # (zip path or generated name, element id, phrase)
    for document in documents:
        if document.kind == "credits":
            report.generated.append(document.name)
            sequence += [(document.name, p.id, p) for p in document.phrases]
        elif document.kind != "notes":
            sequence += _map_track(document, sources, titles.get(document.name), report)
    clips = timed_clips(sequence, parts)
    generated = {d.name: d for d in documents if d.kind == "credits"}
    by_generated: dict[str, list[Clip]] = {}
    for clip in clips:
        if clip.document in generated:
            by_generated.setdefault(clip.document, []).append(clip)
        else:
            sources[clip.document].overlay.append(clip)

    entries: dict[str, bytes | Path] = {}
    here = posixpath.join(base, HERE)
    new_items: list[tuple[str, str, str, dict[str, str]]] = []  # id, href (from the OPF), media type, extras
    durations: dict[str, int] = {}
    for number, part in enumerate(parts):
        href = f"{HERE}/audio/{number + 1:03d}.mp3"
        entries[posixpath.join(base, href)] = Path(part.mp3)
        new_items.append((f"{HERE}-audio-{number + 1:03d}", href, "audio/mpeg", {}))
    first_spine, last_spine = [], []  # the opening credits before the book's documents, the closing after
    first_own = next((n for n, (doc, _, _) in enumerate(sequence) if doc in sources), len(sequence))
    for name, document in generated.items():
        href = f"{HERE}/text/{name}.xhtml"
        entries[posixpath.join(base, href)] = content_document(document, plan.book.language)
        overlay = f"{HERE}-mo-{name}"
        mine = by_generated.get(name, [])
        entries[posixpath.join(base, f"{HERE}/smil/{name}.smil")] = document_overlay(document, mine)
        durations[overlay] = sum(c.end_ms - c.begin_ms for c in mine)
        new_items.append((overlay, f"{HERE}/smil/{name}.smil", "application/smil+xml", {}))
        new_items.append((f"{HERE}-{name}", href, _XHTML_TYPE, {"media-overlay": overlay}))
        heard = next((n for n, (doc, _, _) in enumerate(sequence) if doc == name), len(sequence))
        (first_spine if heard < first_own else last_spine).append(f"{HERE}-{name}")
    used = set(generated)
    for src in sources.values():
        _unlink_dangling(src, sources)
        if src.overlay:
            name = _unique(re.sub(r"[^A-Za-z0-9_.-]", "_", PurePosixPath(src.path).stem), used)
            overlay = f"{HERE}-mo-{name}"
            smil_href = f"{HERE}/smil/{name}.smil"
            text_href = _rel(src.path, posixpath.join(here, "smil"))  # no seq: the whole document is read in order
            entries[posixpath.join(base, smil_href)] = smil_overlay(src.overlay, text_href)
            durations[overlay] = sum(c.end_ms - c.begin_ms for c in src.overlay)
            new_items.append((overlay, smil_href, "application/smil+xml", {}))
            spine_docs[src.path].set("media-overlay", overlay)
            _link_css(src, posixpath.join(here, "readalong.css"))
        entries[src.path] = etree.tostring(src.tree, xml_declaration=True, encoding="utf-8")
    entries[posixpath.join(here, "readalong.css")] = CSS.encode()
    new_items.append((f"{HERE}-css", f"{HERE}/readalong.css", "text/css", {}))
    entries[posixpath.join(here, "style.css")] = STYLE.encode()  # the generated documents' own
    new_items.append((f"{HERE}-style", f"{HERE}/style.css", "text/css", {}))
    entries[posixpath.join(here, "nav.xhtml")] = nav_document(plan.book.title, _nav_links(documents, titles, sources,
                                                                                         here), plan.book.language)
    new_items.append((f"{HERE}-nav", f"{HERE}/nav.xhtml", _XHTML_TYPE, {"properties": "nav"}))

    _package(package, items, spine_docs, new_items, first_spine, last_spine)
    _media_metadata(package.find(f"{{{OPF}}}metadata"), plan, durations)
    for item in items.values():
        path = full(item.get("href"))
        if item.getparent() is not None and not _SCHEME.match(item.get("href")) and path not in entries:
            entries[path] = archive.read(path)
    entries[opf_name] = etree.tostring(package, xml_declaration=True, encoding="utf-8")
    return entries, opf_name, report


def _package(package: etree._Element, items: dict[str, etree._Element], spine_docs: dict[str, etree._Element],
             new_items: list[tuple[str, str, str, dict[str, str]]], first: list[str], last: list[str]) -> None:
    """The source's package with the kept resources, its spine documents and what was added around
    them; without its NCX, guide, old nav, and documents the spine leaves out."""
    manifest, spine = package.find(f"{{{OPF}}}manifest"), package.find(f"{{{OPF}}}spine")
    in_spine = {item.get("id") for item in spine_docs.values()}
    for item in items.values():
        kind = item.get("media-type")
        if kind == "application/x-dtbncx+xml" or (kind == _XHTML_TYPE and item.get("id") not in in_spine):
            manifest.remove(item)
            continue
        properties = [p for p in (item.get("properties") or "").split() if p != "nav"]
        if properties:
            item.set("properties", " ".join(properties))
        else:
            item.attrib.pop("properties", None)
    for item_id, href, kind, extra in new_items:
        etree.SubElement(manifest, f"{{{OPF}}}item", {"id": item_id, "href": href, "media-type": kind, **extra}
                         ).tail = "\n"
    spine.attrib.pop("toc", None)
    for n, idref in enumerate(first):
        spine.insert(n, spine.makeelement(f"{{{OPF}}}itemref", {"idref": idref}))
    for idref in last:
        etree.SubElement(spine, f"{{{OPF}}}itemref", idref=idref)
    guide = package.find(f"{{{OPF}}}guide")
    if guide is not None:
        package.remove(guide)


def _unique(name: str, used: set[str]) -> str:
    while name in used:
        name += "_"
    used.add(name)
    return name


def _owner(node: tuple[etree._Element, bool]) -> etree._Element:
    element, tail = node
    return element.getparent() if tail else element


def _title_targets(read: list[Document], sources: dict[str, _Source]) -> dict[str, tuple[str, etree._Element]]:
    """Per track: the heading between the previous track's text and its own first paragraph, in that
    paragraph's document (found before any span is made)."""
    order = {path: {e: n for n, e in enumerate(src.root.iter())} for path, src in sources.items()}
    headings = {path: [(n, e) for e, n in positions.items() if local(e.tag) in _HEADINGS]
                for path, positions in order.items()}
    found: dict[str, tuple[str, etree._Element]] = {}
    previous: tuple[str, int] = ("", -1)
    for document in read:
        blocks = [b for b in document.blocks if b.source_nodes and b.source_document in sources]
        if not blocks:
            continue
        path, first = blocks[0].source_document, blocks[0].source_nodes[0]
        src = sources[path]
        if first >= len(src.nodes):
            continue
        start = order[path][_owner(src.nodes[first])]
        after = previous[1] if previous[0] == path else -1
        between = [e for n, e in headings[path] if after < n < start]
        if between:
            found[document.name] = (path, between[0])
        last = blocks[-1]
        if last.source_document == path and last.source_nodes[-1] < len(src.nodes):
            previous = (path, order[path][_owner(src.nodes[last.source_nodes[-1]])])
    return found


def _map_track(document: Document, sources: dict[str, _Source], title: tuple[str, etree._Element] | None,
               report: MappingReport) -> list[tuple[str, str, Phrase]]:
    """The track's phrases wrapped in its source documents: (document path, element id, phrase) in order."""
    out: list[tuple[str, str, Phrase]] = []
    first_element: tuple[str, etree._Element] | None = None
    for block in document.blocks:
        if block.kind == "heading" or not block.phrases:
            continue
        src = sources.get(block.source_document)
        if src is None or not block.source_nodes or block.source_nodes[-1] >= len(src.nodes):
            raise Unmappable(f"{document.title}: a paragraph was not found in the source")
        nodes = [src.nodes[n] for n in block.source_nodes]
        places = paragraph_places(block.text, nodes)
        report.phrases += len(block.phrases)
        ranges = [(p.start, p.end, src.new_id(f"{document.name}-{p.id}")) for p in block.phrases]
        made = wrap_phrases(places, block.text, ranges) if places else None
        if made is not None and len(made) == len(ranges):
            report.wrapped += len(ranges)
            out += [(src.path, ident, phrase) for (_, _, ident), phrase in zip(ranges, block.phrases)]
            element = made[0]
        else:  # the paragraph as one par, on the element that holds it
            report.merged += 1
            element = (container_of(places) if places else None) or _owner(nodes[0])
            whole = Phrase(f"{document.name}-{block.phrases[0].id}", 0, len(block.text), block.phrases[0].part,
                           block.phrases[0].begin, block.phrases[-1].end_s)
            out.append((src.path, src.id_of(element, whole.id), whole))
        if first_element is None:
            first_element = (src.path, element)
    if first_element is None:
        raise Unmappable(f"{document.title}: no paragraph was found in the source")
    heading = next((b for b in document.blocks if b.kind == "heading"), None)
    if heading is not None and heading.phrases:
        if title is not None:
            report.titles_on_headings += 1
            path, element = title
        else:
            report.titles_elsewhere += 1
            path, element = first_element
            if local(element.tag) == "span" and element.getparent() is not None:
                element = element.getparent()  # not the first phrase's own span: a par's element is its own
        src = sources[path]
        out.insert(0, (path, src.id_of(element, f"{document.name}-title"), heading.phrases[0]))
    return out


def _rel(target: str, start_dir: str) -> str:
    return posixpath.relpath(target, start_dir or ".")


def _link_css(src: _Source, css_path: str) -> None:
    head = src.root.find(f"{{{XHTML}}}head")
    if head is not None:
        etree.SubElement(head, f"{{{XHTML}}}link", rel="stylesheet", type="text/css",
                         href=_rel(css_path, posixpath.dirname(src.path)))


def _unlink_dangling(src: _Source, sources: dict[str, _Source]) -> None:
    """Links to documents not in the spine, or to ids they lack, lose their href (and link role)."""
    folder = posixpath.dirname(src.path)
    for link in src.root.iter(f"{{{XHTML}}}a", f"{{{XHTML}}}area"):
        href = link.get("href")
        if href is None or _SCHEME.match(href):
            continue
        target, _, fragment = unquote(href).partition("#")
        path = posixpath.normpath(posixpath.join(folder, target)) if target else src.path
        if path in sources and (not fragment or fragment in sources[path].ids):
            continue
        del link.attrib["href"]
        link.attrib.pop("role", None)


def _nav_links(documents: list[Document], titles: dict[str, tuple[str, etree._Element]],
               sources: dict[str, _Source], here: str) -> list[tuple[str, str, str]]:
    """(title, href from the nav, kind) per track: a track's heading, or its first paragraph's document."""
    links = []
    for document in documents:
        if document.kind == "credits":
            links.append((document.title, f"text/{document.name}.xhtml", document.kind))
        elif document.name in titles:
            path, element = titles[document.name]
            ident = element.get("id")
            links.append((document.title, _rel(path, here) + (f"#{ident}" if ident else ""), document.kind))
        else:
            path = next((b.source_document for b in document.blocks if b.source_document in sources), None)
            if path is not None:
                links.append((document.title, _rel(path, here), document.kind))
    return links


def _media_metadata(metadata: etree._Element, plan: Plan, durations: dict[str, int]) -> None:
    def meta(prop: str, value: str, **attributes: str) -> None:
        etree.SubElement(metadata, f"{{{OPF}}}meta", {"property": prop, **attributes}).text = value

    modified = next((m for m in metadata.iter(f"{{{OPF}}}meta") if m.get("property") == "dcterms:modified"), None)
    stamp = modified_time(plan).strftime("%Y-%m-%dT%H:%M:%SZ")
    if modified is not None:
        modified.text = stamp
    else:
        meta("dcterms:modified", stamp)
    for overlay, ms in durations.items():
        meta("media:duration", clock(ms), refines=f"#{overlay}")
    meta("media:duration", clock(sum(durations.values())))
    meta("media:narrator", plan.voice_name.title())
    meta("media:active-class", ACTIVE_CLASS)
    present = {(m.get("property"), (m.text or "").strip()) for m in metadata.iter(f"{{{OPF}}}meta")}
    for prop, value in (("schema:accessMode", "textual"), ("schema:accessMode", "auditory"),
                        ("schema:accessibilityFeature", "synchronizedAudioText")):
        if (prop, value) not in present:
            meta(prop, value)
