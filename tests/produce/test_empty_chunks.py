"""A chunk with nothing to say (a heading of punctuation only) is left out of the plan: the book is
produced, and no empty audio is ever cached."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.robustness.helpers import NO_QA


def test_a_punctuation_only_heading_is_produced_without_an_empty_chunk(tmp_path):
    book = tmp_path / "dash.md"
    book.write_text("---\ntitle: Dash Book\nauthor: X\nlanguage: en\n---\n\n## —\n\n"
                    "The kettle sang at seven and Anna poured the tea.\n\n## * * *\n\n## Two\n\n"
                    "By dusk the rain had stopped.\n", encoding="utf-8")
    done = run_cli("produce", str(book), "--output", str(tmp_path / "out"), *NO_QA)
    assert done.returncode == 0, done.stderr[-3000:]
    root = tmp_path / "out" / "dash-book"
    assert all(p.stat().st_size > 0 for p in (root / ".work" / "cache").rglob("*.flac"))
    assert len(list((root / "mp3").glob("*.mp3"))) == 4  # credits, the "—" chapter, "Two", credits
