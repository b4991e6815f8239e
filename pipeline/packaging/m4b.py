"""One M4B for the whole book: the tracks' AAC pieces joined without re-encoding, a chapter marker
per file, cover art and MP4 audiobook tags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mutagen.mp4 import MP4, MP4Cover

from pipeline.errors import PipelineError
from pipeline.faults import fault_point
from pipeline.mastering.encode import run_ffmpeg
from pipeline.mastering.spec import OUTPUT_RATE


@dataclass
class ChapterMark:
    title: str
    start: int  # samples at OUTPUT_RATE
    end: int


def adts_samples(path: Path) -> int:
    """Samples an ADTS AAC file decodes to, from its frame headers (1024 per raw data block).

    Joining pieces adds each encoder's priming frames, so chapter starts must come from the
    frames actually written, not from the PCM length that went in.
    """
    data = path.read_bytes()
    pos = samples = 0
    while pos + 7 <= len(data):
        if data[pos] != 0xFF or data[pos + 1] & 0xF0 != 0xF0:
            raise PipelineError(f"{path.name} is not a clean ADTS stream")
        length = ((data[pos + 3] & 0x03) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
        samples += 1024 * ((data[pos + 6] & 0x03) + 1)
        pos += length
    return samples


def _escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def _split(mark: ChapterMark, inner: list[tuple[float, str]]) -> list[ChapterMark]:
    """A piece's marker split at markers inside it ((seconds into the piece, title), in order): the
    first inner marker starts with the piece, so that its heading is inside its own chapter."""
    if not inner:
        return [mark]
    starts = [mark.start] + [mark.start + round(seconds * OUTPUT_RATE) for seconds, _ in inner[1:]]
    ends = starts[1:] + [mark.end]
    return [ChapterMark(title, start, end) for (_, title), start, end in zip(inner, starts, ends)]


def write_m4b(pieces: list[tuple[str, Path]], out: Path, tags: dict[str, str], cover: tuple[bytes, str] | None,
              work: Path, inner: list[list[tuple[float, str]]] | None = None) -> list[ChapterMark]:
    """Join `(chapter title, ADTS file)` pieces into `out`, atomically; `inner` (per piece) adds a
    chapter marker per grouped tiny leaf. Returns one marker per piece."""
    joined = work / "book.aac"
    marks: list[ChapterMark] = []
    position = 0
    with open(joined, "wb") as sink:
        for title, piece in pieces:
            samples = adts_samples(piece)
            marks.append(ChapterMark(title, position, position + samples))
            position += samples
            with open(piece, "rb") as source:
                while block := source.read(1 << 20):
                    sink.write(block)
    meta = work / "chapters.ffmeta"
    lines = [";FFMETADATA1"]
    chapters = [c for i, mark in enumerate(marks) for c in _split(mark, inner[i] if inner else [])]
    for mark in chapters:
        lines += ["[CHAPTER]", f"TIMEBASE=1/{OUTPUT_RATE}", f"START={mark.start}", f"END={mark.end}",
                  f"title={_escape(mark.title)}"]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp = work / f".{out.stem}.{os.getpid()}.tmp.m4b"  # in .work/: a killed run leaves nothing beside the outputs
    try:
        run_ffmpeg(["-y", "-i", str(joined), "-i", str(meta), "-map", "0:a", "-map_metadata", "1",
                    "-map_chapters", "1", "-c", "copy", "-fflags", "+bitexact", "-movflags", "+faststart",
                    "-f", "ipod", str(tmp)], f"writing {out.name}")
        _tag(tmp, tags, cover)
        fault_point("m4b")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        joined.unlink(missing_ok=True)
    return marks


def _tag(path: Path, tags: dict[str, str], cover: tuple[bytes, str] | None) -> None:
    audio = MP4(str(path))
    names = {"title": "\xa9nam", "album": "\xa9alb", "artist": "\xa9ART", "album_artist": "aART",
             "narrator": "\xa9wrt", "description": "desc", "year": "\xa9day", "genre": "\xa9gen",
             "comment": "\xa9cmt"}
    for key, atom in names.items():
        if tags.get(key):
            audio[atom] = [tags[key]]
    audio["stik"] = [2]  # media kind: audiobook
    if cover:
        fmt = MP4Cover.FORMAT_PNG if cover[1] == "image/png" else MP4Cover.FORMAT_JPEG
        audio["covr"] = [MP4Cover(cover[0], imageformat=fmt)]
    audio.save()
