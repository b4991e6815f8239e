"""Helpers for the lexicon tests."""

from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.lexicon import load_lexicon


def refusal(path: Path, content: str) -> str:
    """The one-line error `load_lexicon` gives for a file holding `content`; it names the file."""
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        load_lexicon(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message
    return message
