"""Measure a finished file the way an audiobook store does: ffmpeg's astats (RMS, noise floor) and
ebur128 (true peak, integrated loudness) on the decoded file, plus head/tail room-tone lengths."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError
from pipeline.mastering.encode import start_ffmpeg
from pipeline.mastering.spec import OUTPUT_RATE, AcxSpec

SPEECH_DBFS = -45.0  # louder than any room tone, quieter than any speech: where speech starts/ends
_BLOCK = 1 << 20  # bytes of PCM read at a time


@dataclass
class Measurement:
    file: str
    duration_s: float
    rms_db: float
    true_peak_db: float
    noise_floor_db: float
    lufs: float
    head_s: float  # room tone before the first speech
    tail_s: float  # room tone after the last speech
    sample_rate: int
    channels: int


@dataclass
class Verdict:
    passed: bool
    problems: list[str]


def measure_file(path: Path) -> Measurement:
    """Decode once; ffmpeg's meters run on the way while numpy finds the speech edges."""
    meters = ("astats=measure_perchannel=none:measure_overall=RMS_level+Peak_level+Noise_floor:length=0.5,"
              "ebur128=peak=true:framelog=quiet")
    args = ["-i", str(path), "-af", meters,
            "-f", "f32le", "-ac", "1", "-ar", str(OUTPUT_RATE), "pipe:1"]
    with tempfile.TemporaryFile() as stderr:
        try:
            proc = start_ffmpeg(args, stdout=subprocess.PIPE, stderr=stderr)
        except OSError as exc:
            raise PipelineError(f"cannot run ffmpeg to measure {path.name}: {exc.strerror or exc}") from None
        threshold = 10 ** (SPEECH_DBFS / 20)
        first = last = None
        total = 0
        carry = b""
        while block := proc.stdout.read(_BLOCK):  # type: ignore[union-attr]
            block = carry + block
            usable = len(block) - len(block) % 4
            carry = block[usable:]
            samples = np.frombuffer(block[:usable], dtype=np.float32)
            loud = np.flatnonzero(np.abs(samples) > threshold)
            if loud.size:
                if first is None:
                    first = total + int(loud[0])
                last = total + int(loud[-1])
            total += samples.size
        proc.wait()
        stderr.seek(0)
        log = stderr.read().decode(errors="replace")
    if proc.returncode != 0 or total == 0:
        lines = [line for line in log.splitlines() if line.strip()]
        raise PipelineError(f"ffmpeg failed while measuring {path.name}: {lines[-1].strip() if lines else 'no audio'}")
    stream = re.search(r"Audio: [^,]+, (\d+) Hz, (mono|stereo|\d+ channels)", log)
    channels = {"mono": 1, "stereo": 2}.get(stream.group(2), 0) if stream else 0
    if stream and channels == 0:
        channels = int(stream.group(2).split()[0])
    return Measurement(
        file=path.name,
        duration_s=total / OUTPUT_RATE,
        rms_db=_number(log, r"RMS level dB: (\S+)"),
        true_peak_db=_number(log, r"True peak:\s+Peak:\s+(\S+) dBFS"),
        noise_floor_db=_number(log, r"Noise floor dB: (\S+)"),
        lufs=_number(log, r"I:\s+(\S+) LUFS"),
        head_s=(first if first is not None else total) / OUTPUT_RATE,
        tail_s=(total - 1 - last if last is not None else total) / OUTPUT_RATE,
        sample_rate=int(stream.group(1)) if stream else 0,
        channels=channels,
    )


def _number(log: str, pattern: str) -> float:
    found = re.findall(pattern, log)
    if not found:
        return float("nan")
    value = found[-1]
    return float("-inf") if value in ("-inf", "-") else float(value)


def judge(m: Measurement, spec: AcxSpec = AcxSpec()) -> Verdict:
    problems = []
    if not spec.rms_min_db <= m.rms_db <= spec.rms_max_db:
        problems.append(f"RMS {m.rms_db:.1f} dB outside {spec.rms_min_db:g}..{spec.rms_max_db:g}")
    if not m.true_peak_db <= spec.true_peak_max_db:
        problems.append(f"true peak {m.true_peak_db:.1f} dB above {spec.true_peak_max_db:g}")
    if not m.noise_floor_db <= spec.noise_floor_max_db:
        problems.append(f"noise floor {m.noise_floor_db:.1f} dB above {spec.noise_floor_max_db:g}")
    if not spec.head_min_s <= m.head_s <= spec.head_max_s:
        problems.append(f"head room tone {m.head_s:.2f} s outside {spec.head_min_s:g}..{spec.head_max_s:g}")
    if not spec.tail_min_s <= m.tail_s <= spec.tail_max_s:
        problems.append(f"tail room tone {m.tail_s:.2f} s outside {spec.tail_min_s:g}..{spec.tail_max_s:g}")
    if m.duration_s > spec.max_minutes * 60:
        problems.append(f"longer than {spec.max_minutes:g} minutes")
    if m.channels != 1:
        problems.append(f"{m.channels} channels, not mono")
    if m.sample_rate != OUTPUT_RATE:
        problems.append(f"{m.sample_rate} Hz, not {OUTPUT_RATE}")
    return Verdict(passed=not problems, problems=problems)


def as_row(m: Measurement, v: Verdict) -> dict:
    return {**asdict(m), "passed": v.passed, "problems": v.problems}
