"""Hostile and broken inputs, generated on the fly (no binaries are committed).

Each builder writes one case into a folder and returns its path. `MANUSCRIPTS` and `CLIPS` map a
case name to its builder.
"""

from __future__ import annotations

import io
import os
import struct
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

CONTAINER_XML = ('<?xml version="1.0"?><container version="1.0" '
                 'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                 '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 '</rootfiles></container>')
CHAPTER = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>One'
           '</title></head><body><h1>Chapter One</h1><p>The kettle sang at seven and the rain came down.</p>'
           '</body></html>')


def opf(spine: str = '<itemref idref="c1"/>', doctype: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<package xmlns="http://www.idpf.org/2007/opf" '
            'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>Hostile &amp; Broken</dc:title>'
            '<dc:language>en</dc:language><dc:creator>Nobody</dc:creator></metadata><manifest>'
            '<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest>'
            f'<spine>{spine}</spine></package>')


def epub_bytes(entries: dict[str, bytes | str], mimetype: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype:
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def valid_entries() -> dict[str, str]:
    return {"META-INF/container.xml": CONTAINER_XML, "OEBPS/content.opf": opf(), "OEBPS/c1.xhtml": CHAPTER}


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# -- manuscripts -------------------------------------------------------------------------------------

def corrupt_zip(folder: Path) -> Path:
    data = bytearray(epub_bytes(valid_entries()))
    data[len(data) // 3: len(data) // 3 + 64] = b"\xff" * 64  # damage the compressed streams
    del data[-30:]  # and chop the central directory's end
    return _write(folder, "corrupt.epub", bytes(data))


def zip_bomb(folder: Path) -> Path:
    """A 1 GiB entry of zeros, a few MiB on disk (streamed: never held in memory here)."""
    path = folder / "bomb.epub"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        for name, data in valid_entries().items():
            archive.writestr(name, data)
        block = b"\0" * (1 << 20)
        with archive.open("OEBPS/padding.xhtml", "w", force_zip64=True) as entry:
            for _ in range(1024):
                entry.write(block)
    return path


def path_traversal(folder: Path) -> Path:
    entries = {**valid_entries(), "../../../../tmp/evil.xhtml": CHAPTER}
    return _write(folder, "traversal.epub", epub_bytes(entries))


def absolute_path_entry(folder: Path) -> Path:
    entries = {**valid_entries(), "/etc/evil.xhtml": CHAPTER}
    return _write(folder, "absolute.epub", epub_bytes(entries))


def encrypted_epub(folder: Path) -> Path:
    encryption = ('<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                  '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
                  '<enc:CipherData><enc:CipherReference URI="OEBPS/c1.xhtml"/></enc:CipherData>'
                  '</enc:EncryptedData></encryption>')
    entries = {**valid_entries(), "META-INF/encryption.xml": encryption,
               "OEBPS/c1.xhtml": bytes(range(256)) * 8}
    return _write(folder, "encrypted.epub", epub_bytes(entries))


def billion_laughs(folder: Path) -> Path:
    doctype = ('<!DOCTYPE package [<!ENTITY lol "lol">'
               + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                         for i in range(1, 10))
               + "]>")
    entries = {**valid_entries(), "OEBPS/content.opf": opf(doctype=doctype).replace(
        "<dc:creator>Nobody", "<dc:creator>&lol9;")}
    return _write(folder, "laughs.epub", epub_bytes(entries))


def external_entity(folder: Path) -> Path:
    doctype = '<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    entries = {**valid_entries(), "OEBPS/content.opf": opf(doctype=doctype).replace(
        "<dc:creator>Nobody", "<dc:creator>&xxe;")}
    return _write(folder, "xxe.epub", epub_bytes(entries))


def missing_opf(folder: Path) -> Path:
    entries = valid_entries()
    del entries["OEBPS/content.opf"]
    return _write(folder, "no-opf.epub", epub_bytes(entries))


def missing_container(folder: Path) -> Path:
    entries = valid_entries()
    del entries["META-INF/container.xml"]
    return _write(folder, "no-container.epub", epub_bytes(entries))


def empty_spine(folder: Path) -> Path:
    entries = {**valid_entries(), "OEBPS/content.opf": opf(spine="")}
    return _write(folder, "empty-spine.epub", epub_bytes(entries))


def empty_zip(folder: Path) -> Path:
    return _write(folder, "empty-zip.epub", epub_bytes({}, mimetype=False))


def huge_single_line(folder: Path) -> Path:
    """50 MB of prose on one line (no paragraph breaks), written in blocks."""
    path = folder / "one-line.txt"
    sentence = b"The rain fell on the long grey road and nobody walked it after dark. "
    with path.open("wb") as out:
        out.write(b"Title: One Line\nAuthor: Nobody\n\n")
        block = sentence * (1 << 20 // len(sentence) + 1)
        written = 0
        while written < 50 * 10**6:
            out.write(block)
            written += len(block)
        out.write(b"\n")
    return path


def nul_bytes(folder: Path) -> Path:
    return _write(folder, "nul.txt", b"Chapter 1\n\nThe kettle\x00 sang at seven.\x00\x00\x00\n" * 50)


def png_named_epub(folder: Path) -> Path:
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return _write(folder, "picture.epub", png + b"\0" * 64)


def png_named_txt(folder: Path) -> Path:
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return _write(folder, "picture.txt", png + b"\0" * 64)


def empty_txt(folder: Path) -> Path:
    return _write(folder, "empty.txt", b"")


def whitespace_md(folder: Path) -> Path:
    return _write(folder, "blank.md", b"---\ntitle: Blank\n---\n\n   \n\t\n\n")


def directory(folder: Path) -> Path:
    path = folder / "a-folder.epub"
    path.mkdir()
    return path


def missing_file(folder: Path) -> Path:
    return folder / "does-not-exist.epub"


def unreadable(folder: Path) -> Path:
    path = folder / "locked.txt"
    path.write_text("Chapter 1\n\nThe kettle sang at seven.\n", encoding="utf-8")
    path.chmod(0)
    return path


def symlink_loop(folder: Path) -> Path:
    """Two links pointing at each other: not "file not found", which sends the user looking for a file."""
    (folder / "loop-b.md").symlink_to("loop-a.md")
    (folder / "loop-a.md").symlink_to("loop-b.md")
    return folder / "loop-a.md"


MANUSCRIPTS: dict[str, Callable[[Path], Path]] = {
    "corrupt-zip": corrupt_zip, "zip-bomb": zip_bomb, "path-traversal": path_traversal,
    "absolute-path-entry": absolute_path_entry, "encrypted-epub": encrypted_epub, "billion-laughs": billion_laughs,
    "external-entity": external_entity, "missing-opf": missing_opf, "missing-container": missing_container,
    "empty-spine": empty_spine, "empty-zip": empty_zip, "huge-single-line": huge_single_line,
    "nul-bytes": nul_bytes, "png-named-epub": png_named_epub, "png-named-txt": png_named_txt,
    "empty-txt": empty_txt, "whitespace-md": whitespace_md, "directory": directory, "missing-file": missing_file,
    "unreadable": unreadable, "symlink-loop": symlink_loop,
}


# -- voice clips -------------------------------------------------------------------------------------

def _wav(path: Path, audio: np.ndarray, rate: int) -> Path:
    audio = np.atleast_2d(audio.T).T if audio.ndim == 1 else audio
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(pcm.shape[1] if pcm.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def _speechlike(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def truncated_header(folder: Path) -> Path:
    full = _wav(folder / "full.wav", _speechlike(12, 24000), 24000).read_bytes()
    return _write(folder, "truncated.wav", full[:30])


def one_second(folder: Path) -> Path:
    return _wav(folder / "one-second.wav", _speechlike(1, 24000), 24000)


def ten_minutes(folder: Path) -> Path:
    return _wav(folder / "ten-minutes.wav", _speechlike(600, 24000), 24000)


def silence(folder: Path) -> Path:
    return _wav(folder / "silence.wav", np.zeros(24000 * 15, dtype=np.float32), 24000)


def white_noise(folder: Path) -> Path:
    return _wav(folder / "noise.wav", np.random.default_rng(0).uniform(-0.8, 0.8, 24000 * 15), 24000)


def narrowband(folder: Path) -> Path:
    return _wav(folder / "8khz.wav", _speechlike(15, 8000), 8000)


def six_channels(folder: Path) -> Path:
    mono = _speechlike(15, 24000)
    return _wav(folder / "six-channels.wav", np.stack([mono] * 6, axis=1), 24000)


def one_hour(folder: Path) -> Path:
    """Refused without decoding the hour: it used to peak at 1.2-1.8 GB and take two minutes."""
    path = folder / "one-hour.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        minute = (_speechlike(60, 24000) * 32767).astype("<i2").tobytes()
        for _ in range(60):
            out.writeframes(minute)
    return path


def nan_samples(folder: Path) -> Path:
    path = folder / "nan.wav"
    sf.write(path, np.full(24000 * 10, np.nan, dtype=np.float32), 24000, subtype="FLOAT")
    return path


def fifo_clip(folder: Path) -> Path:
    path = folder / "pipe.wav"
    os.mkfifo(path)
    return path


def directory_clip(folder: Path) -> Path:
    path = folder / "takes.wav"
    path.mkdir()
    return path


def symlink_loop_clip(folder: Path) -> Path:
    (folder / "loop-b.wav").symlink_to("loop-a.wav")
    (folder / "loop-a.wav").symlink_to("loop-b.wav")
    return folder / "loop-a.wav"


CLIPS: dict[str, Callable[[Path], Path]] = {
    "truncated-wav-header": truncated_header, "one-second": one_second, "ten-minutes": ten_minutes,
    "silence": silence, "white-noise": white_noise, "8-khz": narrowband, "six-channels": six_channels,
    "one-hour": one_hour, "nan-samples": nan_samples, "fifo": fifo_clip, "directory": directory_clip,
    "symlink-loop": symlink_loop_clip,
}
