"""Stable chunk ids: a content hash, identical across runs, processes and machines.

The id covers what decides the audio's words: language, role and spoken text. The same sentence
in two places shares an id (and so its cached audio). The synthesis cache key is this id plus the
engine, model revision, voice hash and synthesis settings, added by `pipeline.speech`.
"""

from __future__ import annotations

import hashlib

from pipeline.chunks.model import ChunkRole


def chunk_id(language: str, role: ChunkRole, text: str) -> str:
    """First 16 hex digits of sha256 over the fields, separated by a unit separator (\\x1f)."""
    key = "\x1f".join((language.strip().replace("_", "-").lower(), role.value, text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
