"""The whole production path with the Voxtral engine on a tiny random checkpoint: chunks -> batches
-> codes -> audio -> mastering -> M4B. The audio is noise (random weights); the plumbing is real."""

import json

from mutagen.mp4 import MP4

from pipeline.produce import ProduceOptions, produce
from tests.conftest import write_book


def test_produce_with_voxtral_tiny_checkpoint(tmp_path, tiny_dir):
    book = write_book(tmp_path, chapters={"Chapter 1: Noise": ["A short line.", "Another one, quite short."]})
    options = ProduceOptions(manuscript=book, output_root=tmp_path / "out", engine="voxtral",
                             engine_options={"model_dir": str(tiny_dir), "batch_size": 4})
    result = produce(options)
    root = result.root
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["engine"] == "voxtral" and manifest["voice"]["engine"] == "voxtral"
    assert manifest["model_revision"] and manifest["voice"]["hash"]
    chapters = [c.title for c in MP4(str(root / f"{root.name}.m4b")).chapters]
    assert chapters == ["Opening Credits", "Chapter 1: Noise", "Closing Credits"]
    assert result.synthesis.synthesized == result.synthesis.total > 0
    # Every chunk became audio of whole 80 ms codec frames (1920 samples at 24 kHz), before trimming.
    assert result.synthesis.audio_s > 0
    assert len(list((root / "mp3").glob("*.mp3"))) == 3
