"""`audiobook words`: list the words to check, or render one word's first sentence as a sample."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from pipeline.errors import PipelineError
from pipeline.lexicon.usage import book_pronouncer_for, phonemes_for
from pipeline.lexicon.words import WordToCheck, find_word, first_sentence, words_to_check


def list_words(manuscript: Path, lexicons: list[Path], engine: str, voice: str | None, output_root: Path,
               limit: int) -> list[WordToCheck]:
    from pipeline.manuscript import read_manuscript

    book = read_manuscript(manuscript)
    pronouncer = book_pronouncer_for(book, manuscript, output_root, engine, voice, lexicons)
    return words_to_check(book, pronouncer, limit, phonemes_for(engine))


def words_table(found: list[WordToCheck]) -> Table:
    table = Table("word", "count", "kind", "first heard (chapter: sentence)", "said as")
    for w in found:
        kind = ", ".join(k for k, on in (("name", w.name), ("not in dictionary", not w.in_dictionary)) if on)
        lexicon = f"  (lexicon: {w.lexicon.get('ipa') or w.lexicon.get('alias')})" if w.lexicon else ""
        table.add_row(w.word, str(w.count), kind, f"{w.first.chapter_title or w.first.chapter}: {w.first.sentence[:70]}",
                      (w.phonemes or "") + lexicon)
    return table


@dataclass
class Sample:
    path: Path
    sentence: str  # as written (spoken form)
    phonemes: str | None  # what the engine was given, as phonemes, where it shows them


def render_sample(manuscript: Path, word: str, lexicons: list[Path], engine_name: str, voice_name: str | None,
                  output_root: Path, out: Path | None = None) -> Sample:
    """Synthesise the chunk that first says `word`, with the current lexicon, into a WAV file."""
    import soundfile as sf

    from pipeline.lexicon.usage import book_pronouncer, engine_phonemes
    from pipeline.manuscript import read_manuscript
    from pipeline.plan import chunk_seed, slugify
    from pipeline.produce import load_engine, pick_voice
    from pipeline.speech.engine import SynthesisSettings

    book = read_manuscript(manuscript)
    found = find_word(book, word)
    if found is None:
        raise PipelineError(f"{word!r} does not occur in {manuscript.name} (as a whole word, case-sensitive)")
    engine = load_engine(engine_name)
    voice = pick_voice(engine, voice_name)
    pronouncer = book_pronouncer(manuscript, output_root / slugify(book.title), voice.name, engine_phonemes(engine),
                                 lexicons)
    sentence = first_sentence(found[2], word, book.language, engine.max_chunk_chars)
    said = pronouncer.apply(sentence).text
    [clip] = engine.synthesize([said], voice, SynthesisSettings(), [chunk_seed("0" * 8, 0)])
    target = out or Path(f"{slugify(word)}-sample.wav")
    try:
        sf.write(target, clip, engine.sample_rate, subtype="PCM_16")
    except (OSError, RuntimeError) as exc:
        raise PipelineError(f"cannot write {target}: {exc}") from None
    phonemes = engine_phonemes(engine)
    return Sample(target, sentence, phonemes.text_phonemes(said) if phonemes is not None else None)
