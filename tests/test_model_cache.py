"""The per-machine cache of derived models (`pipeline.model_cache.prepared`)."""

from __future__ import annotations

from pathlib import Path

from pipeline.model_cache import prepared


def test_a_failed_write_to_the_cache_falls_back_to_a_temporary_copy(tmp_path, monkeypatch):
    """onnxruntime reports a full disk as its own error, not OSError: the run must go on anyway."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDIOBOOK_CACHE_DIR", str(cache))
    made = []

    def save(path: Path) -> None:
        made.append(path)
        if path.parent == cache:
            raise RuntimeError("Protobuf serialization failed")  # like onnxruntime's InvalidProtobuf
        path.write_text("model")

    assert prepared("derived.onnx", save, lambda path: Path(path).read_text()) == "model"
    assert len(made) == 2 and made[1].parent != cache
    assert list(cache.iterdir()) == []  # no half-written file left in the cache


def test_a_stored_copy_is_loaded_and_a_damaged_one_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOBOOK_CACHE_DIR", str(tmp_path))
    saves = []

    def save(path: Path) -> None:
        saves.append(path)
        path.write_text("good")

    def load(path: str) -> str:
        text = Path(path).read_text()
        if text != "good":
            raise ValueError("damaged")
        return text

    assert prepared("m.onnx", save, load) == "good" and len(saves) == 1
    assert prepared("m.onnx", save, load) == "good" and len(saves) == 1  # loaded, not made
    (tmp_path / "m.onnx").write_text("garbage")
    assert prepared("m.onnx", save, load) == "good" and len(saves) == 2
