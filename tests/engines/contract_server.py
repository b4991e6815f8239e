"""A local stand-in for the speech services, implementing the documented request/response contract
(see the module docs of pipeline/speech/engines/mistral.py and vllm_omni.py):

- POST /v1/audio/speech: JSON {model, input, voice_id | voice, response_format}. Mistral style
  (a `voice_id`) answers JSON {"audio_data": base64}; vLLM-Omni style (a `voice`) answers the
  audio bytes (audio/wav, or audio/pcm = 16-bit LE mono 24 kHz).
- POST /v1/audio/voices: JSON {name, sample_audio (base64), sample_filename, languages} answers a
  VoiceResponse {id, name, languages, created_at, user_id}.
- 401 without the right bearer key (when one is set); scripted failures (429 + Retry-After, 503).

It records every request and the most requests it ever had in flight at once.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import soundfile as sf


def sine_wav(seconds: float = 0.5, rate: int = 24000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class ContractServer:
    def __init__(self, audio_wav: bytes | None = None, key: str | None = "test-key", delay_s: float = 0.0):
        self.audio_wav = audio_wav or sine_wav()
        self.key = key
        self.delay_s = delay_s
        self.failures: list[tuple[int, dict]] = []  # (status, headers) for the next speech requests
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.voices: dict[str, dict] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, obj, headers: dict | None = None) -> None:
                self._send(status, json.dumps(obj).encode(), "application/json", headers)

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.requests.append({"path": self.path, "body": body,
                                            "authorization": self.headers.get("Authorization")})
                try:
                    self._handle(body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _handle(self, body: dict) -> None:
                if server.key and self.headers.get("Authorization") != f"Bearer {server.key}":
                    return self._json(401, {"detail": "Unauthorized: invalid API key"})
                if self.path == "/v1/audio/voices":
                    if not body.get("name") or not body.get("sample_audio"):
                        return self._json(422, {"detail": [{"msg": "name and sample_audio are required"}]})
                    base64.b64decode(body["sample_audio"], validate=True)
                    voice = {"id": str(uuid.uuid4()), "name": body["name"], "languages": body.get("languages", []),
                             "created_at": "2026-01-01", "user_id": "u1"}
                    server.voices[voice["id"]] = {**voice, "sample_audio": body["sample_audio"]}
                    return self._json(200, voice)
                if self.path != "/v1/audio/speech":
                    return self._json(404, {"detail": "Not Found"})
                with server._lock:
                    failure = server.failures.pop(0) if server.failures else None
                if failure:
                    return self._json(failure[0], {"message": "try again later"}, failure[1])
                if not body.get("input") or not body.get("model"):
                    return self._json(422, {"detail": [{"msg": "input and model are required"}]})
                time.sleep(server.delay_s)
                fmt = body.get("response_format", "wav")
                if fmt == "pcm":
                    audio, _ = sf.read(io.BytesIO(server.audio_wav), dtype="int16")
                    data, ctype = audio.astype("<i2").tobytes(), "audio/pcm"
                else:
                    data, ctype = server.audio_wav, "audio/wav"
                if "voice_id" in body:  # Mistral: SpeechResponse JSON
                    return self._json(200, {"audio_data": base64.b64encode(data).decode()})
                return self._send(200, data, ctype)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ContractServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def speech_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v1/audio/speech"]
