"""Voice consistency: does every produced file sound like the pinned narrator?

Per file, a speaker embedding of a few windows of its speech (see `embedding.sample_speech`) is
compared (cosine) with the pinned voice's reference embedding: the enrolled clip's, for registry
voices; for voices without a clip (the built-in Piper voice, Voxtral presets) the book's own
centroid, leaving the file itself out. Files below the threshold are flagged.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError

THRESHOLD = float(os.environ.get("AUDIOBOOK_VOICE_THRESHOLD", "0.80"))
WINDOWS, WINDOW_S = 4, 3.0  # ~12 s of speech per file, whatever its length


def decode_16k(path: Path) -> np.ndarray:
    from pipeline.mastering.encode import ffmpeg_exe

    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-ac", "1",
                           "-ar", "16000", "-f", "f32le", "pipe:1"], capture_output=True)
    if done.returncode != 0:
        raise PipelineError(f"cannot decode {Path(path).name} for the voice check")
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float32)


def file_embedding(path: Path) -> np.ndarray:
    from pipeline.voices import embedding

    return embedding.embed(embedding.sample_speech(decode_16k(path), WINDOWS, WINDOW_S))


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
    from pipeline.voices import embedding, registry

    if os.environ.get("AUDIOBOOK_VOICE_CHECK", "1").strip().lower() in ("0", "false", "no", "off"):
        return {"skipped": "turned off by AUDIOBOOK_VOICE_CHECK=0"}
    reason = embedding.available()
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
