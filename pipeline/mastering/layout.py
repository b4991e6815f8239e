"""Where each chunk and pause falls in a track's file(s), computed from the cache index alone.

Knowing every chunk's length and energy in advance lets mastering set the gain and split long
chapters before reading any audio, and then stream the audio through in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.mastering.spec import OUTPUT_RATE, MasteringSettings
from pipeline.plan import PlannedChunk, Track
from pipeline.speech.cache import CachedChunk


@dataclass
class Piece:
    chunk: PlannedChunk
    pause_after_s: float  # room tone after this chunk (the last one's is replaced by the tail)


@dataclass
class Part:
    """One output file: a whole track, or a piece of a track too long for one file."""

    track: int
    number: int  # 1-based within the track
    pieces: list[Piece] = field(default_factory=list)
    speech_frames: int = 0  # at OUTPUT_RATE, estimated
    energy: float = 0.0  # sum of squares at OUTPUT_RATE, estimated
    levels: np.ndarray | None = None  # sample-magnitude histogram at OUTPUT_RATE (see CachedChunk.levels)


def _pause_after(chunk: PlannedChunk, following: PlannedChunk | None, settings: MasteringSettings) -> float:
    if following is not None and following.scene_break_before:  # a scene break, or after a part's heading
        return settings.scene_pause_s
    if chunk.role == "title":
        return settings.title_pause_s if chunk.ends_paragraph else settings.sentence_pause_s
    return settings.paragraph_pause_s if chunk.ends_paragraph else settings.sentence_pause_s


def layout_track(track: Track, entries: dict[str, CachedChunk], settings: MasteringSettings) -> list[Part]:
    parts = [Part(track=track.index, number=1)]
    limit_frames = settings.split_minutes * 60 * OUTPUT_RATE
    elapsed = 0.0
    for i, chunk in enumerate(track.chunks):
        following = track.chunks[i + 1] if i + 1 < len(track.chunks) else None
        entry = entries[chunk.key]
        ratio = OUTPUT_RATE / entry.rate
        part = parts[-1]
        # Split only where a paragraph starts, so no file ends mid-thought.
        starts_paragraph = i > 0 and track.chunks[i - 1].ends_paragraph
        if starts_paragraph and elapsed > limit_frames:
            part = Part(track=track.index, number=part.number + 1)
            parts.append(part)
            elapsed = 0.0
        pause = _pause_after(chunk, following, settings)
        part.pieces.append(Piece(chunk=chunk, pause_after_s=pause))
        part.speech_frames += round(entry.frames * ratio)
        part.energy += entry.energy * ratio  # mean square is kept by resampling, the count scales
        if entry.levels:
            levels = np.asarray(entry.levels, dtype=np.float64) * ratio
            part.levels = levels if part.levels is None else part.levels + levels
        elapsed += entry.frames * ratio + pause * OUTPUT_RATE
    return parts
