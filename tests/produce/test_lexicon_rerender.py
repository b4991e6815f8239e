"""Editing one lexicon entry re-synthesises exactly the chunks that say the word."""

import hashlib

from pipeline.plan import Plan
from pipeline.produce import ProduceOptions, produce
from pipeline.speech.cache import ChunkCache
from pipeline.workspace import BookPaths
from tests.conftest import write_book

CHAPTERS = {
    "Chapter 1: Arrival": ["Hermione came by the morning coach.", "The inn was cold and nearly empty.",
                           "Pepys wrote it all down that night."],
    "Chapter 2: Supper": ["Hermione's supper was late. The cook apologised twice.",
                          "Nobody else spoke at the table.", "Later the Hermiones of this world would laugh."],
}


def _audio_by_chunk(paths: BookPaths) -> dict[str, str]:
    plan, cache = Plan.load(paths.plan), ChunkCache(paths.cache)
    return {c.id: hashlib.sha256(cache.path(c.key).read_bytes()).hexdigest() for c in plan.chunks}


def test_editing_one_entry_rerenders_only_its_chunks(tmp_path):
    manuscript = write_book(tmp_path, "inn.md", "The Inn", CHAPTERS)
    lexicon = tmp_path / "inn.lexicon.toml"  # found beside the manuscript
    lexicon.write_text('Hermione = { alias = "her-MY-oh-nee" }\nPepys = { ipa = "piːps" }\n', encoding="utf-8")
    options = ProduceOptions(manuscript=manuscript, output_root=tmp_path / "out", formats=["mp3"], qa=False)
    first = produce(options)
    paths = BookPaths(options.output_root, "the-inn")
    before = _audio_by_chunk(paths)
    plan = Plan.load(paths.plan)
    with_word = {c.id for c in plan.chunks if "Hermione" in c.text}
    assert len(with_word) == 3 and len(before) > len(with_word) + 3
    applied = {(a["grapheme"], a.get("alias") or a.get("ipa")): a["times"] for a in first.report["lexicon"]["applied"]}
    assert applied == {("Hermione", "her-MY-oh-nee"): 3, ("Pepys", "piːps"): 1}
    assert "| Pepys | /piːps/ | 1 |" in (first.root / "report.md").read_text(encoding="utf-8")

    lexicon.write_text('Hermione = { alias = "her-mee-OWN" }\nPepys = { ipa = "piːps" }\n', encoding="utf-8")
    second = produce(options)
    after = _audio_by_chunk(paths)
    assert second.synthesis.synthesized == len(with_word) == second.report["lexicon"]["changed_chunks"]
    assert {i for i in before if before[i] != after[i]} == with_word
    assert all(before[i] == after[i] for i in before if i not in with_word)
    pronounced = {c.id: c.pronunciations for c in Plan.load(paths.plan).chunks if c.id in with_word}
    assert all(p == [{"grapheme": "Hermione", "alias": "her-mee-OWN"}] for p in pronounced.values())
