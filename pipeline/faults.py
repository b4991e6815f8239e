"""Fault injection for crash tests: `AUDIOBOOK_FAULT=POINT:N[:SIGNAL]`.

When set, the Nth time the code passes `fault_point("POINT")` the process sends itself SIGNAL
(default KILL: an instant, unclean death, like a power cut or the OOM killer; TERM or INT test the
cooperative stop). Unset, `fault_point` is one global lookup and a return.

Points, in the order a run meets them: `startup` (the CLI loading its libraries), `ingest` (manuscript read, plan not yet saved), `plan`
(plan saved), `chunk` (after each chunk is stored in the cache), `render` (after each chunk is fed
to the encoder while mastering), `rendered` (a part's audio files renamed into place, its metadata
not yet written), `mp3` (after each MP3 is copied and tagged into the staging folder), `swap` (the
old mp3/ folder moved aside, the new one not yet renamed into place), `m4b` (the M4B muxed and tagged
under its temporary name, not yet renamed), `manifest` (audio files final; manifest and report not
yet written).
"""

from __future__ import annotations

import os
import signal


def _parse(spec: str | None) -> tuple[str, int, int] | None:
    if not spec:
        return None
    point, _, rest = spec.partition(":")
    count, _, name = rest.partition(":")
    return point, int(count or 1), getattr(signal, "SIG" + (name or "KILL").upper().removeprefix("SIG"))


_FAULT = _parse(os.environ.get("AUDIOBOOK_FAULT"))
_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    if _FAULT is None or _FAULT[0] != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == _FAULT[1]:
        os.kill(os.getpid(), _FAULT[2])
