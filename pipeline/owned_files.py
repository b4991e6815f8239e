"""mp3/ holds the pipeline's files and whatever the user put there: only ours are ever replaced.

A new set of MP3s and captions is staged in .work/mp3.new and swapped in by renames, so that at
every moment one complete set exists. Before the swap, every entry of the old mp3/ that the
pipeline did not write is hard-linked (copied where links are impossible) into the new folder, so
it survives the swap. What the pipeline wrote is listed in .work/mp3-files.json (for books made
before that list, in manifest.json); the list is widened to old plus new before the swap, so a run
killed in between still knows its own files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.faults import fault_point
from pipeline.speech.cache import write_atomic

if TYPE_CHECKING:
    from pipeline.workspace import BookPaths

LEDGER = "mp3-files.json"  # in the book's .work/
CAPTIONS = (".vtt", ".srt")


def _ledger(paths: "BookPaths") -> Path:
    return paths.work / LEDGER


def own_mp3_files(paths: "BookPaths") -> set[str]:
    """Names in mp3/ that the pipeline wrote."""
    try:
        return set(json.loads(_ledger(paths).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass
    try:  # a book produced before the list existed: its manifest names its MP3s
        files = json.loads(paths.manifest.read_text(encoding="utf-8"))["files"]
        stems = [Path(f["file"]).stem for f in files]
        return {stem + suffix for stem in stems for suffix in (".mp3", *CAPTIONS)}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _record(paths: "BookPaths", names: set[str]) -> None:
    write_atomic(_ledger(paths), json.dumps(sorted(names), indent=1).encode())


def _link_or_copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy_file)
    else:
        _link_or_copy_file(str(source), str(target))


def _link_or_copy_file(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def replace_mp3_folder(paths: "BookPaths", staging: Path) -> None:
    """Make `staging` (the pipeline's new files only) the book's mp3/, keeping the user's files."""
    new = {p.name for p in staging.iterdir()}
    ours = own_mp3_files(paths)
    _record(paths, ours | new)
    if paths.mp3_dir.is_dir():
        for entry in paths.mp3_dir.iterdir():
            if entry.name in ours:
                continue
            # A user's file that happens to have one of our new names is kept under another.
            name = entry.name if entry.name not in new else f"{Path(entry.name).stem} (kept){Path(entry.name).suffix}"
            if not (staging / name).exists():
                _link_or_copy(entry, staging / name)
    old = paths.work / "mp3.old"
    shutil.rmtree(old, ignore_errors=True)
    if paths.mp3_dir.exists():
        paths.mp3_dir.rename(old)
    fault_point("swap")
    staging.rename(paths.mp3_dir)
    shutil.rmtree(old, ignore_errors=True)
    _record(paths, new)


def recover_mp3_swap(paths: "BookPaths") -> None:
    """A run killed between the two renames of a swap left mp3/ missing and the old set (with the
    user's files) in .work/mp3.old: put it back before anything cleans .work/."""
    old = paths.work / "mp3.old"
    if old.is_dir() and not paths.mp3_dir.exists():
        old.rename(paths.mp3_dir)
