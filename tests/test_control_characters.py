"""Terminal control characters and escape sequences (pipeline/control_characters.py)."""

from __future__ import annotations

import pytest

from pipeline.control_characters import strip_controls


@pytest.mark.parametrize("raw, clean", [
    ("Evil\x1b[31mRed\x1b[0m", "EvilRed"),  # CSI colour: the whole sequence goes, not only the ESC
    ("Title\x1b]0;pwned\x07!", "Title!"),  # OSC window title, ended by BEL
    ("Title\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "Titlelink"),  # OSC 8 hyperlink, ended by ST
    ("clear\x1b[2J\x1b[Hscreen", "clearscreen"),
    ("C1\x9b31mcsi", "C1csi"),
    ("bell\x07 back\x08space nul\x00 del\x7f", "bell backspace nul del"),
    ("keep\ttab\nnewline\rcr\x0cff\x85nel", "keep\ttab\nnewline\rcr\x0cff\x85nel"),  # whitespace: the callers' job
    ("plain “text” — façade", "plain “text” — façade"),
])  # fmt: skip
def test_strip_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean
