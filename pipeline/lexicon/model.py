"""Lexicon entries: how a written word (grapheme) should be said, as a respelling and/or IPA."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Entry:
    """One lexeme: every grapheme in `graphemes` is said as `ipa` (engines that take phonemes) or
    as `alias` (a respelling any engine can read)."""

    graphemes: tuple[str, ...]
    alias: str | None = None
    ipa: str | None = None
    ignore_case: bool = False  # match "PEPYS" and "pepys" too

    def __post_init__(self) -> None:
        if not self.graphemes or not all(g.strip() for g in self.graphemes):
            raise ValueError("an entry needs at least one non-empty grapheme")
        if not (self.alias or self.ipa):
            raise ValueError(f"entry {self.graphemes[0]!r} has neither an alias nor IPA")

    @property
    def name(self) -> str:
        return self.graphemes[0]


@dataclass
class Lexicon:
    """The entries of one file, in file order."""

    entries: list[Entry] = field(default_factory=list)
    language: str | None = None
    source: str = ""  # the file it was read from


def clean(text: str) -> str:
    """Graphemes and aliases are compared in NFC with single spaces (as chunk text is)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def load_lexicon(path) -> Lexicon:  # noqa: ANN001 - Path
    """A PLS (.pls/.xml) or TOML (.toml) lexicon; a PipelineError naming the file if unusable."""
    from pathlib import Path

    from pipeline.lexicon.pls import parse_pls
    from pipeline.lexicon.toml_form import parse_toml

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PipelineError(f"cannot read lexicon {path}: {exc.strerror or exc}") from None
    parse = parse_toml if path.suffix.lower() == ".toml" else parse_pls
    try:
        lexicon = parse(data)
    except ValueError as exc:
        raise PipelineError(f"lexicon {path}: {exc}") from None
    lexicon.source = str(path)
    return lexicon
