"""The voice registry: one folder per narrator voice under `voices/` (or $AUDIOBOOK_VOICES_DIR).

    voices/<name>/voice.json     manifest: name, engine, per-engine references, clip, hash, report
    voices/<name>/reference.wav  the normalised reference clip (24 kHz mono, 16-bit)
    voices/<name>/embedding.npy  its speaker embedding (Resemblyzer, 256 floats, unit length)

`hash` identifies the voice exactly: a digest of the reference clip's bytes, its transcript and
languages (or, for a voice without a clip, of its engine reference). It is the Voice.hash that
goes into every chunk's cache key and into the book's pin. Per-engine references (a remote voice
id, a preset name) live in `refs` and are not part of the identity: uploading the same clip again
gives the same voice.

Built-in voices need no folder: the embedded Piper voice `joe`, and the Voxtral presets when the
weights are on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import replace
from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from pipeline.errors import InputError, PipelineError

MANIFEST = "voice.json"
CLIP = "reference.wav"
EMBEDDING = "embedding.npy"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
REPO = Path(__file__).resolve().parents[2]


class VoiceRecord(BaseModel):
    version: int = 1
    name: str
    engine: str | None = None  # the engine it was enrolled for; None: any engine that can clone
    refs: dict[str, str] = Field(default_factory=dict)  # engine -> engine-specific reference
    clip: str | None = None  # file name of the reference clip in the voice folder
    clip_sha256: str | None = None
    transcript: str | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"])
    hash: str
    embedding: str | None = None
    created: str = ""
    clip_report: dict = Field(default_factory=dict)

    def folder(self) -> Path:
        return voices_root() / self.name


def voices_root() -> Path:
    return Path(os.environ.get("AUDIOBOOK_VOICES_DIR") or REPO / "voices")


def content_hash(clip_sha256: str | None, transcript: str | None, languages: list[str],
                 refs: dict[str, str] | None = None) -> str:
    identity = {"clip_sha256": clip_sha256, "transcript": (transcript or "").strip(),
                "languages": sorted(languages)}
    if clip_sha256 is None:  # a named preset: the engine reference is the identity
        identity["refs"] = dict(sorted((refs or {}).items()))
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise InputError(f"bad voice name {name!r}: use lower-case letters, digits, '-' and '_' "
                         "(at most 64, starting with a letter or digit)")
    return name


# -- reading -------------------------------------------------------------------------------------

def load(name: str) -> VoiceRecord | None:
    """The registry voice of that name, or None when there is no such folder."""
    if not NAME_RE.match(name or ""):
        return None
    manifest = voices_root() / name / MANIFEST
    if not manifest.is_file():
        return None
    try:
        record = VoiceRecord.model_validate_json(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"{manifest}: unreadable voice manifest ({exc.__class__.__name__})") from None
    if record.name != name:
        raise PipelineError(f"{manifest}: names voice {record.name!r} but lives in folder {name!r}")
    return record


def list_records() -> list[VoiceRecord]:
    root = voices_root()
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and (folder / MANIFEST).is_file():
            record = load(folder.name)
            if record is not None:
                out.append(record)
    return out


def builtin_voices() -> list[dict]:
    """Voices that need no folder: the embedded Piper voice, and Voxtral's presets if the weights
    are present."""
    from pipeline.speech.engines.piper import VOICE_NAME

    out = [{"name": VOICE_NAME, "engine": "piper", "ref": "en_US-joe-medium", "kind": "built-in"}]
    try:
        from pipeline.voxtral import loading

        folder = loading.resolve_model_dir(None)
        out += [{"name": p, "engine": "voxtral", "ref": p, "kind": "preset"} for p in loading.list_voices(folder)]
    except Exception:  # no weights (or no torch): no presets to list
        pass
    return out


def reference_embedding(name: str, voice_hash: str) -> np.ndarray | None:
    """The enrolled clip's embedding of the registry voice (name, hash), if it has one."""
    try:
        record = load(name)
    except PipelineError:
        return None
    if record is None or record.hash != voice_hash or not record.embedding:
        return None
    path = record.folder() / record.embedding
    return np.load(path).astype(np.float32) if path.is_file() else None


# -- engines ---------------------------------------------------------------------------------------

def _engine_class(engine: str):
    from pipeline.speech.engines import ENGINES

    if engine not in ENGINES:
        raise PipelineError(f"unknown engine {engine!r}; choose one of: {', '.join(sorted(ENGINES))}")
    module, factory = ENGINES[engine].split(":")
    return getattr(import_module(module), factory)


def cloning_engines() -> list[str]:
    from pipeline.speech.engines import ENGINES

    names = []
    for name in sorted(ENGINES):
        try:
            if hasattr(_engine_class(name), "register_voice"):
                names.append(name)
        except Exception:
            continue
    return names


def resolve(engine, name: str):
    """The Voice for a registry voice on `engine` (None when `name` is not in the registry).

    The engine's own `voice(ref)` builds it from the engine-specific reference; name, hash and
    languages come from the registry. A clip voice is uploaded to a cloning engine the first time
    it is used there, and the returned reference is saved in voice.json.
    """
    record = load(name)
    if record is None:
        return None
    ref = record.refs.get(engine.name)
    if ref is None:
        if record.clip is None:
            raise PipelineError(f"voice {name!r} is defined for the {record.engine or '?'} engine only; "
                                f"produce with --engine {record.engine or '?'}")
        if not hasattr(engine, "register_voice"):
            raise PipelineError(f"voice {name!r} is a cloned voice (reference clip); the {engine.name} engine "
                                f"cannot clone voices — use --engine {' or '.join(cloning_engines()) or 'mistral'}")
        ref = engine.register_voice(record.name, record.folder() / record.clip, record.languages, record.transcript)
        record = record.model_copy(update={"refs": {**record.refs, engine.name: ref}})
        _write_manifest(record.folder(), record)
    voice = engine.voice(ref)
    return replace(voice, name=record.name, hash=record.hash,
                   languages=tuple(record.languages) or voice.languages)


# -- writing ---------------------------------------------------------------------------------------

def _write_manifest(folder: Path, record: VoiceRecord) -> None:
    from pipeline.speech.cache import write_atomic

    write_atomic(folder / MANIFEST, (record.model_dump_json(indent=1) + "\n").encode())


def enroll(name: str, clip: Path, engine: str | None = None, transcript: str | None = None,
           languages: list[str] | None = None) -> VoiceRecord:
    """Validate a reference clip and store a new voice. Nothing is stored unless every step
    succeeds: the folder is built under a temporary name and renamed into place at the end."""
    import soundfile as sf

    from pipeline.voices import embedding
    from pipeline.voices.clip import STORE_RATE, prepare_clip

    check_name(name)
    from pipeline.speech.engines.piper import VOICE_NAME

    if name == VOICE_NAME:
        raise InputError(f"{name!r} is the built-in Piper voice; choose another name")
    root = voices_root()
    if (root / name).exists():
        raise InputError(f"voice {name!r} already exists in {root}; remove it first "
                         f"(audiobook voices remove {name})")
    languages = [lang.strip().lower() for lang in (languages or ["en"]) if lang.strip()] or ["en"]
    if engine is not None and not hasattr(_engine_class(engine), "register_voice"):
        raise PipelineError(f"the {engine} engine cannot clone a voice from a clip; engines that can: "
                            f"{', '.join(cloning_engines()) or 'none'} (or enrol with no --engine)")
    prepared = prepare_clip(Path(clip))
    vector = embedding.embed(prepared.audio_16k)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        sf.write(tmp / CLIP, prepared.audio, STORE_RATE, subtype="PCM_16", format="WAV")
        clip_sha = hashlib.sha256((tmp / CLIP).read_bytes()).hexdigest()
        np.save(tmp / EMBEDDING, vector)
        record = VoiceRecord(name=name, engine=engine, clip=CLIP, clip_sha256=clip_sha,
                             transcript=(transcript or "").strip() or None, languages=languages,
                             hash=content_hash(clip_sha, transcript, languages), embedding=EMBEDDING,
                             created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             clip_report=prepared.report.as_dict())
        if engine is not None:  # register with the remote engine now (needs its credentials)
            from pipeline.speech.engines import get_engine

            ref = get_engine(engine).register_voice(name, tmp / CLIP, languages, record.transcript)
            record.refs[engine] = ref
        _write_manifest(tmp, record)
        if (root / name).exists():
            raise InputError(f"voice {name!r} was created meanwhile by another process")
        os.rename(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return record


def remove(name: str) -> VoiceRecord:
    record = load(check_name(name))
    if record is None:
        raise InputError(f"no voice {name!r} in {voices_root()}")
    trash = voices_root() / f".{name}.removed"
    shutil.rmtree(trash, ignore_errors=True)
    os.rename(record.folder(), trash)
    shutil.rmtree(trash, ignore_errors=True)
    return record
