"""Plain-text manuscripts: encoding detection, Gutenberg header/licence, chapter headings."""

from __future__ import annotations

import re
import string
from pathlib import Path

import charset_normalizer

from pipeline.book import Book, Chapter
from pipeline.errors import InputError
from pipeline.manuscript.cleaning import clean_text, join_hyphenated_lines, plain_paragraphs
from pipeline.manuscript.structure import is_skipped, kind_of, types_from_name

MAX_TEXT_BYTES = 64 * 1024 * 1024
# Gutenberg markers sit near the ends; searching all of a huge file for them is wasted time.
HEADER_CHARS = FOOTER_CHARS = 200_000
DETECTION_SAMPLE = 1024 * 1024
CP1252_MARGIN = 0.1  # how much "chaos" (charset-normalizer's mess score) we accept to prefer cp1252
# UTF-32's little-endian BOM starts with UTF-16's: the longer ones are tried first.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Text with NUL bytes in its first WIDE_SAMPLE bytes and no BOM: UTF-16/32 text, or binary data.
WIDE_SAMPLE = 65536
_ONES = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"  # noqa: E501
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_NUMBER = rf"(?:\d+|[IVXLCDM]+|(?:{_TENS})(?:[- ](?:{_ONES}))?|{_ONES}|hundred)"
_HEADING = re.compile(
    rf"^(?P<label>(?:chapter|part|book)\s+{_NUMBER}|prologue|epilogue|introduction|preface|foreword|afterword)"
    r"\.?(?:\s*[:.—–-]\s*(?P<subtitle>\S.*))?$",
    re.IGNORECASE,
)
_GUTENBERG_START = re.compile(r"^\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.IGNORECASE | re.MULTILINE)
_GUTENBERG_END = re.compile(r"^\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"^(Title|Author|Language|Release date|Publisher)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_LANGUAGES = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "dutch": "nl"}
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def _fail(path: Path, problem: str) -> InputError:
    return InputError(f"{path}: {problem}")


def decode(path: Path) -> str:
    """The file's text in whatever common encoding it uses; binary files are refused."""
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise _fail(path, f"text file too large ({size // 2**20} MiB; the limit is {MAX_TEXT_BYTES // 2**20} MiB)")
    with path.open("rb") as stream:
        data = stream.read(MAX_TEXT_BYTES + 1)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:WIDE_SAMPLE]:
        encoding = _wide_by_layout(data[:WIDE_SAMPLE]) or _wide_by_detection(data[:DETECTION_SAMPLE])
        if encoding is None:
            raise _fail(path, "not a text file (binary data)")
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")  # by far the most common; exact and fast for big files
    except UnicodeDecodeError:
        pass
    # Detect on a sample (charset-normalizer decodes its whole input per candidate), decode everything.
    matches = list(charset_normalizer.from_bytes(data[:DETECTION_SAMPLE]))
    if not matches:
        raise _fail(path, "not a text file (unknown encoding or binary data)")
    # Short Western texts fit several 8-bit code pages equally well; cp1252 is by far the likeliest.
    western = next((m for m in matches if "cp1252" in m.could_be_from_charset), None)
    if western is not None and western.chaos <= matches[0].chaos + CP1252_MARGIN:
        return data.decode("cp1252", errors="replace")
    return data.decode(matches[0].encoding, errors="replace")


def _wide_by_layout(sample: bytes) -> str | None:
    """UTF-32/16 from where the zero bytes fall: mostly-Latin text has a zero high byte in (nearly) every
    code unit, which binary data does not. The detector below misses such text when it has control characters."""
    sample = sample[: len(sample) - len(sample) % 4]
    quarters = [sample[i::4] for i in range(4)]
    zeros = [q.count(0) / max(len(q), 1) for q in quarters]
    if zeros[3] == 1 and zeros[2] > 0.5 and zeros[0] < 1:
        encoding = "utf-32-le"
    elif zeros[0] == 1 and zeros[1] > 0.5 and zeros[3] < 1:
        encoding = "utf-32-be"
    elif (zeros[1] + zeros[3]) / 2 > 0.5 > (zeros[0] + zeros[2]) / 2:
        encoding = "utf-16-le"
    elif (zeros[0] + zeros[2]) / 2 > 0.5 > (zeros[1] + zeros[3]) / 2:
        encoding = "utf-16-be"
    else:
        return None
    text = sample.decode(encoding, errors="replace")  # (the sample may end inside a surrogate pair)
    return encoding if "\x00" not in text and text.count("\ufffd") <= 1 else None


def _wide_by_detection(sample: bytes) -> str | None:
    best = charset_normalizer.from_bytes(sample).best()
    return best.encoding if best is not None and best.encoding.startswith(("utf_16", "utf_32")) else None


def _heading(block: str) -> tuple[str, str | None, str] | None:
    """(label, subtitle, rest of block) if the block starts with a chapter heading line."""
    lines = block.split("\n")
    match = _HEADING.match(lines[0].strip())
    if match is None:
        return None
    words = match["label"].split(None, 1)
    label = " ".join([words[0].capitalize(), *(w.capitalize() if w.isalpha() and not w.isupper() else w for w in words[1:])])
    rest = "\n".join(lines[1:]).strip()
    if not match["subtitle"] and len(lines) == 2 and _subtitle_like(rest):
        return label, rest, ""
    return label, match["subtitle"], rest


def _subtitle_like(block: str) -> bool:
    return "\n" not in block and len(block) <= 80 and not block.rstrip().endswith((".", "!", "?", "”", '"', ","))


def _title(label: str, subtitle: str | None) -> str:
    if subtitle and subtitle.isupper():
        subtitle = string.capwords(subtitle)
    return f"{label}: {clean_text(subtitle)}" if subtitle else label


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """Gutenberg-style "Title: ... / Author: ..." fields and the text without header and licence."""
    start = _GUTENBERG_START.search(text, 0, HEADER_CHARS)
    header = text[: start.start()] if start else text[:2000]
    fields = {m[1].lower(): m[2].strip() for m in _FIELD.finditer(header)}
    if start:
        text = text[start.end() :]
        end = _GUTENBERG_END.search(text, max(0, len(text) - FOOTER_CHARS))
        text = text[: end.start()] if end else text
    elif fields:  # drop the field block itself
        text = text[max(m.end() for m in _FIELD.finditer(header)) :]
    return fields, text


def _chapters(blocks: list[str], book_title: str) -> list[Chapter]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    index = 0
    while index < len(blocks):
        block = blocks[index]
        heading = _heading(block)
        lines = block.split("\n")
        if heading and len(lines) > 1 and _heading(lines[1]):  # heading after heading: a contents list
            index += 1
            continue
        if heading is None:
            sections[-1][1].append(block)
        else:
            label, subtitle, rest = heading
            if subtitle is None and index + 1 < len(blocks) and _subtitle_like(blocks[index + 1]):
                if not _heading(blocks[index + 1]):
                    subtitle = blocks[index + 1]
                    index += 1
            sections.append((_title(label, subtitle), [rest] if rest else []))
        index += 1
    chapters: list[Chapter] = []
    for title, section_blocks in sections:
        types = types_from_name(title.split(":")[0]) if title else set()
        paragraphs = plain_paragraphs(section_blocks)
        if not paragraphs or is_skipped(types):
            continue
        if not title and len(sections) > 1:
            # Text before the first heading: title lines and "Produced by" credits are not read.
            paragraphs = [p for p in paragraphs if p.text.casefold() != book_title.casefold()]
            if sum(len(p.text.split()) for p in paragraphs) < 40:
                continue
        chapters.append(Chapter(title or book_title, paragraphs, kind_of(types)))
    return chapters


def read_text(path: Path) -> Book:
    text = decode(path).replace("\r\n", "\n").replace("\r", "\n")
    fields, text = _split_header(text)
    text = join_hyphenated_lines(text)
    blocks = [b.strip() for b in _BLANK_LINES.split(text) if b.strip()]
    title = clean_text(fields.get("title", "")) or path.stem
    chapters = _chapters(blocks, title)
    if not chapters:
        raise _fail(path, "the text file is empty (no readable text)")
    author = clean_text(fields.get("author", ""))
    language = fields.get("language", "").strip().lower()
    return Book(
        title=title,
        authors=[a.strip() for a in re.split(r"\s+and\s+|;|&", author) if a.strip()] if author else [],
        language=_LANGUAGES.get(language, language if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", language) else "en"),
        chapters=chapters,
        date=fields.get("release date"),
        publisher=fields.get("publisher"),
    )

