"""Where lexicons are found, and which wins: voice < manuscript < output folder < --lexicon."""

import pytest

from pipeline.errors import PipelineError
from pipeline.lexicon.sources import find_lexicons
from pipeline.lexicon.usage import book_pronouncer


def _lexicon(path, alias):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'Hermione = {{ alias = "{alias}" }}\nPepys = {{ alias = "{alias}-pepys" }}\n', encoding="utf-8")
    return path


def test_precedence_of_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOBOOK_VOICES_DIR", str(tmp_path / "voices"))
    manuscript = tmp_path / "books" / "story.md"
    manuscript.parent.mkdir()
    manuscript.write_text("# Story\n\nHermione.\n", encoding="utf-8")
    book_folder = tmp_path / "output" / "story"
    voice = _lexicon(tmp_path / "voices" / "narrator" / "lexicon.toml", "voice")
    beside_pls = tmp_path / "books" / "story.pls"
    beside_pls.write_text('<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa">'
                          "<lexeme><grapheme>Hermione</grapheme><alias>pls</alias></lexeme></lexicon>", encoding="utf-8")
    beside = _lexicon(tmp_path / "books" / "story.lexicon.toml", "manuscript")
    output = _lexicon(book_folder / "lexicon.toml", "output")
    first, second = _lexicon(tmp_path / "a.toml", "first"), _lexicon(tmp_path / "b.toml", "second")

    def hermione(explicit=()):
        return book_pronouncer(manuscript, book_folder, "narrator", None, explicit).apply("Hermione").text

    assert find_lexicons(manuscript, book_folder, voice.parent, [first, second]) == \
        [voice, beside_pls, beside, output, first, second]
    assert hermione([first, second]) == "second"
    assert hermione([second, first]) == "first"
    assert hermione() == "output"
    output.unlink()
    assert hermione() == "manuscript"  # .lexicon.toml over .pls beside the manuscript
    beside.unlink()
    assert hermione() == "pls"
    beside_pls.unlink()
    assert hermione() == "voice"
    assert book_pronouncer(manuscript, book_folder, "other", None).apply("Hermione").text == "Hermione"


def test_missing_explicit_lexicon_is_an_error(tmp_path):
    with pytest.raises(PipelineError, match="nope.pls does not exist"):
        find_lexicons(tmp_path / "book.md", explicit=[tmp_path / "nope.pls"])
