"""Spoken-form normalisers, looked up by the primary subtag of a BCP-47 language tag."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pipeline.chunks.normalize.base import BasicNormalizer, Normalizer
from pipeline.chunks.normalize.english import EnglishNormalizer

# Regions writing dates day-first ("1/2/1999" is 1 February).
_DAY_FIRST_ENGLISH = {"gb", "uk", "ie", "au", "nz", "in", "za"}


def _english(tag: str) -> Normalizer:
    region = tag.split("-")[1] if "-" in tag else ""
    return EnglishNormalizer(day_first=region in _DAY_FIRST_ENGLISH)


# Full implementations; every other language gets the basic num2words number pass.
_FULL: dict[str, Callable[[str], Normalizer]] = {"en": _english}

TARGET_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl", "ar", "hi")


def primary_subtag(language: str) -> str:
    return language.strip().replace("_", "-").split("-")[0].lower()


@lru_cache(maxsize=64)
def normalizer_for(language: str) -> Normalizer:
    """The normaliser for a language tag ("en", "en-GB", "fr-CA"...); basic for unknown ones."""
    tag = language.strip().replace("_", "-").lower()
    primary = primary_subtag(tag)
    factory = _FULL.get(primary)
    return factory(tag) if factory else BasicNormalizer(primary)


__all__ = ["BasicNormalizer", "EnglishNormalizer", "Normalizer", "TARGET_LANGUAGES",
           "normalizer_for", "primary_subtag"]
