"""Where a book's lexicons come from, and which wins.

Precedence, lowest first (for the same grapheme the later one wins):

1. the voice's folder: `voices/<voice>/lexicon.pls`, `lexicon.toml` (a narrator's or publisher's house list)
2. beside the manuscript: `<stem>.pls`, `<stem>.lexicon.toml` (for `book.epub`: `book.pls`, `book.lexicon.toml`)
3. the book's output folder: `OUTPUT/<slug>/lexicon.pls`, `lexicon.toml` (the producer's fixes)
4. each `--lexicon PATH`, in the order given

Within one place a `.toml` file wins over a `.pls` one.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.lexicon.model import Lexicon, load_lexicon

FOLDER_NAMES = ("lexicon.pls", "lexicon.toml")


def find_lexicons(manuscript: Path, book_folder: Path | None = None, voice_folder: Path | None = None,
                  explicit: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    """Lexicon files for a book, lowest precedence first. A missing `explicit` path is an error."""
    found: list[Path] = []
    if voice_folder is not None:
        found += [voice_folder / name for name in FOLDER_NAMES]
    found += [manuscript.with_name(manuscript.stem + ".pls"), manuscript.with_name(manuscript.stem + ".lexicon.toml")]
    if book_folder is not None:
        found += [book_folder / name for name in FOLDER_NAMES]
    found = [p for p in found if p.is_file()]
    for path in explicit:
        if not Path(path).is_file():
            raise PipelineError(f"lexicon {path} does not exist (or is not a file)")
        found.append(Path(path))
    return list(dict.fromkeys(found))  # a file named twice counts once, at its first place


def load_lexicons(manuscript: Path, book_folder: Path | None = None, voice_folder: Path | None = None,
                  explicit: list[Path] | tuple[Path, ...] = ()) -> list[Lexicon]:
    return [load_lexicon(p) for p in find_lexicons(manuscript, book_folder, voice_folder, explicit)]


def voice_folder(name: str | None) -> Path | None:
    """The registry folder of voice `name`, when it has one."""
    from pipeline.voices.registry import voices_root

    folder = voices_root() / name if name else None
    return folder if folder is not None and folder.is_dir() else None
