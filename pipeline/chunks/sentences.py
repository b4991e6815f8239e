"""Sentence segmentation with no downloaded data: pysbd's shipped rules, or a small regex splitter.

Input is spoken-form text with single spaces. Output sentences satisfy
`" ".join(sentences) == text` exactly: pysbd only proposes boundaries, the text is cut here at
spaces, so nothing it reshapes (whitespace, stray "." segments) can be lost or duplicated.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd

from pipeline.chunks.normalize import primary_subtag

# pysbd languages among ours; the rest (Portuguese, say) use the regex splitter.
_PYSBD_LANGUAGES = set(pysbd.languages.LANGUAGE_CODES)

# A possible sentence end: terminal punctuation, optional closing quotes/brackets, a space.
_CANDIDATE = re.compile(r"[.!?…।؟][\"')\]]* ")
# Regex splitter: a candidate end followed by something that is not lower-case.
_FALLBACK_END = re.compile(r"(?<=[.!?…।؟])[\"')\]]* (?=[\"'(\[]?[^\sa-z])")
# Initials ("S.", "F.") and common titles ("Sr.", "Dra.") do not end sentences.
_TITLES = "Sr|Sra|Srta|Dr|Dra|Prof|Profa|Mr|Mrs|Ms|St|Av|Jr|Mme|Mlle|Hr|Fr|Nr|Sig|Sto|Sta"
_NOT_AN_END = re.compile(r"(?:^|\s)(?:\w|%s)\.$" % _TITLES)


@lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    # clean=False keeps the text as is; char_span=False is much faster.
    return pysbd.Segmenter(language=language, clean=False, char_span=False)


def split_sentences(text: str, language: str) -> list[str]:
    """Sentences of one paragraph of single-spaced text; `" ".join(result) == text`."""
    text = text.strip()
    if not text:
        return []
    if not _CANDIDATE.search(text):  # one sentence at most: skip the (slow) segmenter
        return [text]
    lang = primary_subtag(language)
    if lang in _PYSBD_LANGUAGES:
        starts = _pysbd_starts(text, lang)
        if starts is None:
            starts = _fallback_starts(text)
    else:
        starts = _fallback_starts(text)
    bounds = [0, *starts, len(text) + 1]  # every start follows a space, at bound - 1
    return [text[a:b - 1] for a, b in zip(bounds, bounds[1:])]


def _pysbd_starts(text: str, language: str) -> list[int] | None:
    """Start offsets of sentences 2..n from pysbd, or None if its output cannot be aligned."""
    starts: list[int] = []
    position = 0
    for segment in _segmenter(language).segment(text):
        piece = segment.strip()
        if not piece:
            continue
        found = text.find(piece, position)
        if found < 0 or text[position:found].strip():
            return None  # pysbd changed the text: do not trust its boundaries
        # Only cut at a space; a segment such as "." glued to the previous one stays with it.
        if found > 0 and text[found - 1] == " " and _has_words(text[found:]):
            starts.append(found)
        position = found + len(piece)
    return _drop_wordless(text, starts)


def _fallback_starts(text: str) -> list[int]:
    starts = [m.end() for m in _FALLBACK_END.finditer(text)
              if not _NOT_AN_END.search(text, max(0, m.start() - 6), m.start())]
    return _drop_wordless(text, starts)


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _drop_wordless(text: str, starts: list[int]) -> list[int]:
    """Merge sentences that have no letters or digits ("…", "!") into the one before."""
    kept: list[int] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if _has_words(text[start:end]):
            kept.append(start)
    if kept and not _has_words(text[:kept[0]]):
        kept.pop(0)  # a paragraph opening with a bare "…"
    return kept
