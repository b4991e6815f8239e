"""Terminal control characters: never part of a book's text, titles, tags or file names.

An ESC in a manuscript's title would recolour or retitle the user's terminal when `inspect` echoes
it, and be spoken, tagged and used as a file name. Whole escape sequences are removed (stripping
only the ESC would leave "[31m" behind), then any other C0/C1 control character. Whitespace
controls (tab, newline, CR, FF, VT, the separators 0x1C-0x1F, NEL) are left for the callers' whitespace
handling, which turns them into spaces or line breaks.
"""

from __future__ import annotations

import re

# CSI "ESC [ ... final" (and its one-byte C1 form), OSC/DCS/APC/PM/SOS strings up to BEL or ST,
# two-byte "ESC x" escapes.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x9d\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def strip_controls(text: str) -> str:
    """`text` without terminal escape sequences and non-whitespace control characters."""
    if not _CONTROL.search(text):
        return text  # the common case: one scan, no copies
    return _CONTROL.sub("", _SEQUENCE.sub("", text))
