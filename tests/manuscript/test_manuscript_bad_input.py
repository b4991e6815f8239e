"""Every kind of unusable manuscript is an InputError that names the file."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from manuscript_epub_builder import CONTAINER, PNG_1PX, Doc, EpubSpec, build_epub, write_zip

from pipeline.errors import InputError
from pipeline.manuscript import read_manuscript
from pipeline.manuscript import text_file


def refuse(path: Path, *words: str) -> str:
    with pytest.raises(InputError) as caught:
        read_manuscript(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message
    for word in words:
        assert word.lower() in message.lower()
    return message


def good_spec(**changes) -> EpubSpec:
    docs = [Doc("c1.xhtml", "<h2>One</h2><p>Text.</p>"), Doc("c2.xhtml", "<h2>Two</h2><p>More.</p>")]
    return EpubSpec(docs, [("One", "c1.xhtml", []), ("Two", "c2.xhtml", [])], **changes)


def epub_files(tmp_path: Path) -> dict[str, bytes]:
    """The entries of a good EPUB, to be tampered with."""
    with zipfile.ZipFile(build_epub(tmp_path / "good.epub", good_spec())) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "mimetype"}


def test_missing_file(tmp_path: Path) -> None:
    refuse(tmp_path / "nope.epub", "not found")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    refuse(tmp_path / "folder.txt", "directory")


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("Some text.")
    path.chmod(0)
    if not os.access(path, os.R_OK):
        refuse(path, "permission")
    else:  # running as root: permissions do not apply, so simulate the failure
        def deny(self: Path, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", deny)
        refuse(path, "permission")


def test_png_renamed_txt(tmp_path: Path) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(PNG_1PX)
    refuse(path, "not a text file")


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(b"abc\x00\x01\x02" * 100)
    refuse(path, "not a text file")


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \r\n"])
def test_empty_text(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    refuse(path, "empty")


def test_empty_markdown(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("---\ntitle: x\n---\n\n<!-- nothing -->\n")
    refuse(path, "empty")


def test_text_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_file, "MAX_TEXT_BYTES", 1000)
    path = tmp_path / "huge.txt"
    path.write_text("word " * 1000)
    refuse(path, "too large")


def test_not_a_zip_epub(tmp_path: Path) -> None:
    path = tmp_path / "broken.epub"
    path.write_text("this is not a zip")
    refuse(path, "corrupt")


def test_truncated_zip(tmp_path: Path) -> None:
    good = build_epub(tmp_path / "good.epub", good_spec()).read_bytes()
    path = tmp_path / "truncated.epub"
    path.write_bytes(good[: len(good) // 2])
    refuse(path)


def test_missing_container(tmp_path: Path) -> None:
    files = epub_files(tmp_path)
    del files["META-INF/container.xml"]
    refuse(write_zip(tmp_path / "nocontainer.epub", files), "container.xml")


def test_missing_opf(tmp_path: Path) -> None:
    files = epub_files(tmp_path)
    del files["OEBPS/content.opf"]
    refuse(write_zip(tmp_path / "noopf.epub", files), "content.opf")


def test_drm(tmp_path: Path) -> None:
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
        xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
        <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
        <enc:CipherData><enc:CipherReference URI="OEBPS/c1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"""
    files = {**epub_files(tmp_path), "META-INF/encryption.xml": encryption}
    refuse(write_zip(tmp_path / "drm.epub", files), "DRM")


def test_font_obfuscation_is_not_drm(tmp_path: Path) -> None:
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
        xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
        <enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>
        <enc:CipherData><enc:CipherReference URI="OEBPS/font.otf"/></enc:CipherData></enc:EncryptedData>
        <enc:EncryptedData><enc:EncryptionMethod Algorithm="http://ns.adobe.com/pdf/enc#RC"/>
        <enc:CipherData><enc:CipherReference URI="OEBPS/font2.otf"/></enc:CipherData></enc:EncryptedData></encryption>"""
    files = {**epub_files(tmp_path), "META-INF/encryption.xml": encryption}
    book = read_manuscript(write_zip(tmp_path / "fonts.epub", files))
    assert [c.title for c in book.chapters] == ["One", "Two"]


def test_empty_spine(tmp_path: Path) -> None:
    refuse(build_epub(tmp_path / "nospine.epub", EpubSpec([], [])), "spine")


def test_no_readable_text(tmp_path: Path) -> None:
    docs = [Doc("t.xhtml", '<section epub:type="titlepage"><h1>Title</h1></section>'), Doc("i.xhtml", '<img src="a.png" alt="A"/>')]
    refuse(build_epub(tmp_path / "blank.epub", EpubSpec(docs, None)), "no readable text")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    files = {**epub_files(tmp_path), "OEBPS/padding.xhtml": b"\0" * (8 * 1024 * 1024)}
    refuse(write_zip(tmp_path / "bomb.epub", files), "compression ratio")


def test_zip_bomb_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.manuscript import epub_safety

    monkeypatch.setattr(epub_safety, "MAX_TOTAL_UNCOMPRESSED", 1000)
    refuse(build_epub(tmp_path / "big.epub", good_spec()), "uncompressed size")


@pytest.mark.parametrize("name", ["../evil.xhtml", "/etc/evil.xhtml", "OEBPS/../../evil.xhtml"])
def test_path_traversal(tmp_path: Path, name: str) -> None:
    files = {**epub_files(tmp_path), name: b"<p>x</p>"}
    refuse(write_zip(tmp_path / "traversal.epub", files), "path traversal")


def test_billion_laughs_in_opf(tmp_path: Path) -> None:
    files = epub_files(tmp_path)
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE package [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    files["OEBPS/content.opf"] = bomb + files["OEBPS/content.opf"].split(b"?>", 1)[1]
    refuse(write_zip(tmp_path / "laughs.epub", files), "unsafe XML")


def test_external_entity_in_xhtml(tmp_path: Path) -> None:
    files = epub_files(tmp_path)
    files["OEBPS/c1.xhtml"] = (
        b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&x;</p></body></html>'
    )
    refuse(write_zip(tmp_path / "xxe.epub", files), "unsafe XML")


def test_container_entity(tmp_path: Path) -> None:
    files = epub_files(tmp_path)
    files["META-INF/container.xml"] = '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e "x">]>' + CONTAINER.split("?>", 1)[1]
    refuse(write_zip(tmp_path / "container.epub", files), "unsafe XML")


def test_pdf_named_epub(tmp_path: Path) -> None:
    path = tmp_path / "book.epub"
    path.write_bytes(b"%PDF-1.7\n...")
    refuse(path, "corrupt")
