"""Builds small real EPUB 2/3 files for the tests: mimetype first (stored), container, OPF, XHTML."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5d4c2a90000000049454e44ae426082"
)
SVG_COVER = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 300" width="200" height="300">
  <rect width="200" height="300" fill="#336"/><circle cx="100" cy="150" r="50" fill="#fc0"/>
</svg>"""


def xhtml(body: str, body_type: str = "", title: str = "x") -> str:
    typed = f' epub:type="{body_type}"' if body_type else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>{title}</title></head>
<body{typed}>{body}</body>
</html>"""


@dataclass
class Doc:
    name: str  # file name under OEBPS/
    body: str
    body_type: str = ""
    linear: bool = True


@dataclass
class EpubSpec:
    docs: list[Doc]
    toc: list | None = None  # [(label, href, [children])...]; None: no TOC at all
    version: int = 3
    title: str = "Test Book"
    authors: list[str] = field(default_factory=lambda: ["Ann Author"])
    language: str | None = "en-GB"
    description: str | None = None
    landmarks: list[tuple[str, str]] = field(default_factory=list)  # (epub:type, href)
    guide: list[tuple[str, str]] = field(default_factory=list)  # (type, href)
    cover: tuple[str, bytes, str] | None = None  # (name, data, media type)
    extra: dict[str, bytes | str] = field(default_factory=dict)  # more zip entries


def _nav_list(entries: list) -> str:
    items = []
    for label, href, children in entries:
        link = f'<a href="{href}">{label}</a>' if href else f"<span>{label}</span>"
        sub = f"<ol>{_nav_list(children)}</ol>" if children else ""
        items.append(f"<li>{link}{sub}</li>")
    return "".join(items)


def _ncx_points(entries: list, counter: list[int]) -> str:
    points = []
    for label, href, children in entries:
        counter[0] += 1
        n = counter[0]
        points.append(
            f'<navPoint id="np{n}" playOrder="{n}"><navLabel><text>{label}</text></navLabel>'
            f'<content src="{href}"/>{_ncx_points(children, counter)}</navPoint>'
        )
    return "".join(points)


def build_epub(path: Path, spec: EpubSpec) -> Path:
    manifest = [f'<item id="d{i}" href="{d.name}" media-type="application/xhtml+xml"/>' for i, d in enumerate(spec.docs)]
    spine = [f'<itemref idref="d{i}" linear="{"yes" if d.linear else "no"}"/>' for i, d in enumerate(spec.docs)]
    files: dict[str, bytes | str] = {f"OEBPS/{d.name}": xhtml(d.body, d.body_type) for d in spec.docs}
    meta = [f"<dc:title>{spec.title}</dc:title>", '<dc:identifier id="uid">urn:test:1</dc:identifier>']
    meta += [f"<dc:creator>{a}</dc:creator>" for a in spec.authors]
    if spec.language:
        meta.append(f"<dc:language>{spec.language}</dc:language>")
    if spec.description:
        meta.append(f"<dc:description>{spec.description}</dc:description>")
    spine_attr = ""
    if spec.cover:
        name, data, mime = spec.cover
        props = ' properties="cover-image"' if spec.version == 3 else ""
        manifest.append(f'<item id="cover-img" href="{name}" media-type="{mime}"{props}/>')
        if spec.version == 2:
            meta.append('<meta name="cover" content="cover-img"/>')
        files[f"OEBPS/{name}"] = data
    if spec.version == 3:
        landmarks = "".join(f'<li><a epub:type="{t}" href="{h}">{t}</a></li>' for t, h in spec.landmarks)
        toc = f'<nav epub:type="toc"><ol>{_nav_list(spec.toc or [])}</ol></nav>' if spec.toc is not None else ""
        nav = xhtml(f'{toc}<nav epub:type="landmarks"><ol>{landmarks}</ol></nav>')
        if spec.toc is None:  # ebooklib needs a toc nav in the nav document; give it an empty one
            nav = xhtml(f'<nav epub:type="toc"><ol></ol></nav><nav epub:type="landmarks"><ol>{landmarks}</ol></nav>')
        manifest.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
        files["OEBPS/nav.xhtml"] = nav
    elif spec.toc is not None:
        manifest.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
        spine_attr = ' toc="ncx"'
        files["OEBPS/toc.ncx"] = (
            '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
            f'<head/><docTitle><text>{spec.title}</text></docTitle>'
            f"<navMap>{_ncx_points(spec.toc, [0])}</navMap></ncx>"
        )
    guide = "".join(f'<reference type="{t}" href="{h}" title="{t}"/>' for t, h in spec.guide)
    opf = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="{spec.version}.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">{"".join(meta)}</metadata>
<manifest>{"".join(manifest)}</manifest>
<spine{spine_attr}>{"".join(spine)}</spine>
{f"<guide>{guide}</guide>" if guide else ""}
</package>"""
    files = {"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf, **files, **spec.extra}
    write_zip(path, files)
    return path


def write_zip(path: Path, files: dict[str, bytes | str], mimetype: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype:
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data)
    return path
