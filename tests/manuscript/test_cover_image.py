"""Covers made store-ready within bounds (pipeline/manuscript/cover_image.py): decoded and checked,
scaled to at most 3000 px, padded square, re-encoded; corrupt, huge and expensive images are dropped
with a one-line note, never embedded as they are, never a hang."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from manuscript_epub_builder import Doc, EpubSpec, build_epub
from PIL import Image

from pipeline.manuscript import cover_image, read_manuscript
from pipeline.manuscript.cover_image import MAX_SIDE, CoverError, fit_cover


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def epub_with_cover(folder: Path, name: str, data: bytes, mime: str) -> Path:
    docs = [Doc(f"c{n}.xhtml", f"<h2>Chapter {n}</h2><p>Words of chapter {n}, enough to read.</p>", "bodymatter")
            for n in (1, 2)]
    spec = EpubSpec(docs, [(f"Chapter {n}", f"c{n}.xhtml", []) for n in (1, 2)], cover=(name, data, mime))
    return build_epub(folder / "book.epub", spec)


def test_a_portrait_cover_is_padded_square_with_its_edge_colour():
    image = Image.new("RGB", (600, 900), (20, 40, 200))
    cover, note = fit_cover(encoded(image, "JPEG", quality=95))
    fitted = Image.open(io.BytesIO(cover.data))
    assert cover.mime == "image/jpeg" and fitted.size == (900, 900)
    assert note == "cover padded from 600×900 to a 900×900 square"
    r, g, b = fitted.getpixel((5, 450))  # the padding matches the image's own edges
    assert abs(r - 20) < 8 and abs(g - 40) < 8 and abs(b - 200) < 8


def test_a_huge_jpeg_is_decoded_at_reduced_scale_and_scaled_to_the_store_limit():
    """8000×8000 (64 megapixels, over the decode limit): the JPEG decoder's own 1/2 scale brings it
    in, then it is scaled to 3000×3000."""
    cover, note = fit_cover(encoded(Image.new("L", (8000, 8000), 128), "JPEG"))
    assert Image.open(io.BytesIO(cover.data)).size == (MAX_SIDE, MAX_SIDE)
    assert note == "cover scaled from 8000×8000 to 3000×3000"


def test_a_20000_pixel_png_is_not_decoded():  # (Pillow's own bomb check refuses it in the header)
    """Every MP3 would carry it (seven times their size): its header is enough to refuse it."""
    data = encoded(Image.new("1", (20000, 20000)), "PNG")
    began = time.perf_counter()
    with pytest.raises(CoverError, match="400 megapixels, too large to decode safely"):
        fit_cover(data)
    assert time.perf_counter() - began < 2


def test_a_png_over_the_decode_limit_is_not_decoded():
    data = encoded(Image.new("1", (9000, 9000)), "PNG")  # 81 megapixels: under Pillow's bomb limit, over ours
    with pytest.raises(CoverError, match="9000×9000 pixels, too large to decode safely"):
        fit_cover(data)


def test_a_large_png_is_scaled_down_to_a_jpeg():
    cover, note = fit_cover(encoded(Image.new("RGB", (4000, 4000), "white"), "PNG"))
    assert cover.mime == "image/jpeg" and Image.open(io.BytesIO(cover.data)).size == (3000, 3000)
    assert note == "cover scaled from 4000×4000 to 3000×3000, converted from PNG to JPEG"


def test_a_gif_cover_is_converted_and_says_so():
    cover, note = fit_cover(encoded(Image.new("RGB", (500, 500), "red"), "GIF"))
    assert cover.mime == "image/jpeg" and note == "cover converted from GIF to JPEG"


def test_a_corrupt_jpeg_is_dropped_with_a_note_not_embedded(tmp_path):
    whole = encoded(Image.effect_noise((800, 800), 60).convert("RGB"), "JPEG", quality=90)
    book = read_manuscript(epub_with_cover(tmp_path, "cover.jpg", whole[: len(whole) // 2], "image/jpeg"))
    assert book.cover is None
    assert book.cover_note and "cover.jpg" in book.cover_note and "truncated" in book.cover_note.lower()


EXPENSIVE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><defs>'
                 '<rect id="l0" width="10" height="10" fill="#c00"/>'
                 + "".join(f'<g id="l{i}">' + "".join(f'<use href="#l{i - 1}" x="{j}"/>' for j in range(10)) + "</g>"
                           for i in range(1, 9))
                 + '</defs><use href="#l8"/></svg>').encode()  # 10^8 rectangles


def test_an_expensive_svg_cover_is_dropped_after_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(cover_image, "SVG_TIMEOUT_S", 3.0)
    began = time.perf_counter()
    book = read_manuscript(epub_with_cover(tmp_path, "cover.svg", EXPENSIVE_SVG, "image/svg+xml"))
    assert time.perf_counter() - began < 15
    assert book.cover is None and "longer than 3 s to render" in (book.cover_note or "")
    assert len(book.chapters) == 2  # the book itself is read


def test_svg_rendering_runs_under_a_memory_limit(monkeypatch):
    """A tall SVG renders to 1400×28000 pixels (157 MB): over a 150 MiB limit the renderer fails fast."""
    tall = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 20" width="1" height="20">'
            b'<rect width="1" height="20" fill="#36c"/></svg>')
    monkeypatch.setattr(cover_image, "SVG_MEMORY_BYTES", 150 * 2**20)
    with pytest.raises(CoverError, match="needs more than 150 MiB"):
        cover_image.render_svg(tall)
