"""Captions: WebVTT and SRT, sentence cues timed from the assembled chunk timings.

Where: one pair per chapter file next to its MP3 (`mp3/NN - Title.vtt`, `.srt`: players pick up
a sidecar with the audio's name), and one pair for the whole book next to the M4B
(`<slug>.vtt`, `<slug>.srt`), each file's cues offset by its start in the M4B.

Timing is exact at chunk edges: a chunk's first cue starts at its start in the file and its last
cue ends at its end (the mastering timings, no recogniser). A chunk holding several sentences is
cut into one cue per sentence, sharing the chunk's span in proportion to their characters.
The formats are trivial, so they are written here in plain code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.chunks.sentences import split_sentences
from pipeline.speech.cache import write_atomic


@dataclass
class Cue:
    start: float  # seconds
    end: float
    text: str


def chunk_cues(start: float, end: float, text: str, language: str = "en") -> list[Cue]:
    """One cue per sentence of a chunk, sharing [start, end] by character count."""
    sentences = split_sentences(" ".join(text.split()), language) or [text]
    total = sum(len(s) for s in sentences) or 1
    cues, done = [], 0
    for i, sentence in enumerate(sentences):
        begin = start + (end - start) * done / total
        done += len(sentence)
        finish = end if i == len(sentences) - 1 else start + (end - start) * done / total
        cues.append(Cue(begin, finish, sentence))
    return cues


def file_cues(chunks: list[dict], language: str = "en", offset: float = 0.0) -> list[Cue]:
    """Cues of one file from its manifest chunks (`start`, `end`, `text`)."""
    return [cue for c in chunks
            for cue in chunk_cues(c["start"] + offset, c["end"] + offset, c["text"], language)]


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def to_vtt(cues: list[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for n, cue in enumerate(cues, start=1):
        # "-->" may not appear in a cue's text; a blank line would end the cue.
        text = " ".join(cue.text.replace("-->", "->").split())
        lines += [str(n), f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}", text, ""]
    return "\n".join(lines)


def to_srt(cues: list[Cue]) -> str:
    lines = []
    for n, cue in enumerate(cues, start=1):
        lines += [str(n), f"{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}", " ".join(cue.text.split()), ""]
    return "\n".join(lines)


def write_captions(stem: Path, cues: list[Cue]) -> list[Path]:
    """`stem`.vtt and `stem`.srt, atomically."""
    vtt, srt = stem.with_name(stem.name + ".vtt"), stem.with_name(stem.name + ".srt")
    write_atomic(vtt, to_vtt(cues).encode("utf-8"))
    write_atomic(srt, to_srt(cues).encode("utf-8"))
    return [vtt, srt]


def parse_vtt(text: str) -> list[Cue]:
    """Cues of a WebVTT file written by `to_vtt` (for checks and tests)."""
    cues = []
    for block in text.strip().split("\n\n")[1:]:
        lines = block.splitlines()
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        start, end = (_seconds(t.strip()) for t in lines[timing].split("-->"))
        cues.append(Cue(start, end, "\n".join(lines[timing + 1:])))
    return cues


def _seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
