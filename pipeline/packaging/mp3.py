"""Per-file MP3 tags (ID3v2.4) for store upload and ordinary players."""

from __future__ import annotations

from pathlib import Path

from mutagen.id3 import APIC, COMM, ID3, TALB, TCOM, TCON, TDRC, TIT2, TPE1, TPE2, TRCK, TXXX


def tag_mp3(path: Path, tags: dict[str, str], track: int, total: int, cover: tuple[bytes, str] | None) -> None:
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags["track_title"]))
    id3.add(TALB(encoding=3, text=tags["album"]))
    id3.add(TPE1(encoding=3, text=tags["artist"]))
    id3.add(TPE2(encoding=3, text=tags["album_artist"]))
    id3.add(TCOM(encoding=3, text=tags["narrator"]))
    id3.add(TXXX(encoding=3, desc="NARRATOR", text=tags["narrator"]))
    id3.add(TRCK(encoding=3, text=f"{track}/{total}"))
    id3.add(TCON(encoding=3, text="Audiobook"))
    if tags.get("year"):
        id3.add(TDRC(encoding=3, text=tags["year"]))
    if tags.get("comment"):
        id3.add(COMM(encoding=3, lang="eng", desc="", text=tags["comment"]))
    if cover:
        id3.add(APIC(encoding=3, mime=cover[1], type=3, desc="Cover", data=cover[0]))
    id3.save(str(path), v2_version=4)
