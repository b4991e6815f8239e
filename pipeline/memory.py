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
