"""The mistral and vllm-omni engines against a local server speaking the documented contract."""

from __future__ import annotations

import base64
import socket
import time

import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.speech.engine import SynthesisSettings
from pipeline.speech.engines import get_engine
from tests.engines.contract_server import ContractServer, sine_wav

KEY = "test-key"
S = SynthesisSettings()


def mistral(server, **kw):
    return get_engine("mistral", api_key=kw.pop("api_key", KEY), base_url=server.url,
                      **{"backoff_s": 0.01, **kw})


def vllm(server_or_url, **kw):
    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    return get_engine("vllm-omni", base_url=url, **{"backoff_s": 0.01, **kw})


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_mistral_speech_success():
    with ContractServer(sine_wav(0.5, 22050), key=KEY) as server:
        engine = mistral(server, concurrency=3)
        voice = engine.voice("en_paul_neutral")
        clips = engine.synthesize(["One.", "Two.", "Three."], voice, S, [1, 2, 3])
        engine.close()
    assert len(clips) == 3
    for clip in clips:
        assert clip.dtype == np.float32 and abs(len(clip) - 12000) < 50  # 0.5 s at 22.05 kHz -> 24 kHz
        assert 0.2 < np.abs(clip).max() <= 1.0
    bodies = [r["body"] for r in server.speech_requests()]
    assert sorted(b["input"] for b in bodies) == ["One.", "Three.", "Two."]
    assert all(b["voice_id"] == "en_paul_neutral" and b["model"] == engine.model and b["response_format"] == "wav"
               and b["stream"] is False for b in bodies)
    assert all(r["authorization"] == f"Bearer {KEY}" for r in server.requests)


def test_mistral_voice_upload_returns_id():
    with ContractServer(key=KEY) as server:
        engine = mistral(server)
        import tempfile
        from pathlib import Path

        clip = Path(tempfile.mkdtemp()) / "reference.wav"
        clip.write_bytes(sine_wav(1.0))
        voice_id = engine.register_voice("narrator", clip, ["en"], "Hello.")
        engine.close()
    assert voice_id in server.voices
    sent = server.requests[0]["body"]
    assert sent["name"] == "narrator" and sent["languages"] == ["en"] and sent["sample_filename"] == "reference.wav"
    assert base64.b64decode(sent["sample_audio"]) == clip.read_bytes()


@pytest.mark.parametrize("which", ["mistral", "vllm-omni"])
def test_many_requests_in_flight_but_never_more_than_the_limit(which):
    limit = 6
    with ContractServer(key=KEY if which == "mistral" else None, delay_s=0.5) as server:
        engine = mistral(server, concurrency=limit) if which == "mistral" else vllm(server, concurrency=limit)
        began = time.perf_counter()
        texts = [f"Sentence {i}." for i in range(2 * limit)]
        clips = engine.synthesize(texts, engine.default_voice(), S, list(range(len(texts))))
        wall = time.perf_counter() - began
        engine.close()
    assert len(clips) == len(texts) and engine.batch_size >= limit
    assert server.max_in_flight == limit  # >= limit at once: the server can batch; never more
    assert wall < 2 * limit * 0.5 / 2  # far faster than one at a time


def test_mistral_retries_429_and_5xx_honouring_retry_after():
    with ContractServer(key=KEY) as server:
        server.failures = [(429, {"Retry-After": "0.3"}), (503, {})]
        engine = mistral(server, concurrency=1)
        began = time.perf_counter()
        clips = engine.synthesize(["Once."], engine.default_voice(), S, [0])
        waited = time.perf_counter() - began
        engine.close()
    assert len(clips) == 1 and len(server.speech_requests()) == 3
    assert waited >= 0.3


def test_mistral_gives_up_after_max_retries():
    with ContractServer(key=KEY) as server:
        server.failures = [(503, {})] * 5
        engine = mistral(server, concurrency=1, max_retries=2)
        with pytest.raises(PipelineError, match=r"HTTP 503 .*after 3 attempts"):
            engine.synthesize(["Once."], engine.default_voice(), S, [0])
        engine.close()


def test_mistral_401_is_a_clear_error_without_the_key():
    secret = "sk-wrong-0123456789"
    with ContractServer(key=KEY) as server:
        engine = mistral(server, api_key=secret)
        with pytest.raises(PipelineError) as caught:
            engine.synthesize(["Once."], engine.default_voice(), S, [0])
        engine.close()
    message = str(caught.value)
    assert "401" in message and "MISTRAL_API_KEY" in message and secret not in message
    assert len(server.speech_requests()) == 1  # not retried


def test_mistral_needs_a_key(monkeypatch):
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    with pytest.raises(PipelineError, match="MISTRAL_API_KEY"):
        get_engine("mistral")


@pytest.mark.parametrize("which", ["mistral", "vllm-omni"])
def test_server_down_is_retried_then_names_the_url(which):
    url = dead_url()
    engine = (get_engine("mistral", api_key=KEY, base_url=url, backoff_s=0.01, max_retries=2) if which == "mistral"
              else vllm(url, max_retries=2))
    with pytest.raises(PipelineError) as caught:
        engine.synthesize(["Once."], engine.default_voice(), S, [0])
    engine.close()
    assert url in str(caught.value) and "after 3 attempts" in str(caught.value)


@pytest.mark.parametrize("fmt", ["wav", "pcm"])
def test_vllm_omni_speech_success(fmt):
    with ContractServer(key=None) as server:
        engine = vllm(server, response_format=fmt, concurrency=2)
        voice = engine.voice("casual_male")
        clips = engine.synthesize(["Hello there.", "Goodbye."], voice, S, [0, 1])
        engine.close()
    assert [abs(len(c) - 12000) < 5 for c in clips] == [True, True]
    body = server.speech_requests()[0]["body"]
    assert body["voice"] == "casual_male" and body["model"] == "mistralai/Voxtral-4B-TTS-2603"
    assert body["response_format"] == fmt and "voice_id" not in body
    assert engine.sample_rate == 24000 and voice.hash != engine.voice("neutral_female").hash
