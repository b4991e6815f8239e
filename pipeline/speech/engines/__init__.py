"""Engines by name. Each entry is imported lazily so that heavy optional stacks (torch) load only
when that engine is chosen."""

from __future__ import annotations

from importlib import import_module

from pipeline.errors import PipelineError
from pipeline.speech.engine import Engine

# name -> "module:factory"; the factory takes keyword options and returns an Engine.
ENGINES: dict[str, str] = {
    "piper": "pipeline.speech.engines.piper:PiperEngine",
    "voxtral": "pipeline.speech.engines.voxtral:VoxtralEngine",
    "mistral": "pipeline.speech.engines.mistral:MistralEngine",  # hosted API, needs MISTRAL_API_KEY
    "vllm-omni": "pipeline.speech.engines.vllm_omni:VllmOmniEngine",  # self-hosted `vllm serve ... --omni`
}

DEFAULT_ENGINE = "piper"


def get_engine(name: str = DEFAULT_ENGINE, **options: object) -> Engine:
    try:
        target = ENGINES[name]
    except KeyError:
        raise PipelineError(f"unknown engine {name!r}; choose one of: {', '.join(sorted(ENGINES))}") from None
    module, factory = target.split(":")
    return getattr(import_module(module), factory)(**options)
