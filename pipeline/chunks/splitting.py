"""Cutting one over-long sentence into pieces of at most `max_chars`, at the weakest pause.

Cuts happen only at spaces, preferring clause punctuation (; : then dashes then commas), so that
`" ".join(pieces) == sentence`. The one exception: a single word longer than `max_chars` (a URL, a
mangled run of text) is hard-split into `max_chars` slices, since no piece may exceed the limit.
"""

from __future__ import annotations

_CLOSERS = "\"')]"
# Pause strength, strongest first: a space after one of these characters is a cut point.
_PAUSE_CLASSES = (";:", "—–-", ",")


def split_long_sentence(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    return _split(sentence, max_chars, 0)


def _split(text: str, max_chars: int, level: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    if level == len(_PAUSE_CLASSES):
        return _split_words(text, max_chars)
    pieces = _cut_after(text, _PAUSE_CLASSES[level])
    out: list[str] = []
    for piece in _pack(pieces, max_chars):
        out.extend(_split(piece, max_chars, level + 1))
    return out


def _cut_after(text: str, marks: str) -> list[str]:
    """Pieces of `text` cut at each space that follows one of `marks` (closing quotes skipped)."""
    pieces: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char != " " or i == start:
            continue
        j = i - 1
        while j > start and text[j] in _CLOSERS:
            j -= 1
        if text[j] in marks:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def _pack(pieces: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive pieces with spaces while they fit in `max_chars`."""
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 1 + len(piece) <= max_chars:
            packed[-1] += " " + piece
        else:
            packed.append(piece)
    return packed


def _split_words(text: str, max_chars: int) -> list[str]:
    words: list[str] = []
    for word in text.split(" "):
        if len(word) <= max_chars:
            words.append(word)
        else:  # the documented exception: no space to cut at
            words.extend(word[i:i + max_chars] for i in range(0, len(word), max_chars))
    return _pack(words, max_chars)
