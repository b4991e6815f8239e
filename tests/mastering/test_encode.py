"""The ffmpeg encoder: real MP3 + AAC from streamed PCM, and children out of our process group."""

import subprocess
import sys

import mutagen
import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.mastering.encode import PcmEncoder, run_ffmpeg
from tests.conftest import REPO


def _tone(seconds: float, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_streamed_pcm_becomes_an_mp3_and_an_aac_of_the_same_length(tmp_path):
    encoder = PcmEncoder(44100, tmp_path / "a.mp3", tmp_path / "a.aac", "192k", "64k")
    for _ in range(4):
        encoder.write(_tone(0.5))
    encoder.close()
    mp3 = mutagen.File(tmp_path / "a.mp3")
    assert abs(mp3.info.bitrate - 192000) < 1000 and abs(mp3.info.length - 2.0) < 0.1
    assert (tmp_path / "a.aac").stat().st_size > 4000


CTRL_C_MID_ENCODE = r"""
import os, signal, sys, time
from pathlib import Path
import numpy as np
from pipeline import stopping
from pipeline.mastering.encode import PcmEncoder
stopping.install()
folder = Path(sys.argv[1])
encoder = PcmEncoder(44100, folder / "a.mp3", folder / "a.aac", "192k", "64k")
tone = (0.1 * np.sin(np.arange(44100) / 44100 * 2 * np.pi * 220)).astype(np.float32)
encoder.write(tone)
os.killpg(0, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
time.sleep(0.5)
encoder.write(tone)
encoder.close()
print("stop requested:", stopping.stop_requested())
"""


def test_a_terminal_ctrl_c_reaches_us_but_not_ffmpeg(tmp_path):
    """ffmpeg runs in a group of its own: after a Ctrl-C to the foreground group it is still
    encoding, so that only our cooperative stop ends it (no race between its death and our stop)."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_MID_ENCODE, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, start_new_session=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stop requested: True" in done.stdout
    assert abs(mutagen.File(tmp_path / "a.mp3").info.length - 2.0) < 0.1


def test_ffmpeg_failure_is_one_line(tmp_path):
    with pytest.raises(PipelineError, match=r"^ffmpeg failed while reading nothing: .+") as failure:
        run_ffmpeg(["-i", str(tmp_path / "missing.wav"), str(tmp_path / "out.mp3")], "reading nothing")
    assert "\n" not in str(failure.value)
