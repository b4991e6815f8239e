"""ACX's technical requirements and how we aim inside them."""

from __future__ import annotations

from dataclasses import dataclass

OUTPUT_RATE = 44_100


@dataclass(frozen=True)
class AcxSpec:
    """What an audiobook store checks on every file (ACX/Audible's published submission rules)."""

    rms_min_db: float = -23.0
    rms_max_db: float = -18.0
    true_peak_max_db: float = -3.0
    noise_floor_max_db: float = -60.0
    head_min_s: float = 0.5
    head_max_s: float = 1.0
    tail_min_s: float = 1.0
    tail_max_s: float = 5.0
    max_minutes: float = 120.0


@dataclass(frozen=True)
class MasteringSettings:
    target_rms_db: float = -20.0  # the middle of ACX's window: margin both ways
    ceiling_db: float = -4.5  # sample-peak limit; leaves room for inter-sample and MP3 overshoot
    room_tone_db: float = -80.0  # RMS of the room tone: quiet, but not the dead digital silence stores dislike
    head_s: float = 0.75
    tail_s: float = 2.5
    sentence_pause_s: float = 0.35
    paragraph_pause_s: float = 0.8
    title_pause_s: float = 1.3  # after the spoken chapter title
    scene_pause_s: float = 1.8  # a scene break (* * *)
    fade_s: float = 0.006  # fade at each chunk edge: no clicks where speech meets room tone
    split_minutes: float = 110.0  # start a new file at the next paragraph past this (ACX max is 120)
    mp3_bitrate: str = "192k"
    aac_bitrate: str = "64k"  # mono speech; Audible's own AAC is 64 kb/s
