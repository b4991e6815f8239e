"""The chunk cache: every synthesised chunk, stored once, atomically, under the book's work folder.

Files are FLAC (lossless, ~half the size of PCM) named by cache key. `index.jsonl` records each
chunk's checksum, length and energy; an entry is appended only after its file is safely renamed
into place, so a kill at any moment leaves either a complete chunk or none. A chunk whose bytes no
longer match the checksum is reported as missing and synthesised again.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.ndimage import maximum_filter1d

from pipeline.errors import DiskFull, PipelineError
from pipeline.faults import fault_point

SILENCE_DBFS = -50.0  # edges quieter than this are trimmed before storing
EDGE_PAD_S = 0.02  # keep a little air around speech so consonants are not clipped


@dataclass(frozen=True)
class CachedChunk:
    key: str
    sha256: str
    frames: int  # samples after trimming, at `rate`
    rate: int
    energy: float  # sum of squared samples: lets mastering compute gain without reading audio
    levels: tuple[float, ...] = ()  # energy per peak-envelope level: predicts what limiting takes off


# Peak-envelope bins, in dBFS, for `CachedChunk.levels`.
LEVEL_EDGES = np.arange(-60.0, 0.5, 0.5)


def envelope_levels(audio: np.ndarray, rate: int) -> np.ndarray:
    """Signal energy binned by the local peak envelope around each sample.

    A look-ahead limiter scales each sample by about ceiling / (gain * envelope) wherever that is
    below one, so this histogram gives the energy left after limiting, for any gain, exactly
    enough to choose the gain before rendering (see mastering.dsp.gain_for_limited_rms).
    """
    from pipeline.mastering.dsp import LOOKAHEAD_S

    window = 2 * max(1, int(LOOKAHEAD_S * rate)) + 1
    envelope = maximum_filter1d(np.abs(audio), size=window, mode="nearest")
    return np.histogram(20 * np.log10(envelope + 1e-9), bins=LEVEL_EDGES, weights=audio.astype(np.float64) ** 2)[0]


def cache_key(chunk_id: str, engine: str, revision: str, voice_hash: str, settings: str, seed: int) -> str:
    """Everything that changes a chunk's audio, hashed. Same key <=> same audio."""
    raw = f"{chunk_id}|{engine}|{revision}|{voice_hash}|{settings}|seed={seed}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def trim_silence(audio: np.ndarray, rate: int) -> np.ndarray:
    """Cut leading/trailing silence so that pauses are decided by assembly, not by the engine."""
    threshold = 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[:0]
    pad = int(EDGE_PAD_S * rate)
    return audio[max(0, loud[0] - pad): loud[-1] + 1 + pad]


class ChunkCache:
    def __init__(self, root: Path):
        self.root = root
        self.files = root / "chunks"
        self.index_path = root / "index.jsonl"
        try:
            self.files.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PipelineError(f"cannot create the chunk cache in {root}: {exc.strerror}") from None
        self.entries: dict[str, CachedChunk] = self._load_index()

    def _load_index(self) -> dict[str, CachedChunk]:
        entries: dict[str, CachedChunk] = {}
        if not self.index_path.exists():
            return entries
        for line in self.index_path.read_text(encoding="utf-8").splitlines():
            try:  # a line torn by a crash mid-append is ignored: its chunk is simply redone
                fields = json.loads(line)
                fields["levels"] = tuple(fields.get("levels", ()))
                entry = CachedChunk(**fields)
            except (ValueError, TypeError):
                continue
            entries[entry.key] = entry
        return entries

    def path(self, key: str) -> Path:
        return self.files / key[:2] / f"{key}.flac"

    def has(self, key: str) -> bool:
        entry = self.entries.get(key)
        if entry is None:
            return False
        try:
            return self.path(key).stat().st_size > 0
        except OSError:
            return False

    def verify(self, key: str) -> bool:
        """Full checksum check; a corrupt entry is dropped so that it gets synthesised again."""
        entry = self.entries.get(key)
        if entry is not None:
            try:
                if hashlib.sha256(self.path(key).read_bytes()).hexdigest() == entry.sha256:
                    return True
            except OSError:
                pass
            del self.entries[key]
        return False

    def put(self, key: str, audio: np.ndarray, rate: int) -> CachedChunk:
        raw = np.asarray(audio, dtype=np.float32)
        if raw.size == 0 or not np.isfinite(raw).all():  # never cache what cannot be played back
            raise PipelineError(f"the speech engine returned no usable audio for chunk {key} "
                                f"({'nothing' if raw.size == 0 else 'not-a-number samples'}); nothing was cached")
        # A take that is all silence is kept as a short silence (FLAC cannot hold zero frames), so
        # that QA can judge it and retake it like any other failed take.
        audio = trim_silence(raw, rate)
        if audio.size == 0:
            audio = raw[:max(1, rate // 100)]
        buffer = io.BytesIO()
        sf.write(buffer, audio, rate, format="FLAC", subtype="PCM_16")
        data = buffer.getvalue()
        # Energy of what is stored (16-bit), so that gain maths matches the audio read back.
        stored = np.round(np.clip(audio, -1, 1 - 2**-15) * 32767) / 32767
        levels = envelope_levels(stored, rate)
        entry = CachedChunk(key=key, sha256=hashlib.sha256(data).hexdigest(), frames=len(audio), rate=rate,
                            energy=float(np.dot(stored, stored)), levels=tuple(round(float(e), 6) for e in levels))
        path = self.path(key)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, data)
        with open(self.index_path, "a", encoding="utf-8") as index:
            index.write(json.dumps(asdict(entry)) + "\n")
            index.flush()
            os.fsync(index.fileno())
        self.entries[key] = entry
        fault_point("chunk")
        return entry

    def read(self, key: str) -> np.ndarray:
        entry = self.entries[key]
        data = self.path(key).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            del self.entries[key]
            raise PipelineError(f"cached chunk {key} is corrupt; run again to re-synthesise it")
        audio, _ = sf.read(io.BytesIO(data), dtype="float32")
        return audio


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, fsync, then rename: readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFull(path) from None
        raise PipelineError(f"cannot write {path}: {exc.strerror or exc}") from None
