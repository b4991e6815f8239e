"""Captions: sentence cues whose edges are the assembled chunks' edges, text that is the spoken text."""

from __future__ import annotations

import json

import pytest

from pipeline.packaging.captions import chunk_cues, file_cues, parse_vtt, to_srt, to_vtt
from tests.conftest import write_book


def test_a_chunk_is_cut_into_sentences_with_exact_edges():
    text = "It was late. The fire was out! Nobody said a word."
    cues = chunk_cues(10.0, 16.0, text)
    assert [c.text for c in cues] == ["It was late.", "The fire was out!", "Nobody said a word."]
    assert cues[0].start == 10.0 and cues[-1].end == 16.0
    assert all(a.end == b.start for a, b in zip(cues, cues[1:]))
    assert " ".join(c.text for c in cues) == text


def test_vtt_and_srt_formats():
    cues = file_cues([{"start": 0.5, "end": 2.25, "text": "Hello there."},
                      {"start": 3661.0, "end": 3662.5, "text": "Mister Smith --> left."}])
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.250\nHello there.\n")
    assert "01:01:01.000 --> 01:01:02.500" in vtt and "-->" not in vtt.split("\n")[-2]
    srt = to_srt(cues)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,250\nHello there.\n\n2\n01:01:01,000 --> 01:01:02,500\n")


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    from pipeline.produce import ProduceOptions, produce

    folder = tmp_path_factory.mktemp("captions")
    return produce(ProduceOptions(manuscript=write_book(folder), output_root=folder / "out"))


def test_per_file_captions_match_the_chunk_timings_and_text(produced):
    manifest = json.loads((produced.root / "manifest.json").read_text())
    for f in manifest["files"]:
        stem = produced.root / "mp3" / f["file"][:-len(".mp3")]
        cues = parse_vtt(stem.with_name(stem.name + ".vtt").read_text())
        srt = stem.with_name(stem.name + ".srt").read_text()
        assert srt.count(" --> ") == len(cues)
        # Every chunk edge in the assembled file is a cue edge, within 10 ms.
        starts, ends = [c.start for c in cues], [c.end for c in cues]
        for chunk in f["chunks"]:
            assert min(abs(s - chunk["start"]) for s in starts) <= 0.01
            assert min(abs(e - chunk["end"]) for e in ends) <= 0.01
        assert cues[0].start == pytest.approx(f["chunks"][0]["start"], abs=0.01)
        assert cues[-1].end == pytest.approx(f["chunks"][-1]["end"], abs=0.01)
        assert all(c.end <= f["duration_s"] for c in cues)
        # The cue texts, joined, are the file's spoken text.
        assert " ".join(c.text for c in cues) == " ".join(c["text"] for c in f["chunks"])


def test_book_captions_are_offset_by_each_files_start_in_the_m4b(produced):
    manifest = json.loads((produced.root / "manifest.json").read_text())
    cues = parse_vtt((produced.root / f"{produced.root.name}.vtt").read_text())
    assert (produced.root / f"{produced.root.name}.srt").read_text().count(" --> ") == len(cues)
    expected = [(c["start"] + f["m4b_start_s"], c["end"] + f["m4b_start_s"]) for f in manifest["files"]
                for c in f["chunks"]]
    starts, ends = [c.start for c in cues], [c.end for c in cues]
    for start, end in expected:
        assert min(abs(s - start) for s in starts) <= 0.01 and min(abs(e - end) for e in ends) <= 0.01
    assert " ".join(c.text for c in cues) == " ".join(c["text"] for f in manifest["files"] for c in f["chunks"])
    assert starts == sorted(starts)
