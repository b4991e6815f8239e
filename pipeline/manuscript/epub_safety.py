"""Checks an EPUB's zip directory and XML before ebooklib (which reads the zip itself) sees it.

Refuses: non-zips, zip bombs, path-traversal names, missing container/OPF, entity-declaring DOCTYPEs
(billion laughs, external entities) and DRM. Raises InputError naming the file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from pipeline.errors import InputError

MAX_TOTAL_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 100  # compression ratio beyond which a big entry is treated as a bomb
RATIO_CHECK_MIN_SIZE = 1024 * 1024
CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
# Font obfuscation (IDPF and Adobe) scrambles embedded fonts only; it is not DRM.
FONT_OBFUSCATION = frozenset({"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"})
_XML_SUFFIXES = (".opf", ".ncx", ".xhtml", ".html", ".htm", ".xml", ".svg")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _fail(path: Path, problem: str) -> InputError:
    return InputError(f"{path}: {problem}")


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(path: Path, name: str, data: bytes) -> Element:
    """defusedxml refuses entity declarations and external references; either way the book is refused."""
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as error:
        raise _fail(path, f"refusing unsafe XML in {name} ({type(error).__name__})") from error
    except ParseError as error:
        raise _fail(path, f"malformed XML in {name} ({error})") from error


def _check_directory(path: Path, archive: zipfile.ZipFile) -> None:
    total = 0
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise _fail(path, f"refusing unsafe entry name {name!r} (path traversal)")
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise _fail(path, f"refusing archive: uncompressed size exceeds {MAX_TOTAL_UNCOMPRESSED // 2**20} MiB")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_CHECK_MIN_SIZE and ratio > MAX_RATIO:
            raise _fail(path, f"refusing archive: entry {name!r} has a suspicious compression ratio ({ratio:.0f}:1)")


def _check_drm(path: Path, archive: zipfile.ZipFile) -> None:
    if ENCRYPTION not in archive.namelist():
        return
    root = parse_xml(path, ENCRYPTION, archive.read(ENCRYPTION))
    for method in root.iter():
        if local_name(method.tag) == "EncryptionMethod" and method.get("Algorithm") not in FONT_OBFUSCATION:
            raise _fail(path, "EPUB is DRM-protected (encrypted content); only DRM-free books can be read")


def opf_path(path: Path, archive: zipfile.ZipFile) -> str:
    """The OPF package document's name, from META-INF/container.xml."""
    names = set(archive.namelist())
    if CONTAINER not in names:
        raise _fail(path, f"not a valid EPUB: {CONTAINER} is missing")
    container = parse_xml(path, CONTAINER, archive.read(CONTAINER))
    rootfiles = [e.get("full-path") for e in container.iter() if local_name(e.tag) == "rootfile"]
    opf = next((r for r in rootfiles if r), None)
    if opf is None:
        raise _fail(path, f"not a valid EPUB: {CONTAINER} names no package (OPF) file")
    opf = posixpath.normpath(opf)
    if opf not in names:
        raise _fail(path, f"not a valid EPUB: package file {opf} is missing")
    return opf


def check_epub(path: Path) -> Element:
    """Run every check; return the parsed OPF (ebooklib drops some of what it says, e.g. cover ids)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as error:
        raise _fail(path, f"corrupt EPUB: not a readable zip archive ({error})") from error
    with archive:
        _check_directory(path, archive)
        _check_drm(path, archive)
        opf = opf_path(path, archive)
        package = parse_xml(path, opf, archive.read(opf))
        for info in archive.infolist():
            if info.filename.lower().endswith(_XML_SUFFIXES):
                data = archive.read(info)
                if _ENTITY_DECLARATION.search(data):
                    raise _fail(path, f"refusing unsafe XML in {info.filename} (DOCTYPE declares entities)")
                if info.filename.lower().endswith(".ncx"):
                    parse_xml(path, info.filename, data)
    return package
