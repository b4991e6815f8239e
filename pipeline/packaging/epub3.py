"""The read-along EPUB 3: the book's text with Media Overlays (SMIL) over the mastered MP3s.

One XHTML content document per track (and one for the unread notes), each read phrase in a
`<span id>`; one SMIL per read document with a `<par>` per phrase; the chapter MP3s exactly as
mastered (copied, not re-encoded: MP3 is an EPUB core media type, raw ADTS AAC is not); cover,
navigation and metadata, with `media:duration` per overlay and in total and `media:active-class`.
For EPUB 3 input, `readalong_source` keeps the manuscript's own documents instead (this module's
generated documents are then only the credits, and the whole book's fallback).

Clips run back to back: a phrase's clip starts where its speech starts (the captions' cue start)
and ends where the next phrase's speech starts (the last one at the file's end), so that reading
systems, which play the clips one after the other, keep the narrator's pauses. All times are
whole milliseconds, so the overlay durations add up exactly.

ebooklib can write EPUB 3 but has no notion of media overlays (no `media-overlay` attribute, no
refined `media:duration` metadata), so the container is written here with lxml and zipfile.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from pipeline.faults import fault_point
from pipeline.mastering.render import RenderedPart
from pipeline.packaging.readalong import Block, Document, Phrase
from pipeline.plan import Plan

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
SMIL = "http://www.w3.org/ns/SMIL"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACTIVE_CLASS = "-epub-media-overlay-active"
STYLE = f"""body {{ font-family: serif; line-height: 1.5; margin: 1em 2em; }}
h1, h2 {{ text-align: center; }}
hr.scene {{ border: none; text-align: center; }}
hr.scene::after {{ content: "* * *"; }}
.{ACTIVE_CLASS} {{ background-color: #ffe58a; color: #000; border-radius: 0.15em; }}
"""
# Structural semantics (EPUB SSV) for a track kind; others get none.
_SSV = {"dedication": "dedication", "epigraph": "epigraph", "foreword": "foreword", "preface": "preface",
        "introduction": "introduction", "prologue": "prologue", "chapter": "chapter", "epilogue": "epilogue",
        "afterword": "afterword", "appendix": "appendix", "notes": "endnotes"}
# W3CDTF, the dc:date form epubcheck accepts without a warning.
_W3CDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$")


@dataclass
class Clip:
    """One `<par>`: a phrase's element and its clip, in whole milliseconds."""

    document: str
    element: str
    audio: int  # part index
    begin_ms: int
    end_ms: int


def overlay_clips(document: Document, parts: list[RenderedPart]) -> list[Clip]:
    """The document's pars: each clip from its phrase's speech start to the next phrase's in the same
    file (the file's end for the last)."""
    return timed_clips([(document.name, phrase.id, phrase) for phrase in document.phrases], parts)


def timed_clips(phrases: list[tuple[str, str, Phrase]], parts: list[RenderedPart]) -> list[Clip]:
    """Clips for (document, element id, phrase) in reading order, back to back within each file."""
    clips = []
    for n, (document, element, phrase) in enumerate(phrases):
        following = phrases[n + 1][2] if n + 1 < len(phrases) else None
        file_end_ms = int(parts[phrase.part].duration * 1000)  # floor: never past the audio's end
        end_ms = round(following.begin * 1000) if following and following.part == phrase.part else file_end_ms
        clips.append(Clip(document, element, phrase.part, round(phrase.begin * 1000), end_ms))
    return clips


def clock(ms: int) -> str:
    """A SMIL full clock value, H:MM:SS.mmm."""
    return f"{ms // 3600000}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_readalong_epub(out: Path, plan: Plan, documents: list[Document], parts: list[RenderedPart],
                         cover: tuple[bytes, str] | None, work: Path) -> Path:
    """Write the EPUB to `out`, atomically (staged in `work`)."""
    language = plan.book.language
    entries: dict[str, bytes | Path] = {}  # path inside OEBPS/ -> content, or the file that has it
    manifest: list[tuple[str, str, str, dict[str, str]]] = []  # id, href, media type, extra attributes
    spine: list[str] = []
    durations: dict[str, int] = {}
    if cover is not None:
        image = "images/cover." + ("png" if cover[1] == "image/png" else "jpg")
        entries[image] = cover[0]
        manifest.append(("cover-image", image, cover[1], {"properties": "cover-image"}))
        entries["text/cover.xhtml"] = _cover_page(plan.book.title, "../" + image, language)
        manifest.append(("cover", "text/cover.xhtml", "application/xhtml+xml", {}))
        spine.append("cover")
    for number, part in enumerate(parts):
        entries[f"audio/{number + 1:03d}.mp3"] = Path(part.mp3)
        manifest.append((f"audio-{number + 1:03d}", f"audio/{number + 1:03d}.mp3", "audio/mpeg", {}))
    for document in documents:
        href = f"text/{document.name}.xhtml"
        entries[href] = content_document(document, language)
        clips = overlay_clips(document, parts)
        extra = {}
        if clips:
            overlay = f"mo-{document.name}"
            entries[f"smil/{document.name}.smil"] = document_overlay(document, clips)
            manifest.append((overlay, f"smil/{document.name}.smil", "application/smil+xml", {}))
            durations[overlay] = sum(c.end_ms - c.begin_ms for c in clips)
            extra = {"media-overlay": overlay}
        manifest.append((document.name, href, "application/xhtml+xml", extra))
        spine.append(document.name)
    entries["nav.xhtml"] = _nav(plan.book.title, documents, language)
    manifest.append(("nav", "nav.xhtml", "application/xhtml+xml", {"properties": "nav"}))
    entries["style.css"] = STYLE.encode()
    manifest.append(("css", "style.css", "text/css", {}))
    entries["content.opf"] = _package(plan, manifest, spine, durations)

    return pack_epub(out, work, {"OEBPS/" + name: data for name, data in entries.items()}, "OEBPS/content.opf")


def pack_epub(out: Path, work: Path, entries: dict[str, bytes | Path], opf: str) -> Path:
    """The zip container at `out`, atomically (staged in `work`): `entries` are paths in the zip -> content,
    or the file that has it."""
    tmp = work / f".{out.stem}.{os.getpid()}.tmp.epub"  # in .work/: a killed run leaves nothing beside the outputs
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            # The mimetype comes first, stored, with no extra field: what makes the file an EPUB.
            archive.writestr(_info("mimetype", zipfile.ZIP_STORED), b"application/epub+zip")
            archive.writestr(_info("META-INF/container.xml"), _CONTAINER.replace(b"OEBPS/content.opf", opf.encode()))
            for name, data in entries.items():
                stored = name.lower().endswith((".mp3", ".jpg", ".jpeg", ".png", ".gif", ".woff", ".woff2"))
                info = _info(name, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)  # already compressed
                if isinstance(data, Path):  # streamed: a chapter's audio is never all in memory
                    huge = data.stat().st_size > 1 << 31
                    with open(data, "rb") as source, archive.open(info, "w", force_zip64=huge) as sink:
                        shutil.copyfileobj(source, sink, 1 << 20)
                else:
                    archive.writestr(info, data)
        fault_point("epub")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _info(name: str, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same book gives the same bytes
    info.compress_type = compression
    return info


_CONTAINER = b"""<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""


def _x(tag: str) -> str:
    return f"{{{XHTML}}}{tag}"


def _xhtml(title: str, language: str, stylesheet: str | None = "../style.css") -> tuple[etree._Element, etree._Element]:
    html = etree.Element(_x("html"), nsmap={None: XHTML, "epub": OPS})
    html.set("lang", language)
    html.set(XML_LANG, language)
    head = etree.SubElement(html, _x("head"))
    etree.SubElement(head, _x("meta"), charset="utf-8")
    etree.SubElement(head, _x("title")).text = title
    if stylesheet:
        etree.SubElement(head, _x("link"), rel="stylesheet", type="text/css", href=stylesheet)
    return html, etree.SubElement(html, _x("body"))


def _serialise(root: etree._Element, doctype: str | None = "<!DOCTYPE html>", pretty: bool = True) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype=doctype, pretty_print=pretty)


def _cover_page(title: str, image: str, language: str) -> bytes:
    html, body = _xhtml(title, language)
    section = etree.SubElement(body, _x("section"))
    section.set(f"{{{OPS}}}type", "cover")
    etree.SubElement(section, _x("img"), src=image, alt=title, style="max-width:100%;max-height:100vh")
    return _serialise(html)


def content_document(document: Document, language: str) -> bytes:
    html, body = _xhtml(document.title, language)
    section = etree.SubElement(body, _x("section"), id=document.name)
    if document.kind in _SSV:
        section.set(f"{{{OPS}}}type", _SSV[document.kind])
    for block in document.blocks:
        if block.scene_break_before:
            etree.SubElement(section, _x("hr"), {"class": "scene"})
        element = etree.SubElement(section, _x("h2" if block.kind == "heading" else "p"))
        element.tail = "\n"  # a block a line: readable source, and white space between blocks is insignificant
        _fill(element, block)
    return _serialise(html, pretty=False)  # indenting would add white space to the text


def _fill(element: etree._Element, block: Block) -> None:
    """The block's text into `element`: phrases as `<span id>`, emphasis as `<em>`, "\\n" as `<br/>`."""
    edges = [0, len(block.text)]
    for phrase in block.phrases:
        edges += [phrase.start, phrase.end]
    spans = {(p.start, p.end): p.id for p in block.phrases}
    edges = sorted(set(edges))
    for a, b in zip(edges, edges[1:]):
        target = element
        if (a, b) in spans:
            target = etree.SubElement(element, _x("span"), id=spans[(a, b)])
        _inline(target, block, a, b)


def _inline(parent: etree._Element, block: Block, a: int, b: int) -> None:
    """text[a:b] into `parent`, with its emphasis and line breaks."""
    cuts = {a, b}
    for s, e in block.emphasis:
        cuts |= {min(max(s, a), b), min(max(e, a), b)}
    cuts = sorted(cuts)
    for s, e in zip(cuts, cuts[1:]):
        emphasised = any(es <= s and e <= ee for es, ee in block.emphasis)
        target = etree.SubElement(parent, _x("em")) if emphasised else parent
        for n, line in enumerate(block.text[s:e].split("\n")):
            if n:
                etree.SubElement(target, _x("br"))
            _append_text(target, line)


def _append_text(parent: etree._Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def document_overlay(document: Document, clips: list[Clip]) -> bytes:
    seq = {"id": f"seq-{document.name}", f"{{{OPS}}}textref": f"../text/{document.name}.xhtml#{document.name}"}
    if document.kind in _SSV:
        seq[f"{{{OPS}}}type"] = _SSV[document.kind]
    return smil_overlay(clips, f"../text/{document.name}.xhtml", seq)


def smil_overlay(clips: list[Clip], text_href: str, seq: dict[str, str] | None = None) -> bytes:
    """A media overlay: a `<par>` per clip over the document at `text_href` (inside a `<seq>` with
    `seq`'s attributes, where given), its audio in `../audio/`."""
    smil = etree.Element(f"{{{SMIL}}}smil", nsmap={None: SMIL, "epub": OPS}, version="3.0")
    parent = etree.SubElement(smil, f"{{{SMIL}}}body")
    if seq is not None:  # the document's <section>, with its structural semantics
        parent = etree.SubElement(parent, f"{{{SMIL}}}seq", seq)
    for n, clip in enumerate(clips, start=1):
        par = etree.SubElement(parent, f"{{{SMIL}}}par", id=f"par-{n}")
        etree.SubElement(par, f"{{{SMIL}}}text", src=f"{text_href}#{clip.element}")
        etree.SubElement(par, f"{{{SMIL}}}audio", src=f"../audio/{clip.audio + 1:03d}.mp3",
                         clipBegin=clock(clip.begin_ms), clipEnd=clock(clip.end_ms))
    return _serialise(smil, doctype=None)


def _nav(title: str, documents: list[Document], language: str) -> bytes:
    links = [(d.title, f"text/{d.name}.xhtml", d.kind) for d in documents]
    return nav_document(title, links, language)


def nav_document(title: str, links: list[tuple[str, str, str]], language: str) -> bytes:
    """The navigation document: (title, href, track kind) in reading order; the first non-credits is the start."""
    html, body = _xhtml(title, language, stylesheet="style.css")
    nav = etree.SubElement(body, _x("nav"), id="toc")
    nav.set(f"{{{OPS}}}type", "toc")
    etree.SubElement(nav, _x("h1")).text = "Contents"
    ol = etree.SubElement(nav, _x("ol"))
    for text, href, _ in links:
        li = etree.SubElement(ol, _x("li"))
        etree.SubElement(li, _x("a"), href=href).text = text
    first = next((link for link in links if link[2] != "credits"), links[0])
    landmarks = etree.SubElement(body, _x("nav"), id="landmarks", hidden="hidden")
    landmarks.set(f"{{{OPS}}}type", "landmarks")
    ol = etree.SubElement(landmarks, _x("ol"))
    link = etree.SubElement(etree.SubElement(ol, _x("li")), _x("a"), href=first[1])
    link.set(f"{{{OPS}}}type", "bodymatter")
    link.text = "Start"
    return _serialise(html)


def _package(plan: Plan, manifest: list[tuple[str, str, str, dict[str, str]]], spine: list[str],
             durations: dict[str, int]) -> bytes:
    info = plan.book
    package = etree.Element(f"{{{OPF}}}package", {"version": "3.0", "unique-identifier": "book-id"},
                            nsmap={None: OPF})
    package.set(XML_LANG, info.language)
    metadata = etree.SubElement(package, f"{{{OPF}}}metadata", nsmap={"dc": DC})

    def dc(name: str, value: str, **attributes: str) -> None:
        etree.SubElement(metadata, f"{{{DC}}}{name}", attributes).text = value

    def meta(prop: str, value: str, **attributes: str) -> None:
        etree.SubElement(metadata, f"{{{OPF}}}meta", {"property": prop, **attributes}).text = value

    identifier = uuid.uuid5(uuid.NAMESPACE_URL, f"audiobook:{plan.slug}:{plan.source_sha256}")
    dc("identifier", f"urn:uuid:{identifier}", id="book-id")
    dc("title", info.title)
    dc("language", info.language)
    for n, author in enumerate(info.authors, start=1):
        dc("creator", author, id=f"author-{n}")
    if info.publisher:
        dc("publisher", info.publisher)
    if info.date and _W3CDTF.match(info.date):
        dc("date", info.date)
    if info.description:
        dc("description", info.description)
    meta("dcterms:modified", modified_time(plan).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for overlay, ms in durations.items():
        meta("media:duration", clock(ms), refines=f"#{overlay}")
    meta("media:duration", clock(sum(durations.values())))
    meta("media:narrator", plan.voice_name.title())
    meta("media:active-class", ACTIVE_CLASS)
    for mode in ("textual", "auditory"):
        meta("schema:accessMode", mode)
    meta("schema:accessibilityFeature", "synchronizedAudioText")
    items = etree.SubElement(package, f"{{{OPF}}}manifest")
    for item_id, href, media_type, extra in manifest:
        etree.SubElement(items, f"{{{OPF}}}item", {"id": item_id, "href": href, "media-type": media_type, **extra})
    order = etree.SubElement(package, f"{{{OPF}}}spine")
    for item_id in spine:
        etree.SubElement(order, f"{{{OPF}}}itemref", idref=item_id)
    return _serialise(package, doctype=None)


def write_book_epub(root: Path, work: Path, plan: Plan, parts: list[RenderedPart],
                    cover: tuple[bytes, str] | None) -> Path:
    """`<root>/<slug>.epub` for a produced book: its parts in book order, the manuscript re-read for the text."""
    from pipeline.packaging.readalong import manuscript_book, readalong_documents

    book = manuscript_book(plan)
    documents = readalong_documents(plan, parts, book)
    out = root / f"{plan.slug}.epub"
    if book is not None and Path(plan.source).suffix.lower() == ".epub":
        from pipeline.packaging.readalong_source import write_source_readalong

        if write_source_readalong(out, work, plan, documents, parts, Path(plan.source)) is not None:
            return out  # the manuscript's own XHTML; else (an EPUB 2, a document lxml cannot parse) generated
    return write_readalong_epub(out, plan, documents, parts, cover, work)


def modified_time(plan: Plan) -> datetime:
    """$SOURCE_DATE_EPOCH, else the manuscript's modification time: the same book gives the same bytes."""
    try:
        stamp = float(os.environ.get("SOURCE_DATE_EPOCH") or os.stat(plan.source).st_mtime)
    except (OSError, ValueError):
        return datetime.now(timezone.utc)
    return datetime.fromtimestamp(int(stamp), timezone.utc)
