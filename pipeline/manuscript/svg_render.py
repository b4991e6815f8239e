"""SVG cover -> PNG, run as a child process (`python svg_render.py MEMORY_BYTES < svg > png`).

An SVG is a program: huge filters or deep `<use>` chains make cairosvg run for minutes or take
gigabytes. The parent (cover_image.render_svg) kills this process after a time limit; the address
space limit set here, before cairo loads, turns a memory explosion into a quick failure.
"""

from __future__ import annotations

import io
import resource
import sys

SVG_WIDTH = 1400  # px; plenty for an audiobook cover


def svg_to_png(data: bytes) -> bytes:
    """Render with cairosvg, encode with Pillow uncompressed (cairo's own PNG writer takes ~1 s): the PNG
    only crosses a pipe to the parent, which makes the cover from it."""
    from cairosvg.parser import Tree  # cairo loads in ~1 s
    from cairosvg.surface import PNGSurface
    from PIL import Image

    surface = PNGSurface(Tree(bytestring=data), io.BytesIO(), 96, output_width=SVG_WIDTH)
    pixels = surface.cairo
    size = (pixels.get_width(), pixels.get_height())
    # Cairo's ARGB32 is premultiplied, native-endian (BGRA on little-endian machines).
    image = Image.frombuffer("RGBA", size, bytes(pixels.get_data()), "raw", "BGRa", pixels.get_stride(), 1)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def main() -> int:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        png = svg_to_png(sys.stdin.buffer.read())
    except MemoryError:
        sys.stderr.write(f"needs more than {limit // 2**20} MiB of memory to render\n")
        return 3
    except Exception as error:  # noqa: BLE001 - reported to the parent as one line
        sys.stderr.write(f"{type(error).__name__}: {' '.join(str(error).split())[:200]}\n")
        return 2
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
