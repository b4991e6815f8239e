"""Read-along phrases: written sentences grouped until their spoken edges are caption-cue edges."""

from __future__ import annotations

import pytest

from pipeline.chunks.normalize import normalizer_for
from pipeline.chunks.normalize.punctuation import collapse_whitespace
from pipeline.mastering.render import ChunkTiming
from pipeline.packaging.captions import chunk_cues
from pipeline.packaging.readalong import _collapse_with_map, _Heard, _phrases
from pipeline.plan import PlannedChunk


def heard(*chunks: tuple[str, float, float]) -> list[_Heard]:
    out = []
    for n, (text, start, end) in enumerate(chunks):
        chunk = PlannedChunk(id=f"c{n}", key=f"k{n}", seed=0, text=text, role="text", paragraph=0,
                             ends_paragraph=n == len(chunks) - 1)
        out.append(_Heard(chunk=chunk, part=0, timing=ChunkTiming(chunk.id, start, end, text)))
    return out


def english(sentence: str) -> str:
    return collapse_whitespace(normalizer_for("en").text(sentence))


def test_each_written_sentence_is_timed_by_its_own_cue_and_shows_the_written_form():
    written = "It cost £3 in 1859. Mr. Smith paid."
    spoken = english(written)  # "It cost three pounds in eighteen fifty-nine. Mister Smith paid."
    assert spoken != written
    phrases = _phrases(written, heard((spoken, 1.0, 5.0)), "p0", "en", english)
    cues = chunk_cues(1.0, 5.0, spoken)
    assert [written[p.start:p.end] for p in phrases] == ["It cost £3 in 1859.", "Mr. Smith paid."]
    assert [(p.begin, p.end_s) for p in phrases] == [(c.start, c.end) for c in cues]
    assert [p.id for p in phrases] == ["p0s0", "p0s1"]


def test_a_sentence_split_across_chunks_is_one_phrase_spanning_them():
    first, second = "When the storm came in from the west, rolling over the rocks,", "the lamp held."
    written = f"{first} {second} Then all was still."
    chunks = heard((first, 0.75, 4.0), (second, 4.3, 5.5), ("Then all was still.", 6.0, 7.5))
    phrases = _phrases(written, chunks, "p3", "en", english)
    assert [(written[p.start:p.end], p.begin, p.end_s) for p in phrases] == [
        (f"{first} {second}", 0.75, 5.5), ("Then all was still.", 6.0, 7.5)]


def test_a_paragraph_whose_sentences_do_not_add_up_to_what_was_read_is_one_phrase():
    phrases = _phrases("Something else entirely.", heard(("Not what was written.", 2.0, 3.0)), "p1", "en", english)
    assert [(p.start, p.end, p.begin, p.end_s) for p in phrases] == [(0, 24, 2.0, 3.0)]


@pytest.mark.parametrize("text", ["a\nb  c", "x\u00a0y \u2009z", "one", "\n lead and trail "])
def test_collapsed_offsets_point_back_into_the_original(text):
    collapsed, mapping = _collapse_with_map(text)
    assert collapsed == collapse_whitespace(text) and len(mapping) == len(collapsed)
    for ch, at in zip(collapsed, mapping):
        assert text[at] == ch or (ch == " " and text[at].isspace() or text[at] in "\u00a0\u2009")
