"""Models derived once per machine (a rewritten graph, an exported encoder) and kept in the
user's cache, so that later runs only load them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """Where derived models are kept: $AUDIOBOOK_CACHE_DIR, else $XDG_CACHE_HOME/audiobook."""
    if os.environ.get("AUDIOBOOK_CACHE_DIR"):
        return Path(os.environ["AUDIOBOOK_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "audiobook"


def prepared(name: str, save: Callable[[Path], None], load: Callable[[str], T]) -> T:
    """load(path) of the cached file `name`, made by save(path) when missing or damaged (a copy
    that fails to load is made again). Without a writable cache, the file is made in a temporary
    folder for this run only."""
    folder = cache_dir()
    path = folder / name
    if path.is_file():
        try:
            return load(str(path))
        except Exception:  # a damaged cached copy: make it again
            path.unlink(missing_ok=True)
    tmp = path.with_name(f".{name}.{os.getpid()}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        save(tmp)
        os.replace(tmp, path)
    except Exception:  # unwritable or full cache folder (onnxruntime reports a failed write as its own error)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # the folder itself could not be made
            pass
        with tempfile.TemporaryDirectory() as scratch:
            save(Path(scratch, name))
            return load(str(Path(scratch, name)))
    return load(str(path))
