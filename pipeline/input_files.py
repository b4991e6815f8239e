"""The real reason a path given as input cannot be read, in one line.

`Path.exists()` and `is_file()` answer False for a symbolic-link loop, a dangling link, a path
behind a directory without permission, a FIFO or a device alike; users then read "file not found"
for a file they can see. `stat()` says which it is.
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from pipeline.errors import InputError

_KINDS = ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "is a named pipe (FIFO)"),
          (stat.S_ISSOCK, "is a socket"), (stat.S_ISCHR, "is a character device"),
          (stat.S_ISBLK, "is a block device"))


def check_input_file(path: Path, what: str) -> None:
    """Raise InputError("PATH: reason") unless `path` is a regular file (following links)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"{path}: broken symbolic link (its target does not exist)") from None
        raise InputError(f"{path}: file not found") from None
    except OSError as error:
        reasons = {errno.ELOOP: "symbolic link loop (the links lead back to each other)",
                   errno.EACCES: "permission denied (a folder on the way cannot be entered)",
                   errno.ENOTDIR: "file not found (a part of the path is not a folder)",
                   errno.ENAMETOOLONG: "file name too long"}
        raise InputError(f"{path}: {reasons.get(error.errno, error.strerror or str(error))}") from None
    for test, kind in _KINDS:
        if test(mode):
            raise InputError(f"{path}: {kind}, not {what}")
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: not a regular file")
