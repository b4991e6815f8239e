"""Cover images made fit for audiobook stores, decoded within bounds.

Stores want a square-ish image of at most a few thousand pixels (ACX: square, 2400 px and up;
Apple: up to 3000 px works everywhere). A cover is decoded (a corrupt file fails here, not in a
store's upload check), scaled down to MAX_SIDE, padded to a square with its own edge colour when
it is not square-ish, and re-encoded as JPEG; one that needs none of this keeps its bytes. What was done
is said in one line (Book.cover_note).

Untrusted images are decoded within bounds: a raster cover's header is read before its pixels,
and one over MAX_DECODE_PIXELS is not decoded (JPEGs are decoded at a reduced scale instead);
an SVG is rendered in a child process with a memory limit, killed after SVG_TIMEOUT_S.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import warnings
from pathlib import Path

from PIL import Image, ImageOps, ImageStat

from pipeline.book import Cover

MAX_SIDE = 3000
MAX_DECODE_PIXELS = 40_000_000  # 160 MB as RGBA
JPEG_QUALITY = 92
SQUARE_TOLERANCE = 0.05  # width/height within 5% of 1 counts as square
SVG_TIMEOUT_S = 20.0
SVG_MEMORY_BYTES = 768 * 2**20
_RENDERER = Path(__file__).with_name("svg_render.py")  # run as a script: it imports nothing of ours
_KEEP_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class CoverError(Exception):
    """Why a cover cannot be used, in words for the user."""


def render_svg(data: bytes) -> bytes:
    """PNG bytes of an SVG, rendered by a child process that is killed past the time limit."""
    try:
        done = subprocess.run([sys.executable, str(_RENDERER), str(SVG_MEMORY_BYTES)],
                              input=data, capture_output=True, timeout=SVG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CoverError(f"SVG cover took longer than {SVG_TIMEOUT_S:.0f} s to render; not used") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"renderer exited with status {done.returncode}"
        raise CoverError(f"SVG cover could not be rendered ({why})")
    return done.stdout


def _decoded(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded image (perhaps at a reduced scale) and its size as stored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            pixels = re.search(r"\((\d+) pixels\)", str(error))
            size = f"{int(pixels[1]) / 1e6:,.0f} megapixels" if pixels else "over Pillow's limit"
            raise CoverError(f"cover image is {size}, too large to decode safely") from None
    width, height = image.size
    if width * height > MAX_DECODE_PIXELS and image.format == "JPEG":
        image.draft(None, (MAX_SIDE, MAX_SIDE))  # the JPEG decoder scales by 1/2..1/8 as it decodes
    if image.size[0] * image.size[1] > MAX_DECODE_PIXELS:
        raise CoverError(f"cover image is {width}×{height} pixels, too large to decode safely "
                         f"(the limit is {MAX_DECODE_PIXELS // 1_000_000} megapixels)")
    image.load()  # a truncated or corrupt file fails here
    return image, (width, height)


def _edge_colour(image: Image.Image) -> tuple[int, ...]:
    """The mean colour of the two edges that padding will extend."""
    width, height = image.size
    if width < height:
        edges = [image.crop((0, 0, 1, height)), image.crop((width - 1, 0, width, height))]
    else:
        edges = [image.crop((0, 0, width, 1)), image.crop((0, height - 1, width, height))]
    means = [ImageStat.Stat(edge).mean for edge in edges]
    return tuple(round((a + b) / 2) for a, b in zip(*means))


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getchannel("A").getextrema()[0] < 255
    return "transparency" in image.info


def fit_cover(data: bytes, source: str | None = None) -> tuple[Cover, str | None]:
    """A store-ready cover from raster image bytes, and what was done to it (None: nothing). `source`
    names the original format when `data` is a rendering of it (an SVG)."""
    original, (width, height) = _decoded(data)
    fmt = original.format or "image"
    image = original
    done: list[str] = []
    if original.getexif().get(0x0112, 1) != 1:  # EXIF orientation: stores and players ignore it
        image = ImageOps.exif_transpose(original)
        done.append("turned upright")
    if _has_transparency(image):
        background = Image.new("RGB", image.size, "white")  # stores want an opaque image
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
        done.append("transparency flattened onto white")
    elif image.mode not in ("RGB", "L"):
        if image.mode == "CMYK":
            done.append("converted from CMYK to RGB")  # some players show CMYK JPEGs inverted or not at all
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        done.append(f"scaled from {width}×{height} to {image.size[0]}×{image.size[1]}")
    if abs(image.size[0] / image.size[1] - 1) > SQUARE_TOLERANCE:
        (w, h), side = image.size, max(image.size)
        square = Image.new(image.mode, (side, side), _edge_colour(image))
        square.paste(image, ((side - w) // 2, (side - h) // 2))
        image = square
        done.append(f"padded from {w}×{h} to a {side}×{side} square")
    if not done and fmt in _KEEP_FORMATS and source is None:
        return Cover(data, _KEEP_FORMATS[fmt]), None
    if fmt != "JPEG":
        done.append(f"converted from {source or fmt} to JPEG")
    out = io.BytesIO()
    # JPEG: every MP3 carries the cover; a 2100 px PNG rendering is ~4 MB, this ~0.3 MB, and 20x faster to write.
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return Cover(out.getvalue(), "image/jpeg"), "cover " + ", ".join(done)
