"""Text cleaning shared by every reader: invisible characters, whitespace, scene breaks, emphasis spans.

Readers hand over runs of text (with an emphasis flag and explicit line breaks); this module turns
them into `Paragraph`s with collapsed whitespace and emphasis ranges that match the final text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.book import Paragraph
from pipeline.control_characters import strip_controls

# Soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM: invisible in print, noise in speech.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Two simple passes (other whitespace -> space, then runs of spaces) are ~5x faster than one
# "\s+" pass, which rewrites every single space: that matters for 50 MB single-paragraph files.
_OTHER_SPACE = re.compile(r"[^\S ]")
_SPACE_RUN = re.compile(r"  +")
# A paragraph that is only a scene-break ornament: "* * *", "***", "#", "⁂", "~~~"...
_SCENE_BREAK = re.compile(r"^\s*(?:[*#~•·⁂✱✻❧—-]\s*){1,9}$")
# "extra-\nordinary": a line-end hyphen between lowercase letters is a typesetting break.
_LINE_END_HYPHEN = re.compile(r"-[ \t]*\r?\n[ \t]*(?=[^\W\d_])")  # starts with "-" so re can skip ahead


@dataclass(frozen=True)
class Run:
    """A piece of inline text; `line_break` runs (from <br/> or verse lines) carry no text."""

    text: str = ""
    emphasis: bool = False
    line_break: bool = False
    node: int | None = None  # the source text node's document-order number, where a reader knows it


LINE_BREAK = Run(line_break=True)


def _collapse(text: str) -> str:
    visible = strip_controls(_INVISIBLE.sub("", text))
    return unicodedata.normalize("NFC", _SPACE_RUN.sub(" ", _OTHER_SPACE.sub(" ", visible)))


def clean_text(text: str) -> str:
    """Invisible and control characters removed, whitespace collapsed to single spaces, NFC, stripped."""
    return _collapse(text).strip()


def count_words(text: str) -> int:
    """Words in a piece of source text: whitespace-separated tokens with a letter or digit in them
    (so "* * *" and "—" count none). Counted per text node, the same way the coverage check counts."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def is_scene_break(text: str) -> bool:
    return bool(text.strip()) and bool(_SCENE_BREAK.match(text))


def join_hyphenated_lines(text: str) -> str:
    """Join words hyphenated across a line end, but only lowercase-to-lowercase ("Anglo-\\nSaxon" stays)."""

    def join(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()]
        if before.islower() and after.islower():
            return ""
        return "-" if before.isalpha() else match.group()

    return _LINE_END_HYPHEN.sub(join, text)


def paragraph_from_runs(runs: list[Run], scene_break_before: bool = False,
                        source_words: int = 0) -> Paragraph | None:
    """Collapse whitespace across runs (keeping explicit line breaks as "\\n") and record emphasis spans."""
    pieces: list[str] = []
    length = 0
    spans: list[tuple[int, int]] = []
    pending = ""  # whitespace owed before the next visible text: " " or "\n"
    for run in runs:
        if run.line_break:
            pending = "\n"
            continue
        text = _collapse(run.text)
        if text.startswith(" "):
            pending = pending or " "
        core = text.strip(" ")
        if core:
            if pending and length:
                pieces.append(pending)
                length += 1
            pending = ""
            start = length
            pieces.append(core)
            length += len(core)
            if run.emphasis:
                if spans and spans[-1][1] >= start - 1:
                    spans[-1] = (spans[-1][0], length)  # merge "<i>a</i> <i>b</i>"
                else:
                    spans.append((start, length))
        if core and text.endswith(" "):
            pending = pending or " "
    if not length:
        return None
    nodes = tuple(run.node for run in runs if run.node is not None)
    return Paragraph("".join(pieces), scene_break_before=scene_break_before, emphasis=spans,
                     source_words=source_words, source_nodes=nodes)


def plain_paragraphs(blocks: list[str]) -> list[Paragraph]:
    """Paragraphs from plain-text blocks; ornament-only blocks become `scene_break_before` on the next one."""
    paragraphs: list[Paragraph] = []
    scene_break = False
    for block in blocks:
        if is_scene_break(block):
            scene_break = bool(paragraphs) or scene_break
            continue
        paragraph = paragraph_from_runs([Run(block)], scene_break)
        if paragraph:
            paragraphs.append(paragraph)
            scene_break = False
    return paragraphs
