"""Cover images: find the EPUB's cover and make it a raster image the packager can embed."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from ebooklib import epub

from pipeline.book import Cover
from pipeline.manuscript.cover_image import CoverError, fit_cover, render_svg
from pipeline.manuscript.epub_safety import local_name
from pipeline.manuscript.xhtml import parse_xhtml

# External references in an SVG would make cairosvg fetch files or URLs; embedded data: URIs are fine.
_EXTERNAL_REF = re.compile(rb"""href\s*=\s*["'](?!data:|#)""", re.IGNORECASE)


def _cover_id(package: Element) -> str | None:
    """EPUB 3 `properties="cover-image"`, else EPUB 2 `<meta name="cover" content="id"/>`."""
    elements = list(package.iter())
    for element in elements:
        if local_name(element.tag) == "item" and "cover-image" in (element.get("properties") or "").split():
            return element.get("id")
    for element in elements:
        if local_name(element.tag) == "meta" and element.get("name") == "cover":
            return element.get("content")
    return None


def _cover_item(book: epub.EpubBook, package: Element, cover_pages: list[str]) -> epub.EpubItem | None:
    cover_id = _cover_id(package)
    item = book.get_item_with_id(cover_id) if cover_id else None
    if item is not None and item.media_type.startswith("image/"):
        return item
    for page_name in cover_pages:  # guide/landmark cover page: its first image
        page = book.get_item_with_href(page_name)
        if page is None:
            continue
        image = parse_xhtml(page.get_content()).find(["img", "image"])
        href = image and (image.get("src") or image.get("xlink:href") or image.get("href"))
        if isinstance(href, str):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page_name), unquote(href)))
            item = book.get_item_with_href(target)
            if item is not None:
                return item
    return None


def _rasterise(data: bytes, mime: str) -> tuple[Cover | None, str | None]:
    if mime == "image/svg+xml":
        if _EXTERNAL_REF.search(data):
            return None, "SVG cover refers to external files; not rasterised"
        return fit_cover(render_svg(data), source="SVG")
    return fit_cover(data)  # JPEG, PNG, GIF, WebP...: decoded, checked, made store-ready


def find_cover(book: epub.EpubBook, package: Element, cover_pages: list[str]) -> tuple[Cover | None, str | None]:
    """(cover, None) or (None, reason there is no usable cover)."""
    item = _cover_item(book, package, cover_pages)
    if item is None:
        return None, "the EPUB declares no cover image"
    try:
        return _rasterise(item.get_content(), item.media_type)
    except CoverError as error:
        return None, f"cover image {item.get_name()} not used: {error}"
    except Exception as error:  # a broken image should not stop the book being read
        return None, f"cover image {item.get_name()} could not be used ({type(error).__name__}: {error})"
