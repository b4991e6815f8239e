"""A book's lexicon at production time: building the pronouncer for its engine, counting what a
lexicon change touched, and the report's account of what was applied."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pipeline.lexicon.pronounce import PhonemeInput, Pronouncer
from pipeline.lexicon.sources import load_lexicons, voice_folder
from pipeline.plan import Plan


def engine_phonemes(engine: object) -> PhonemeInput | None:
    """The engine's phoneme input, if it takes phonemes (Piper does; see `PhonemeInput`)."""
    return getattr(engine, "phonemes", None)


def phonemes_for(engine_name: str) -> PhonemeInput | None:
    """The same, by engine name, without loading the engine's model."""
    if engine_name == "piper":
        from pipeline.speech.engines.piper_phonemes import embedded_voice_phonemes

        return embedded_voice_phonemes()
    return None


def book_pronouncer(manuscript: Path, book_folder: Path | None, voice_name: str | None,
                    phonemes: PhonemeInput | None, explicit: list[Path] | tuple[Path, ...] = (),
                    ipa_fallback: str = "alias") -> Pronouncer:
    """Every lexicon that applies to the book (see `pipeline.lexicon.sources`), for one engine."""
    lexicons = load_lexicons(manuscript, book_folder, voice_folder(voice_name), explicit)
    return Pronouncer(lexicons, phonemes, ipa_fallback)


def count_changes(previous_plan: Path, plan: Plan) -> None:
    """Set `plan.lexicon.changed_chunks`: chunks (by id) present in the previous plan that the
    engine is now told to say differently. No previous plan: left unset (a first render)."""
    if plan.lexicon is None or not previous_plan.is_file():
        return
    try:
        before = {c.id: c.engine_text for c in Plan.load(previous_plan).chunks}
    except (OSError, ValueError):
        return
    plan.lexicon.changed_chunks = len({c.id for c in plan.chunks if c.id in before and before[c.id] != c.engine_text})


def lexicon_report(plan: Plan) -> dict | None:
    """report.json's `lexicon`: files, entries, and each applied entry with how often it was applied."""
    if plan.lexicon is None:
        return None
    times: Counter[tuple[tuple[str, str], ...]] = Counter()
    for chunk in plan.chunks:
        times.update(tuple(sorted(p.items())) for p in chunk.pronunciations)
    applied = [{**dict(k), "times": n} for k, n in times.most_common()]
    return {**plan.lexicon.model_dump(), "applied": applied}


def lexicon_markdown(section: dict) -> str:
    files = ", ".join(f"`{f}`" for f in section["files"]) or "none"
    lines = [f"Lexicon files (lowest precedence first): {files}; {section['entries']} entries, "
             f"{len(section['applied'])} applied."]
    if section.get("changed_chunks") is not None:
        lines.append(f"Chunks said differently since the previous run because of the lexicon: {section['changed_chunks']}.")
    if section.get("skipped"):
        lines.append(f"Not applied (IPA only, and the engine takes no phonemes): {', '.join(section['skipped'])}.")
    if section["applied"]:
        lines += ["", "| grapheme | said as | times |", "|---|---|---:|"]
        lines += [f"| {a['grapheme']} | {'/' + a['ipa'] + '/' if 'ipa' in a else a['alias']} | {a['times']} |"
                  for a in section["applied"]]
    return "\n".join(lines)


def book_pronouncer_for(book, manuscript: Path, output_root: Path, engine_name: str,  # noqa: ANN001 - Book
                        voice_name: str | None, explicit: list[Path] | tuple[Path, ...] = ()) -> Pronouncer:
    """`book_pronouncer` for commands that do not load the engine (inspect, words)."""
    from pipeline.plan import slugify

    return book_pronouncer(manuscript, Path(output_root) / slugify(book.title), voice_name,
                           phonemes_for(engine_name), explicit)
