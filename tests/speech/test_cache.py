import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.speech.cache import ChunkCache, cache_key, trim_silence

RATE = 22050


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_round_trip_and_index_survives_reopen(tmp_path):
    cache = ChunkCache(tmp_path)
    audio = tone(0.5)
    entry = cache.put("k1", audio, RATE)
    assert cache.has("k1") and entry.frames == len(audio)
    reopened = ChunkCache(tmp_path)
    back = reopened.read("k1")
    assert np.allclose(back, audio, atol=1 / 32767)
    assert reopened.entries["k1"].energy == pytest.approx(float(np.dot(back, back)), rel=1e-4)
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporaries


def test_silence_at_the_edges_is_trimmed(tmp_path):
    padded = np.concatenate([np.zeros(RATE), tone(0.5), np.zeros(RATE)]).astype(np.float32)
    trimmed = trim_silence(padded, RATE)
    assert 0.5 * RATE <= len(trimmed) <= 0.5 * RATE + 0.05 * RATE


def test_corrupt_chunk_is_detected_and_dropped(tmp_path):
    cache = ChunkCache(tmp_path)
    cache.put("bad", tone(0.5), RATE)
    path = cache.path("bad")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PipelineError, match="corrupt"):
        ChunkCache(tmp_path).read("bad")
    fresh = ChunkCache(tmp_path)
    assert fresh.has("bad")  # cheap check passes...
    assert not fresh.verify("bad")  # ...the checksum does not, and the entry is dropped
    assert not fresh.has("bad")


def test_torn_index_line_from_a_crash_is_ignored(tmp_path):
    cache = ChunkCache(tmp_path)
    cache.put("good", tone(0.2), RATE)
    with open(cache.index_path, "a") as index:
        index.write('{"key": "half-writ')
    assert set(ChunkCache(tmp_path).entries) == {"good"}


def test_cache_key_covers_everything_that_changes_audio():
    base = dict(chunk_id="c", engine="piper", revision="r1", voice_hash="v", settings="s", seed=1)
    keys = {cache_key(**base)}
    for field, value in [("chunk_id", "d"), ("engine", "x"), ("revision", "r2"), ("voice_hash", "w"),
                         ("settings", "t"), ("seed", 2)]:
        keys.add(cache_key(**{**base, field: value}))
    assert len(keys) == 7
    assert cache_key(**base) == cache_key(**base)


def test_unwritable_cache_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PipelineError, match="cannot create the chunk cache"):
        ChunkCache(blocker / "cache")


@pytest.mark.parametrize("audio", [np.zeros(0, dtype=np.float32), np.full(RATE, np.nan, dtype=np.float32)],
                         ids=["empty", "nan"])
def test_no_audio_is_never_cached(tmp_path, audio):
    cache = ChunkCache(tmp_path)
    with pytest.raises(PipelineError, match="no usable audio"):
        cache.put("nothing", audio, RATE)
    assert not cache.has("nothing") and not cache.path("nothing").exists()
    assert "nothing" not in ChunkCache(tmp_path).entries


def test_a_silent_take_is_cached_as_a_short_readable_silence(tmp_path):
    """QA judges a silent take (and retakes it): it must be cached and read back, not be a 0-byte file."""
    cache = ChunkCache(tmp_path)
    entry = cache.put("silent", np.zeros(RATE, dtype=np.float32), RATE)
    assert 0 < entry.frames <= RATE // 100 and cache.has("silent") and cache.verify("silent")
    assert not np.any(ChunkCache(tmp_path).read("silent"))
