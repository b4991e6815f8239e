"""Sentence segmentation: pysbd (en) and the regex fallback (pt), raw and after normalisation."""

import pytest

from pipeline.chunks.normalize import normalizer_for
from pipeline.chunks.sentences import split_sentences

CASES = [
    ("Mr. Smith met Dr. Jones. They talked.", ["Mister Smith met Doctor Jones.", "They talked."]),
    ("I met S. F. Ukridge today. He was late.", ["I met S. F. Ukridge today.", "He was late."]),
    ("P. G. Wodehouse wrote it. Good book.", ["P. G. Wodehouse wrote it.", "Good book."]),
    ('He said "Go away!" Then he left.', ['He said "Go away!"', "Then he left."]),
    ("\u201cAre you sure?\u201d he asked. \u201cYes.\u201d", ['"Are you sure?" he asked.', '"Yes."']),
    ("Really?! Yes. No.", ["Really?!", "Yes.", "No."]),
    ("Wait… what? No!", ["Wait… what?", "No!"]),
    ("It cost $12.50 at 3:30 p.m. Then we left.",
     ["It cost twelve dollars and fifty cents at three thirty PM.", "Then we left."]),
    ("He lived at No. 5 Baker St. in London. Fine.",
     ["He lived at number five Baker Street in London.", "Fine."]),
]


@pytest.mark.parametrize(("written", "expected"), CASES)
@pytest.mark.parametrize("language", ["en", "pt"])
def test_normalise_then_segment(written, expected, language):
    spoken = normalizer_for("en").text(written)
    sentences = split_sentences(spoken, language)
    assert sentences == expected
    assert " ".join(sentences) == spoken


@pytest.mark.parametrize(("written", "expected"), [
    ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
    ("I met S. F. Ukridge today. He was late.", ["I met S. F. Ukridge today.", "He was late."]),
    ("Well... I suppose so. Fine.", ["Well...", "I suppose so.", "Fine."]),
])
def test_segment_raw_text_with_pysbd(written, expected):
    assert split_sentences(written, "en") == expected


@pytest.mark.parametrize("text", [
    "It was 1905... Mrs. Ukridge sighed.",  # pysbd returns a stray ". " segment here
    "Hmm. . . . ! ? Yes.",
    "… Then he spoke. Again.",
    "One. Two. Three. Four! Five? Six…",
    "No end punctuation at all",
    "a. b. c. d.",
])
@pytest.mark.parametrize("language", ["en", "pt", "fr", "de", "ar", "hi", "xx"])
def test_no_text_lost_or_duplicated(text, language):
    sentences = split_sentences(text, language)
    assert " ".join(sentences) == text
    assert all(s and s == s.strip() for s in sentences)


def test_empty_text_has_no_sentences():
    assert split_sentences("", "en") == [] and split_sentences("   ", "en") == []


def test_other_languages():
    assert split_sentences("Il est parti. Elle est restée.", "fr") == ["Il est parti.", "Elle est restée."]
    assert split_sentences("O Sr. Silva chegou. Ela saiu.", "pt") == ["O Sr. Silva chegou.", "Ela saiu."]
