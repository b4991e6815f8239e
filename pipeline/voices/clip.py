"""Reference clips: decode any audio file with ffmpeg, check it is usable as a narrator reference,
and normalise it (24 kHz mono, trimmed, levelled) for storage and speaker embedding.

Checks, each refused with a one-line reason: decodable audio; source sample rate >= 16 kHz (read
from ffmpeg's stream line before any resampling); no clipping (fraction of samples at full scale);
speech found by voice activity detection (silero-vad's bundled ONNX model, offline; an energy VAD
when silero-vad is not installed); 3-30 s from the first to the last speech after trimming
leading/trailing silence; a speech-to-noise ratio estimate.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import InputError, PipelineError
from pipeline.input_files import check_input_file

STORE_RATE = 24000  # the stored reference clip
VAD_RATE = 16000  # silero-vad and the speaker encoder work at 16 kHz
MIN_SOURCE_RATE = 16000
MIN_SPEECH_S, MAX_SPEECH_S = 3.0, 30.0
MAX_SOURCE_S = 120.0  # audio decoded at most; a longer file is refused (speech plus generous silences)
CLIP_LEVEL = 0.999  # a sample at or above this magnitude counts as clipped
MAX_CLIPPED_FRACTION = 0.001
MIN_SNR_DB = 15.0
TARGET_RMS_DB = -20.0  # speech level of the stored clip
PEAK_CEILING = 10 ** (-1.0 / 20)
PAD_S = 0.15  # silence kept around the trimmed speech

_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "6.1": 7,
             "7.1": 8}


@dataclass
class ClipReport:
    """What enrolment measured; stored in voice.json and printed by `voices show`."""

    source: str
    source_rate: int
    source_channels: int
    source_s: float
    speech_s: float  # first speech to last speech, after trimming
    voiced_s: float  # total of the VAD's speech segments
    clipped_fraction: float
    peak_db: float
    speech_rms_db: float
    noise_floor_db: float
    snr_db: float
    vad: str

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class PreparedClip:
    audio: np.ndarray  # float32 mono at STORE_RATE, trimmed and levelled
    audio_16k: np.ndarray  # the same at VAD_RATE, for the speaker encoder
    report: ClipReport


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode any audio ffmpeg reads to float32 (frames, channels) at the file's own rate."""
    from pipeline.mastering.encode import call_ffmpeg

    path = Path(path)
    check_input_file(path, "an audio file")
    try:  # -t: a clip is seconds long; an hour-long file is refused without decoding (and holding) an hour
        done = call_ffmpeg(["-i", str(path), "-map", "0:a:0", "-vn", "-t", str(MAX_SOURCE_S), "-f", "f32le",
                            "-acodec", "pcm_f32le", "pipe:1"], capture_output=True)
    except OSError as exc:
        raise PipelineError(f"cannot run ffmpeg to decode {path.name}: {exc.strerror or exc}") from None
    log = done.stderr.decode(errors="replace")
    stream = re.search(r"Stream #0:\d+.*?: Audio: [^\n]*?(\d+) Hz, ([^,\n]+)", log)
    if done.returncode != 0 or stream is None:
        lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
        why = "no audio stream" if done.returncode == 0 or "matches no streams" in log else (
            lines[-1] if lines else "unreadable")
        raise InputError(f"{path.name}: not a readable audio file ({why})")
    rate = int(stream.group(1))
    layout = stream.group(2).strip()
    channels = _CHANNELS.get(layout.split("(")[0].strip())
    if channels is None:
        m = re.match(r"(\d+) channels", layout)
        channels = int(m.group(1)) if m else 0
    if channels <= 0:
        raise InputError(f"{path.name}: unsupported channel layout {layout!r}")
    data = np.frombuffer(done.stdout, dtype="<f4")
    usable = data.size - data.size % channels
    frames = data[:usable].reshape(-1, channels).astype(np.float32, copy=False)
    declared = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", log)
    length_s = int(declared[1]) * 3600 + int(declared[2]) * 60 + float(declared[3]) if declared else 0.0
    if max(length_s, frames.shape[0] / rate) >= MAX_SOURCE_S:
        shown = f"{length_s / 60:.1f} min" if length_s else f"at least {MAX_SOURCE_S:.0f} s"
        raise InputError(f"{path.name}: too long: {shown} of audio; a reference clip is {MIN_SPEECH_S:.0f}-"
                         f"{MAX_SPEECH_S:.0f} s of speech (at most {MAX_SOURCE_S:.0f} s in all; cut it shorter)")
    if not np.isfinite(frames).all():
        raise InputError(f"{path.name}: invalid samples (NaN or infinite values): the file is damaged or was "
                         "written wrongly; export it again")
    return frames, rate


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return np.asarray(audio, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(audio, dtype=np.float32), rate, target, quality="HQ").astype(np.float32)


# -- voice activity detection -------------------------------------------------------------------

_SILERO = None


def speech_segments(audio_16k: np.ndarray) -> tuple[list[tuple[int, int]], str]:
    """(start, end) sample indices of speech at 16 kHz, and which VAD found them."""
    global _SILERO
    try:
        import torch
        from silero_vad import get_speech_timestamps, load_silero_vad
    except ImportError:
        return _energy_vad(audio_16k), "energy"
    if _SILERO is None:
        _SILERO = load_silero_vad(onnx=True)  # the model file ships inside the wheel: no download
    stamps = get_speech_timestamps(torch.from_numpy(np.ascontiguousarray(audio_16k)), _SILERO,
                                   sampling_rate=VAD_RATE, min_speech_duration_ms=200)
    return [(int(s["start"]), int(s["end"])) for s in stamps], "silero-vad"


def _energy_vad(audio: np.ndarray, frame: int = 480) -> list[tuple[int, int]]:
    """Fallback: 30 ms frames more than 20 dB above the quietest tenth, with spectral flatness low
    enough to rule out white noise."""
    n = audio.size // frame
    if n == 0:
        return []
    frames = audio[: n * frame].reshape(n, frame)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    floor = np.percentile(db, 10)
    spec = np.abs(np.fft.rfft(frames * np.hanning(frame), axis=1)) + 1e-9
    flatness = np.exp(np.mean(np.log(spec), axis=1)) / np.mean(spec, axis=1)
    voiced = (db > max(floor + 20, -50)) & (flatness < 0.5)
    out, start = [], None
    for i, v in enumerate(np.append(voiced, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= 7:  # >= 200 ms
                out.append((start * frame, i * frame))
            start = None
    return out


def _db(x: float) -> float:
    return float(20 * np.log10(max(x, 1e-10)))


# -- the whole check ---------------------------------------------------------------------------

def prepare_clip(path: Path) -> PreparedClip:
    """Decode, validate and normalise a reference clip; raises InputError with the reason."""
    path = Path(path)
    frames, rate = decode(path)
    name = path.name
    source_s = frames.shape[0] / rate
    if source_s < 0.5:
        raise InputError(f"{name}: only {source_s:.2f} s of audio could be decoded (corrupt or truncated?)")
    if rate < MIN_SOURCE_RATE:
        raise InputError(f"{name}: sample rate {rate} Hz is too low; a reference clip needs at least "
                         f"{MIN_SOURCE_RATE} Hz (telephone-quality audio cannot define a narrator)")
    peak = float(np.max(np.abs(frames)))
    clipped = float(np.mean(np.abs(frames) >= CLIP_LEVEL))
    if clipped > MAX_CLIPPED_FRACTION:
        raise InputError(f"{name}: clipped: {clipped:.2%} of samples are at full scale (at most "
                         f"{MAX_CLIPPED_FRACTION:.1%} allowed); record it again at a lower level")
    mono = frames.mean(axis=1) if frames.shape[1] > 1 else frames[:, 0]
    audio_16k = resample(mono, rate, VAD_RATE)
    if _db(float(np.sqrt(np.mean(audio_16k**2)))) < -70:
        raise InputError(f"{name}: silent ({source_s:.1f} s with no signal)")
    segments, vad = speech_segments(audio_16k)
    if not segments:
        raise InputError(f"{name}: no speech found in {source_s:.1f} s of audio (silence or noise only)")
    first, last = segments[0][0], segments[-1][1]
    speech_s = (last - first) / VAD_RATE
    voiced_s = sum(e - s for s, e in segments) / VAD_RATE
    if speech_s < MIN_SPEECH_S:
        raise InputError(f"{name}: too short: {speech_s:.1f} s of speech after trimming silence; "
                         f"a reference clip needs {MIN_SPEECH_S:.0f}-{MAX_SPEECH_S:.0f} s")
    if speech_s > MAX_SPEECH_S:
        raise InputError(f"{name}: too long: {speech_s:.1f} s of speech after trimming silence; "
                         f"a reference clip needs {MIN_SPEECH_S:.0f}-{MAX_SPEECH_S:.0f} s (cut it shorter)")
    # Speech level from the VAD's segments, noise floor from the quietest 20 ms frames elsewhere.
    mask = np.zeros(audio_16k.size, dtype=bool)
    for s, e in segments:
        mask[s:e] = True
    speech_rms = float(np.sqrt(np.mean(audio_16k[mask] ** 2)))
    hop = VAD_RATE // 50
    rest = audio_16k[~mask]
    if rest.size >= hop * 5:
        n = rest.size // hop
        frame_rms = np.sqrt(np.mean(rest[: n * hop].reshape(n, hop) ** 2, axis=1))
        noise = float(np.percentile(frame_rms, 50))
    else:  # no pauses to measure: the quietest tenth of speech frames bounds the floor from above
        n = audio_16k.size // hop
        noise = float(np.percentile(np.sqrt(np.mean(audio_16k[: n * hop].reshape(n, hop) ** 2, axis=1)), 10))
    snr = _db(speech_rms) - _db(noise)
    if snr < MIN_SNR_DB:
        raise InputError(f"{name}: too noisy: speech is only {snr:.1f} dB above the noise floor "
                         f"({_db(noise):.1f} dB); at least {MIN_SNR_DB:.0f} dB needed")
    # Trim (with a little room), level to TARGET_RMS_DB of speech, keep the peak under -1 dBFS.
    lo = max(0, first - int(PAD_S * VAD_RATE))
    hi = min(audio_16k.size, last + int(PAD_S * VAD_RATE))
    start_s, end_s = lo / VAD_RATE, hi / VAD_RATE
    trimmed = mono[int(start_s * rate): int(np.ceil(end_s * rate))]
    gain = 10 ** (TARGET_RMS_DB / 20) / max(speech_rms, 1e-9)
    gain = min(gain, PEAK_CEILING / max(float(np.max(np.abs(trimmed))), 1e-9))
    stored = np.clip(resample(trimmed, rate, STORE_RATE) * gain, -1.0, 1.0).astype(np.float32)
    report = ClipReport(source=name, source_rate=rate, source_channels=int(frames.shape[1]), source_s=source_s,
                        speech_s=speech_s, voiced_s=voiced_s, clipped_fraction=clipped, peak_db=_db(peak),
                        speech_rms_db=_db(speech_rms), noise_floor_db=_db(noise), snr_db=snr, vad=vad)
    return PreparedClip(audio=stored, audio_16k=(audio_16k[lo:hi] * gain).astype(np.float32), report=report)
