"""Basic (number-only) normalisers for the other target languages."""

import pytest

from pipeline.chunks.normalize import BasicNormalizer, Normalizer, TARGET_LANGUAGES, normalizer_for


@pytest.mark.parametrize("language", TARGET_LANGUAGES)
def test_every_target_language_has_a_normalizer(language):
    normalizer = normalizer_for(f"{language}-XX")
    assert isinstance(normalizer, Normalizer)
    assert normalizer.language == language
    assert normalizer.text("  a  b ") == "a b"


@pytest.mark.parametrize(("language", "written", "spoken"), [
    ("fr", "Il a 42 ans.", "Il a quarante-deux ans."),
    ("fr", "3,5 kilos", "trois virgule cinq kilos"),
    ("fr", "1 234 euros", "mille deux cent trente-quatre euros"),
    ("de", "1.234 und 3,5", "eintausendzweihundertvierunddreißig und drei Komma fünf"),
    ("es", "42", "cuarenta y dos"),
    ("it", "42", "quarantadue"),
    ("pt", "42", "quarenta e dois"),
    ("nl", "42", "tweeënveertig"),
    ("ar", "42", "اثنان و أربعون"),
])
def test_numbers_are_spelled_in_the_language(language, written, spoken):
    assert normalizer_for(language).text(written) == spoken


def test_hindi_leaves_digits_to_the_engine_until_num2words_supports_it():
    # num2words 0.5.14 has no Hindi converter; digits pass through rather than crash.
    assert normalizer_for("hi").text("४२ 42") == "४२ 42"


def test_unknown_language_gets_basic_normalizer():
    assert isinstance(normalizer_for("xx"), BasicNormalizer)
    assert normalizer_for("xx").text("42") == "42"
