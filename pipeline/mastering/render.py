"""Render one part (a track's file) from cached chunks: pauses, gain, limiting, room tone, encoding.

Streams chunk by chunk into ffmpeg, so memory does not grow with chapter length.
"""

from __future__ import annotations

import hashlib
import math
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.mastering.dsp import (RoomTone, db_to_amp, fade_edges, gain_for_limited_rms, gain_for_rms, limit,
                                    resample)
from pipeline.faults import fault_point
from pipeline.mastering.encode import PcmEncoder
from pipeline.mastering.layout import Part
from pipeline.mastering.spec import OUTPUT_RATE, MasteringSettings
from pipeline.stopping import checkpoint
from pipeline.speech.cache import LEVEL_EDGES, ChunkCache, write_atomic


@dataclass
class ChunkTiming:
    id: str
    start: float  # seconds from the start of the file
    end: float
    text: str


@dataclass
class RenderedPart:
    track: int
    number: int
    key: str
    mp3: str
    aac: str
    frames: int  # at OUTPUT_RATE
    gain_db: float
    timings: list[ChunkTiming]

    @property
    def duration(self) -> float:
        return self.frames / OUTPUT_RATE


def part_key(part: Part, settings: MasteringSettings) -> str:
    raw = json.dumps([[p.chunk.key, p.pause_after_s] for p in part.pieces] + [repr(settings)])
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def load_rendered(folder: Path, key: str) -> RenderedPart | None:
    """A part rendered earlier with exactly these chunks and settings, if all its files are there."""
    meta = folder / f"{key}.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["timings"] = [ChunkTiming(**t) for t in data["timings"]]
        part = RenderedPart(**data)
    except (OSError, ValueError, TypeError):
        return None
    if Path(part.mp3).is_file() and Path(part.aac).is_file():
        return part
    return None


def render_part(part: Part, cache: ChunkCache, settings: MasteringSettings, folder: Path) -> RenderedPart:
    key = part_key(part, settings)
    done = load_rendered(folder, key)
    if done is not None:
        return done
    folder.mkdir(parents=True, exist_ok=True)
    mp3, aac = folder / f"{key}.mp3", folder / f"{key}.aac"
    tmp_mp3, tmp_aac = folder / f".{key}.{os.getpid()}.mp3", folder / f".{key}.{os.getpid()}.aac"
    pauses = sum(p.pause_after_s for p in part.pieces[:-1]) + settings.head_s + settings.tail_s
    frames_total = part.speech_frames + round(pauses * OUTPUT_RATE)
    ceiling = db_to_amp(settings.ceiling_db)
    if part.levels is not None:
        gain = gain_for_limited_rms(part.levels, LEVEL_EDGES, frames_total, settings.target_rms_db, ceiling)
    else:
        gain = gain_for_rms(part.energy, frames_total, settings.target_rms_db)
    tone = RoomTone(settings.room_tone_db, seed=int(key[:8], 16))
    fade = int(settings.fade_s * OUTPUT_RATE)
    encoder = PcmEncoder(OUTPUT_RATE, tmp_mp3, tmp_aac, settings.mp3_bitrate, settings.aac_bitrate,
                         label=f"track {part.track + 1} part {part.number}")
    timings: list[ChunkTiming] = []
    frames = 0
    try:
        head = round(settings.head_s * OUTPUT_RATE)
        encoder.write(tone.take(head))
        frames += head
        for i, piece in enumerate(part.pieces):
            checkpoint()
            entry = cache.entries[piece.chunk.key]
            speech = resample(cache.read(piece.chunk.key), entry.rate, OUTPUT_RATE)
            speech = limit(fade_edges(speech * gain, fade), ceiling, OUTPUT_RATE)
            encoder.write(speech)
            fault_point("render")
            timings.append(ChunkTiming(piece.chunk.id, frames / OUTPUT_RATE, (frames + len(speech)) / OUTPUT_RATE,
                                       piece.chunk.text))
            frames += len(speech)
            last = i == len(part.pieces) - 1
            pause = round((settings.tail_s if last else piece.pause_after_s) * OUTPUT_RATE)
            encoder.write(tone.take(pause))
            frames += pause
        encoder.close()
    except BaseException:
        encoder.abort()
        tmp_mp3.unlink(missing_ok=True)
        tmp_aac.unlink(missing_ok=True)
        raise
    os.replace(tmp_mp3, mp3)
    os.replace(tmp_aac, aac)
    fault_point("rendered")
    rendered = RenderedPart(track=part.track, number=part.number, key=key, mp3=str(mp3), aac=str(aac),
                            frames=frames, gain_db=20 * math.log10(gain), timings=timings)
    # The metadata goes last: its presence means the whole part is complete.
    write_atomic(folder / f"{key}.json", json.dumps(asdict(rendered)).encode())
    return rendered
