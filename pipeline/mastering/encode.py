"""ffmpeg (from imageio-ffmpeg, so pip alone brings it) as an encoder fed with raw PCM on stdin."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from pipeline.errors import DiskFull, PipelineError
from pipeline.stopping import checkpoint


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise PipelineError(f"ffmpeg is not available: {exc}") from None


# Every ffmpeg child starts through these two, in a process group of its own. A terminal's Ctrl-C
# goes to the whole foreground group: ffmpeg would die of it at once, and its exit could reach a
# mastering thread as an "ffmpeg failed" before the main thread has seen the signal. Out of the
# group, ffmpeg only ever ends when we end it: the cooperative stop (`pipeline.stopping`) kills it
# at a safe point.

def call_ffmpeg(args: list[str], **options) -> subprocess.CompletedProcess:
    """`subprocess.run` of ffmpeg with `args` (no banner, no keyboard input)."""
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], process_group=0, **options)


def start_ffmpeg(args: list[str], **options) -> subprocess.Popen:
    """`subprocess.Popen` of ffmpeg with `args` (no banner, no keyboard input)."""
    return subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], process_group=0, **options)


def run_ffmpeg(args: list[str], what: str) -> str:
    """Run ffmpeg to completion; returns stderr. Failure is a one-line PipelineError."""
    try:
        done = call_ffmpeg(args, capture_output=True, text=True)
    except OSError as exc:
        raise PipelineError(f"cannot run ffmpeg for {what}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise ffmpeg_failure(what, done.stderr, Path(args[-1]))
    return done.stderr


def ffmpeg_failure(what: str, stderr: str, output: Path) -> PipelineError:
    """ffmpeg's exit, as one line: a full disk said as such (ffmpeg's last line is only
    "Conversion failed!"), anything else with ffmpeg's own last line."""
    if "No space left on device" in stderr:
        return DiskFull(output)
    return PipelineError(f"ffmpeg failed while {what}: {_last_line(stderr)}")


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _widen_pipe(stream) -> None:
    """Let the mastering DSP run ahead of the encoder: with the default 64 KiB pipe every write
    waits for ffmpeg; 1 MiB (~6 s of audio) lets the two work at the same time."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ImportError, ValueError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default pipe still works


class PcmEncoder:
    """Streams float32 mono PCM into one ffmpeg process that writes an MP3 and an ADTS AAC file.

    One decode of the input feeds both encoders; the AAC pieces of all tracks are later joined
    into the M4B without re-encoding.
    """

    def __init__(self, rate: int, mp3: Path, aac: Path, mp3_bitrate: str, aac_bitrate: str, label: str | None = None):
        self._stderr = tempfile.TemporaryFile()
        args = ["-y", "-f", "f32le", "-ar", str(rate), "-ac", "1",
                "-i", "pipe:0", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                "-c:a", "libmp3lame", "-b:a", mp3_bitrate, "-abr", "0",
                # LAME's -q 5 instead of its default 3: ~1.5x faster, and at 192 kb/s for one
                # channel of speech the bit budget, not the search, decides what is kept.
                "-compression_level", "5", "-id3v2_version", "0",
                "-write_xing", "1", "-f", "mp3", str(mp3),
                # ffmpeg 9 defaults to the "twoloop" coder, 3x slower than "fast"; its authors made
                # "fast" the default for years because twoloop sounds worse above low bitrates, and
                # 64 kb/s for one channel is not low.
                "-c:a", "aac", "-aac_coder", "fast", "-b:a", aac_bitrate, "-f", "adts", str(aac)]
        try:
            self._proc = start_ffmpeg(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr)
        except OSError as exc:
            raise PipelineError(f"cannot run ffmpeg to encode {mp3.name}: {exc.strerror or exc}") from None
        _widen_pipe(self._proc.stdin)
        self.name = label or mp3.name
        self.output = mp3

    def write(self, audio: np.ndarray) -> None:
        try:
            self._proc.stdin.write(np.ascontiguousarray(audio, dtype=np.float32).tobytes())  # type: ignore[union-attr]
        except BrokenPipeError:
            self._fail()

    def close(self) -> None:
        try:
            self._proc.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        if self._proc.wait() != 0:
            self._fail()
        self._stderr.close()

    def abort(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._stderr.close()

    def _fail(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace")
        self._stderr.close()
        checkpoint()
        raise ffmpeg_failure(f"encoding {self.name}", stderr, self.output)
