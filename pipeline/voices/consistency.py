"""Voice consistency: does every produced file sound like the pinned narrator?

Per file, a speaker embedding of a few windows of its speech (see `sampled_audio`) is
compared (cosine) with the pinned voice's reference embedding: the enrolled clip's, for registry
voices; for voices without a clip (the built-in Piper voice, Voxtral presets) the book's own
centroid, leaving the file itself out. Files below the threshold are flagged.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError

THRESHOLD = float(os.environ.get("AUDIOBOOK_VOICE_THRESHOLD", "0.80"))
WINDOWS, WINDOW_S = 4, 3.0  # ~12 s of speech per file, whatever its length


def decode_16k(path: Path, start_s: float = 0.0, length_s: float | None = None) -> np.ndarray:
    from pipeline.mastering.encode import call_ffmpeg

    span = ["-ss", f"{start_s:.3f}", "-t", f"{length_s:.3f}"] if length_s is not None else []
    done = call_ffmpeg([*span, "-i", str(path), "-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "pipe:1"],
                       capture_output=True)
    if done.returncode != 0:
        raise PipelineError(f"cannot decode {Path(path).name} for the voice check")
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float32)


def sampled_audio(path: Path) -> np.ndarray:
    """WINDOWS spans of 2 x WINDOW_S seconds spread over the file, decoded on their own (a long
    chapter is never decoded whole); `sample_speech` then takes the speech-densest part of each."""
    import mutagen

    from pipeline.voices.embedding import RATE

    try:
        duration = mutagen.File(path).info.length
    except Exception:  # not a format mutagen reads, or unreadable: decode it whole
        duration = 0.0
    span = 2 * WINDOW_S
    if duration <= WINDOWS * span:
        return decode_16k(path)
    frames = int(span * RATE)
    pieces = [decode_16k(path, start, span)[:frames] for start in np.linspace(0.0, duration - span, WINDOWS)]
    return np.concatenate([np.pad(p, (0, frames - len(p))) for p in pieces])


_EMBEDDINGS: dict[tuple, np.ndarray] = {}
_EMBEDDING_LOCK = threading.Lock()


def file_embedding(path: Path) -> np.ndarray:
    """The file's speaker embedding, remembered per (path, size, mtime) for this process."""
    from pipeline.voices import embedding

    stat = Path(path).stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _EMBEDDING_LOCK:  # a warm-up thread and the check proper never embed a file twice
        if key not in _EMBEDDINGS:
            _EMBEDDINGS[key] = embedding.embed(embedding.sample_speech(sampled_audio(Path(path)), WINDOWS, WINDOW_S))
        return _EMBEDDINGS[key]


def warm_up(files: Iterable[Path]) -> None:
    """Embed files ahead of `voice_consistency` (on a spare core while other work finishes).
    Silent: any problem is reported by the real check."""
    if _turned_off() or _available() is not None:
        return
    from pipeline.stopping import stop_requested

    try:
        for f in files:
            if stop_requested():  # the run is stopping: don't hold its exit up
                return
            file_embedding(Path(f))
    except Exception:  # noqa: BLE001 - the check proper reports it
        pass


def _turned_off() -> bool:
    return os.environ.get("AUDIOBOOK_VOICE_CHECK", "1").strip().lower() in ("0", "false", "no", "off")


def _available() -> str | None:
    from pipeline.voices import embedding

    return embedding.available()


def check_files(files: list[Path], reference: np.ndarray | None = None, threshold: float = THRESHOLD,
                names: list[str] | None = None) -> list[dict]:
    """One row per file: {"file", "similarity", "flagged"}. Without a reference, each file is
    compared with the centroid of the others (a single file is compared with nothing: 1.0)."""
    from pipeline.voices.embedding import cosine

    vectors = [file_embedding(Path(f)) for f in files]
    rows = []
    for i, (f, vec) in enumerate(zip(files, vectors)):
        if reference is not None:
            ref = reference
        else:
            others = [v for j, v in enumerate(vectors) if j != i]
            ref = np.mean(others, axis=0) if others else vec
        sim = cosine(vec, ref)
        rows.append({"file": names[i] if names else Path(f).name, "similarity": round(sim, 4),
                     "flagged": bool(sim < threshold)})
    return rows


def voice_consistency(plan, files: list[Path], names: list[str] | None = None) -> dict:
    """The report's `voice_consistency` section for a produced book (see module doc). Never fails
    the production: problems become {"skipped": reason}. AUDIOBOOK_VOICE_CHECK=0 turns it off."""
    from pipeline.voices import registry

    if _turned_off():
        return {"skipped": "turned off by AUDIOBOOK_VOICE_CHECK=0"}
    reason = _available()
    if reason:
        return {"skipped": reason}
    reference = registry.reference_embedding(plan.voice_name, plan.voice_hash)
    try:
        rows = check_files(files, reference, THRESHOLD, names)
    except PipelineError as exc:
        return {"skipped": str(exc)}
    return {"voice": plan.voice_name, "voice_hash": plan.voice_hash,
            "reference": "enrolled clip" if reference is not None else "book centroid (leave-one-out)",
            "threshold": THRESHOLD, "method": f"resemblyzer cosine, {WINDOWS}x{WINDOW_S:g} s of speech per file",
            "flagged": sum(r["flagged"] for r in rows), "files": rows}
