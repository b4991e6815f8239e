"""Give freed heap back to the operating system.

Python and native libraries free large temporaries (model protos, ORT sessions) into glibc's heap,
which keeps them mapped; the resident size then overstates what the process uses.
"""

from __future__ import annotations

import ctypes
import gc


def release_freed_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # mallopt parameters (malloc.h)


def tune_allocator() -> None:
    """Keep a long run's heap from growing with its length (glibc only; a no-op elsewhere).

    Every thread that allocates gets a glibc arena of its own, and after the first large block is
    freed glibc raises its mmap threshold, so later audio-sized buffers come from those arenas and
    stay mapped after they are freed. Two arenas and a fixed 1 MiB threshold (large buffers are
    mapped and unmapped on their own) keep a book-long run near its first chapter's size."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):  # not glibc
        pass
