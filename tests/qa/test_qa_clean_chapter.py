"""False positives: a whole chapter of clean embedded-engine audio, with QA on, flags nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED

WODEHOUSE = SHARED / "books" / "love-among-the-chickens.epub"


@pytest.mark.slow
@pytest.mark.skipif(not WODEHOUSE.exists(), reason="needs ../shared/books/love-among-the-chickens.epub")
def test_a_clean_chapter_is_never_flagged(tmp_path):
    from pipeline.manuscript import read_manuscript
    from pipeline.produce import load_engine
    from pipeline.plan import build_plan
    from pipeline.speech.cache import ChunkCache
    from pipeline.speech.engine import SynthesisSettings
    from pipeline.speech.synthesize import synthesize_plan

    piper_engine = load_engine("piper")  # not the session fixture's: produce() may have released it
    book = read_manuscript(WODEHOUSE)
    plan = build_plan(book, WODEHOUSE, piper_engine, piper_engine.default_voice(), SynthesisSettings())
    chapter = next(t for t in plan.tracks if t.title.startswith("Chapter I:"))
    plan = plan.model_copy(update={"tracks": [chapter]})
    cache = ChunkCache(tmp_path / "cache")
    progress = synthesize_plan(plan, piper_engine, piper_engine.default_voice(), cache, qa=True)
    records = [json.loads(line) for line in (tmp_path / "cache" / "qa.jsonl").read_text().splitlines()]
    assert len(records) == progress.total > 40
    flagged = [(r["id"], r["takes"][0]["problems"]) for r in records if len(r["takes"]) > 1 or not r["passed"]]
    wers = [r["takes"][0]["metrics"]["wer"] for r in records]
    print(f"\nWER over {len(wers)} chunks: min {min(wers):.3f} median {np.median(wers):.3f} "
          f"p90 {np.percentile(wers, 90):.3f} max {max(wers):.3f}; QA {progress.qa_s:.1f} s, "
          f"synthesis {progress.wall_s:.1f} s")
    assert flagged == []
    assert progress.retakes == 0
