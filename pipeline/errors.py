"""The one exception type users see: its message is printed as a single line, with no traceback."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """A problem the user can act on (bad input, missing file, full disk...).

    The CLI prints `error: <message>` and exits non-zero. Messages name the file and the problem.
    """


class InputError(PipelineError):
    """The manuscript (or clip) given is unusable."""


class DiskFull(PipelineError):
    """No space left on the device, whoever was writing (Python or ffmpeg): said plainly, naming
    the book's folder rather than an internal temporary file."""

    def __init__(self, path: Path | str):
        path = Path(path)
        folder = next((p.parent for p in path.parents if p.name == ".work"), path.parent)
        super().__init__(f"No space left on device: the disk holding {folder} is full; "
                         f"free some space and run the same command again (finished work is kept)")
