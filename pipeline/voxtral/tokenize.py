"""Prompt construction. With tekken.json present, mistral-common builds the speech prompt
(`SpeechRequest` -> `encode_speech_request`); `prompt_from_text_ids` is the same layout from
already-tokenised text, for checking without a tokenizer file."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from pipeline.errors import PipelineError

BOS, AUDIO, BEGIN_AUDIO, REPEAT_AUDIO_TEXT, NEXT_AUDIO_TEXT = 1, 24, 25, 35, 36


def prompt_from_text_ids(text_ids: Sequence[int], n_voice: int) -> list[int]:
    """[BOS, BEGIN_AUDIO] + [AUDIO]*N + [NEXT_AUDIO_TEXT] + text + [REPEAT_AUDIO_TEXT, BEGIN_AUDIO]."""
    return [BOS, BEGIN_AUDIO] + [AUDIO] * n_voice + [NEXT_AUDIO_TEXT] + list(text_ids) + [REPEAT_AUDIO_TEXT,
                                                                                            BEGIN_AUDIO]


class PromptTokenizer(Protocol):
    def encode(self, text: str, voice: str) -> list[int]: ...


class TekkenPromptTokenizer:
    """mistral-common's tekken tokenizer and speech-request template."""

    def __init__(self, path: str | Path):
        try:
            from mistral_common.protocol.speech.request import SpeechRequest
            from mistral_common.tokens.tokenizers.mistral import MistralTokenizer
        except ImportError:
            raise PipelineError("the voxtral engine needs `mistral-common` "
                                "(pip install 'audiobook-pipeline[voxtral]')") from None
        self._request = SpeechRequest
        try:
            self._tok = MistralTokenizer.from_file(str(path))
        except Exception as exc:
            raise PipelineError(f"{path}: cannot load the tekken tokenizer ({exc})") from None
        audio = getattr(self._tok.instruct_tokenizer.tokenizer, "audio", None)
        self.voice_tokens: dict[str, int] = dict(getattr(audio, "voice_num_audio_tokens", None) or {})
        self._check_specials()

    def _check_specials(self) -> None:
        raw = self._tok.instruct_tokenizer.tokenizer
        for name, want in (("<s>", BOS), ("[AUDIO]", AUDIO), ("[BEGIN_AUDIO]", BEGIN_AUDIO),
                           ("[REPEAT_AUDIO_TEXT]", REPEAT_AUDIO_TEXT), ("[NEXT_AUDIO_TEXT]", NEXT_AUDIO_TEXT)):
            got = raw.get_special_token(name)
            if got != want:
                raise PipelineError(f"tekken.json: special token {name} has id {got}, expected {want}")

    def encode(self, text: str, voice: str) -> list[int]:
        if not text.strip():
            raise PipelineError("cannot synthesise empty text")
        if self.voice_tokens and voice not in self.voice_tokens:
            raise PipelineError(f"unknown Voxtral voice {voice!r}; tekken.json knows: "
                                f"{', '.join(sorted(self.voice_tokens))}")
        try:
            return list(self._tok.encode_speech_request(self._request(input=text, voice=voice)).tokens)
        except Exception as exc:
            raise PipelineError(f"cannot tokenise text for voice {voice!r}: {exc}") from None
