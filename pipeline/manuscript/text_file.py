"""Plain-text manuscripts: encoding detection, Gutenberg header/licence, the book tree from label-word headings."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from pipeline.book import Book
from pipeline.errors import InputError
from pipeline.manuscript.cleaning import clean_text, join_hyphenated_lines, plain_paragraphs
from pipeline.manuscript.tree import Headed, tree_from_headings

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
_ORDINALS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"  # noqa: E501
_TENTHS = "twentieth|thirtieth|fortieth|fiftieth"
_NUMBER = (rf"(?:\d+|[IVXLCDM]+|(?:{_TENS})(?:[- ](?:{_ONES}))?|{_ONES}|hundred"
           rf"|(?:the\s+)?(?:(?:{_TENS})[- ](?:{_ORDINALS})|{_TENTHS}|{_ORDINALS}))")
# Label words that hold others ("Book the First" over "Chapter I"), outermost first as the book uses them.
_CONTAINERS = ("volume", "book", "part", "act")
_LABELS = "chapter|letter|stave|canto|scene|" + "|".join(_CONTAINERS)
_HEADING = re.compile(
    rf"^(?P<label>(?:{_LABELS})\s+{_NUMBER}|prologue|epilogue|introduction|preface|foreword|afterword)"
    r"\.?(?:\s*[:.—–-]\s*(?P<subtitle>\S.*))?$",
    re.IGNORECASE,
)
_ROMAN = re.compile(r"^[IVXLCDM]+$")
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


def _heading(block: str) -> tuple[str, str | None, str, bool] | None:
    """(label, subtitle, rest of block, whether the subtitle is the block's own second line) if the block
    starts with a chapter heading line."""
    lines = block.split("\n")
    match = _HEADING.match(lines[0].strip())
    if match is None:
        return None
    label = " ".join(_label_word(word, first=not n) for n, word in enumerate(match["label"].split()))
    rest = "\n".join(lines[1:]).strip()
    if not match["subtitle"] and len(lines) == 2 and _subtitle_like(rest):
        return label, rest, "", True
    return label, match["subtitle"], rest, False


def _label_word(word: str, first: bool) -> str:
    """ "BOOK" -> "Book", "THE" -> "the", "TWENTY-ONE" -> "Twenty-One"; Roman numerals stay as they are."""
    if not first and _ROMAN.match(word):
        return word
    if not first and word.lower() == "the":
        return "the"
    return "-".join(part.capitalize() if part.isupper() or part.islower() else part for part in word.split("-"))


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


def _depth(label: str, containers: list[str]) -> int:
    """A heading's level: containers in the order the book first uses them, then chapters, scenes,
    letters (siblings of each other); a prologue or an epilogue is at the top."""
    word = label.split()[0].lower()
    if word in containers:
        return containers.index(word)
    return len(containers) if " " in label else 0


@dataclass
class _Section:
    label: str
    depth: int
    blocks: list[str]
    borrowed: str | None = None  # a short line taken for the subtitle; given back if the section is empty

    @property
    def title(self) -> str:
        return _title(self.label, self.borrowed) if self.borrowed else self.label


def _stacked(lines: list[str], containers: list[str]) -> list[_Section] | None:
    """Headings stacked in one block ("BOOK I" / "CHAPTER I" / text): sections each deeper than the one
    before, the last holding the text after them. None: heading after heading at one level, a contents list."""
    stack: list[_Section] = []
    for number, line in enumerate(lines):
        heading = _heading(line)
        if heading is None:
            rest = "\n".join(lines[number:])
            if number == len(lines) - 1 and _subtitle_like(rest) and ": " not in stack[-1].label:
                stack[-1].borrowed = rest
            else:
                stack[-1].blocks.append(rest)
            return stack
        depth = _depth(heading[0], containers)
        if stack and depth <= stack[-1].depth:
            return None
        stack.append(_Section(_title(heading[0], heading[1]), depth, []))
    return stack


def _sections(blocks: list[str], book_title: str) -> list[Headed]:
    headings = [_heading(block) for block in blocks]
    containers = list(dict.fromkeys(h[0].split()[0].lower() for h in headings
                                    if h and h[0].split()[0].lower() in _CONTAINERS))
    sections = [_Section("", 0, [])]
    index = 0
    while index < len(blocks):
        block, heading = blocks[index], headings[index]
        lines = block.split("\n")
        if heading is None:
            sections[-1].blocks.append(block)
        elif len(lines) > 1 and _heading(lines[1]):
            sections += _stacked(lines, containers) or []  # None: a contents list, not read
        else:
            label, subtitle, rest, borrowed = heading
            if subtitle is None and index + 1 < len(blocks) and _subtitle_like(blocks[index + 1]):
                if not headings[index + 1]:
                    subtitle, borrowed = blocks[index + 1], True
                    index += 1
            depth = _depth(label, containers)
            if borrowed:
                sections.append(_Section(label, depth, [], borrowed=subtitle))
            else:
                sections.append(_Section(_title(label, subtitle), depth, [rest] if rest else []))
        index += 1
    for section, after in zip(sections, sections[1:] + [None]):
        # "Chapter 2" / "A short line" / "Chapter 3": the line is the chapter's text, not its title
        # (an empty leaf is dropped, and its words with it).
        if section.borrowed and not section.blocks and (after is None or after.depth <= section.depth):
            section.blocks, section.borrowed = [section.borrowed], None
    headed = [Headed(section.title, section.depth, plain_paragraphs(section.blocks)) for section in sections]
    first = headed[0]
    if len(headed) > 1:
        # Text before the first heading: title lines and "Produced by" credits are not read.
        first.paragraphs = [p for p in first.paragraphs if p.text.casefold() != book_title.casefold()]
        if sum(len(p.text.split()) for p in first.paragraphs) < 40:
            first.paragraphs = []
    return headed if first.paragraphs else headed[1:]


def read_text(path: Path) -> Book:
    text = decode(path).replace("\r\n", "\n").replace("\r", "\n")
    fields, text = _split_header(text)
    text = join_hyphenated_lines(text)
    blocks = [b.strip() for b in _BLANK_LINES.split(text) if b.strip()]
    title = clean_text(fields.get("title", "")) or path.stem
    tree = tree_from_headings(_sections(blocks, title), title)
    if not tree.chapters:
        raise _fail(path, "the text file is empty (no readable text)")
    author = clean_text(fields.get("author", ""))
    language = fields.get("language", "").strip().lower()
    return Book(
        title=title,
        authors=[a.strip() for a in re.split(r"\s+and\s+|;|&", author) if a.strip()] if author else [],
        language=_LANGUAGES.get(language, language if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", language) else "en"),
        chapters=tree.chapters,
        skipped=tree.skipped,
        date=fields.get("release date"),
        publisher=fields.get("publisher"),
    )

