"""`audiobook words`: names and unknown words, most frequent first; `--sample`; inspect's pronunciations."""

import json

import soundfile as sf

from pipeline.lexicon import Pronouncer
from pipeline.lexicon.usage import phonemes_for
from pipeline.lexicon.words import words_to_check
from pipeline.manuscript import read_manuscript
from tests.conftest import run_cli, write_book

CHAPTERS = {
    "Chapter 1: The Road": ["The carriage stopped. Natásha looked out at the snow, and Pierre laughed.",
                            "Pierre said the road was bad. Natásha agreed with Pierre."],
    "Chapter 2: Home": ["At home Dólokhov waited by the fire for Pierre.",
                        "Pierre's hat was wet, and the Rostóvs' dogs barked at Rostóv himself.",
                        "The fire was warm; the kettle sang."],
}


def test_names_and_unknown_words_ranked_with_place_and_phonemes(tmp_path):
    book = read_manuscript(write_book(tmp_path, "road.md", "The Road", CHAPTERS))
    found = words_to_check(book, Pronouncer([]), phonemes=phonemes_for("piper"))
    assert [(w.word, w.count) for w in found] == [("Pierre", 5), ("Natásha", 2), ("Rostóv", 2), ("Dólokhov", 1)]
    pierre, natasha = found[0], found[1]
    assert pierre.name and pierre.in_dictionary and not natasha.in_dictionary
    assert natasha.first.chapter == 0 and "The Road" in natasha.first.chapter_title
    assert natasha.first.sentence == "Natásha looked out at the snow, and Pierre laughed."
    assert pierre.phonemes and "ɹ" in pierre.phonemes and pierre.lexicon is None
    # "carriage", "snow", "fire" are ordinary dictionary words: not listed.


def test_cli_json_shows_the_lexicon_and_sample_renders_the_first_sentence(tmp_path):
    manuscript = write_book(tmp_path, "road.md", "The Road", CHAPTERS)
    lexicon = tmp_path / "fixes.pls"
    lexicon.write_text('<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" '
                       'alphabet="ipa" xml:lang="en"><lexeme><grapheme>Natásha</grapheme>'
                       "<phoneme>nɐˈtɑːʃə</phoneme></lexeme></lexicon>", encoding="utf-8")
    listed = run_cli("words", str(manuscript), "--json", "--lexicon", str(lexicon), "--output", str(tmp_path / "o"))
    assert listed.returncode == 0, listed.stderr
    natasha = next(w for w in json.loads(listed.stdout) if w["word"] == "Natásha")
    assert natasha["lexicon"] == {"grapheme": "Natásha", "ipa": "nɐˈtɑːʃə"} and natasha["phonemes"] == "nɐˈtɑːʃə"

    clip = tmp_path / "natasha.wav"
    sampled = run_cli("words", str(manuscript), "--sample", "Natásha", "--sample-out", str(clip),
                      "--lexicon", str(lexicon), "--output", str(tmp_path / "o"))
    assert sampled.returncode == 0, sampled.stderr
    audio, rate = sf.read(clip)
    assert rate == 22050 and 1.5 < len(audio) / rate < 8  # one sentence
    assert "nɐˈtɑːʃə" in sampled.stdout

    missing = run_cli("words", str(manuscript), "--sample", "Anna", "--output", str(tmp_path / "o"))
    assert missing.returncode == 1 and "'Anna' does not occur" in missing.stderr

    inspected = run_cli("inspect", str(manuscript), "--json", "--chunks", "--lexicon", str(lexicon),
                        "--output", str(tmp_path / "o"))
    chunks = [c for ch in json.loads(inspected.stdout)["chapters"] for c in ch["chunks"]]
    assert [c["pronunciations"] for c in chunks if "Natásha" in c["text"]] == \
        [[{"grapheme": "Natásha", "ipa": "nɐˈtɑːʃə"}]] * 2
    assert all(c["pronunciations"] == [] for c in chunks if "Natásha" not in c["text"])
