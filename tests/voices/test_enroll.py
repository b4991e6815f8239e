"""Enrolment from a reference clip: a good clip is stored with its hash and embedding; every kind
of bad clip is refused with its reason and leaves nothing behind."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from pipeline.errors import InputError
from pipeline.voices import registry
from pipeline.voices.clip import resample
from tests.conftest import run_cli


def _stored(root):
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_real_speech_clip_is_enrolled(speech_wav, voices_dir):
    record = registry.enroll("narrator", speech_wav, transcript="The old lighthouse...", languages=["en"])
    folder = voices_dir / "narrator"
    assert _stored(voices_dir) == ["narrator"]
    assert sorted(p.name for p in folder.iterdir()) == ["embedding.npy", "reference.wav", "voice.json"]
    manifest = json.loads((folder / "voice.json").read_text())
    assert manifest["hash"] == record.hash and len(record.hash) == 16
    assert manifest["transcript"] == "The old lighthouse..." and manifest["languages"] == ["en"]
    audio, rate = sf.read(folder / "reference.wav")
    assert rate == 24000 and audio.ndim == 1
    assert 3.0 <= len(audio) / rate <= 10.0
    rep = record.clip_report
    assert rep["source_rate"] == 22050 and rep["vad"] in ("silero-vad", "energy")
    assert 6.0 < rep["speech_s"] < 10.0 and rep["clipped_fraction"] == 0 and rep["snr_db"] > 30
    vec = np.load(folder / "embedding.npy")
    assert vec.shape == (256,) and abs(np.linalg.norm(vec) - 1) < 1e-3
    assert registry.reference_embedding("narrator", record.hash) is not None
    assert registry.reference_embedding("narrator", "0" * 16) is None


def test_same_clip_same_hash_any_change_new_hash(speech, speech_wav, voices_dir, tmp_path):
    first = registry.enroll("one", speech_wav, transcript="hello")
    again = registry.enroll("two", speech_wav, transcript="hello")
    assert again.hash == first.hash and again.clip_sha256 == first.clip_sha256
    other_text = registry.enroll("three", speech_wav, transcript="hello there")
    other_lang = registry.enroll("four", speech_wav, transcript="hello", languages=["en", "fr"])
    rate, a, _ = speech
    edited = tmp_path / "edited.wav"
    sf.write(edited, np.concatenate([a, a[: rate // 2]]), rate)  # half a second more speech
    other_audio = registry.enroll("five", edited, transcript="hello")
    hashes = {first.hash, other_text.hash, other_lang.hash, other_audio.hash}
    assert len(hashes) == 4


def _bad_clips(speech, folder):
    rate, a, _ = speech
    noise = np.random.default_rng(0).normal(0, 0.2, rate * 6).astype(np.float32)
    cases = {
        "short.wav": (a[: int(rate * 1.5)], rate, "too short"),
        "long.wav": (np.concatenate([a] * 5), rate, "too long"),
        "silent.wav": (np.zeros(rate * 6, np.float32), rate, "silent"),
        "noise.wav": (noise, rate, "no speech found"),
        "clipped.wav": (np.clip(a * 12, -1, 1), rate, "clipped"),
        "phone.wav": (resample(a, rate, 8000), 8000, "8000 Hz is too low"),
    }
    out = []
    for name, (audio, sr, reason) in cases.items():
        sf.write(folder / name, audio, sr)
        out.append((folder / name, reason))
    corrupt = folder / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x10\x00WAVEfmt " + bytes(range(256)) * 8)  # header broken after 16 bytes
    truncated = folder / "truncated.wav"
    truncated.write_bytes((folder / "short.wav").read_bytes()[:44 + 400])  # header, then 0.01 s of samples
    text = folder / "notes.mp3"
    text.write_text("this is not audio at all\n" * 50)
    return out + [(corrupt, "not a readable audio file"), (text, "not a readable audio file"),
                  (truncated, "corrupt or truncated")]


def test_bad_clips_are_refused_with_a_reason_and_nothing_is_stored(speech, voices_dir, tmp_path):
    bad = _bad_clips(speech, tmp_path)
    for path, reason in bad:
        with pytest.raises(InputError) as caught:
            registry.enroll("narrator", path)
        message = str(caught.value)
        assert reason in message and path.name in message, (path.name, message)
        assert "\n" not in message
        assert _stored(voices_dir) == []  # no folder, no temp folder left behind


def test_cli_enroll_list_show_remove(speech_wav, voices_dir, tmp_path):
    env = {"AUDIOBOOK_VOICES_DIR": str(voices_dir)}
    bad = tmp_path / "phone.wav"
    data, rate = sf.read(speech_wav)
    sf.write(bad, resample(data.astype(np.float32), rate, 8000), 8000)
    refused = run_cli("voices", "enroll", "narrator", "--clip", str(bad), env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ") and "8000 Hz" in refused.stderr
    assert _stored(voices_dir) == []
    done = run_cli("voices", "enroll", "narrator", "--clip", str(speech_wav), "--transcript", "Hello.", env=env)
    assert done.returncode == 0, done.stderr
    assert "enrolled 'narrator'" in done.stdout
    listed = json.loads(run_cli("voices", "list", "--json", env=env).stdout)
    assert {(r["name"], r["kind"]) for r in listed} >= {("narrator", "enrolled"), ("joe", "built-in")}
    shown = json.loads(run_cli("voices", "show", "narrator", env=env).stdout)
    assert shown["hash"] == registry.load("narrator").hash and shown["transcript"] == "Hello."
    dup = run_cli("voices", "enroll", "narrator", "--clip", str(speech_wav), env=env)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    gone = run_cli("voices", "remove", "narrator", env=env)
    assert gone.returncode == 0 and _stored(voices_dir) == []
