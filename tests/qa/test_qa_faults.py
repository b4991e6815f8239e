"""Real faults injected into real embedded-engine audio: each is caught and retaken with a fresh
take from the engine; clean chunks are never flagged; decisions survive a rerun unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.produce import load_engine  # bound before the tests patch pipeline.produce.load_engine
from pipeline.qa.checks import BookStats
from pipeline.qa.takes import QALog, take_seed
from tests.conftest import write_book

CLEAN = [
    "The road ran north from the village, past the mill and the old stone bridge.",
    "Nobody walked it after dark. The farmers said the fog came up from the river like a tide.",
    "Martha walked it anyway, every evening, with a lantern and a dog called Biscuit.",
    "On the ninth of October the fog came early, and by four o'clock she could not see the hedges.",
    "Biscuit stopped at the bridge and would not cross, so Martha lifted the lantern and listened.",
    "Somewhere below, in the white, a bell was ringing, slow and steady, like a heartbeat.",
    "It was the ferry bell, of course. The ferryman had lost his way and was calling for help.",
    "Martha shouted until he found the bank, and the three of them walked home together.",
]
TWO_SENTENCES = "The baker opened his shop before dawn. He lit the ovens."  # one chunk: short sentences merge
FAULTS = {  # fault name -> the text of the chunk it is injected into
    "truncated": "The schoolmaster rang the brass bell twice, and the children ran inside out of the cold wind.",
    "missing_sentence": TWO_SENTENCES,
    "silence": "The postman came up the hill on his red bicycle, whistling a tune from the old country.",
    "babble": "The cat slept all afternoon on the warm stones beside the kitchen door.",
    "clipped": "In the spring the river rose over its banks and flooded the lower meadow for a week.",
    "faded": "The lighthouse keeper climbed the long spiral stair each evening to light the great lamp.",
}
BABBLE_SOURCE = "Nobody in the village could remember a summer as hot and as dry as that one."


def inject(fault: str, clip: np.ndarray, rate: int, engine, voice, settings, seed: int) -> np.ndarray:
    if fault == "truncated":
        return clip[:len(clip) // 2]
    if fault == "missing_sentence":  # only the first sentence's audio
        [first] = engine.synthesize([TWO_SENTENCES.split(". ")[0] + "."], voice, settings, [seed])
        return first
    if fault == "silence":
        return np.zeros_like(clip)
    if fault == "babble":  # another sentence's audio appended
        [other] = engine.synthesize([BABBLE_SOURCE], voice, settings, [seed])
        return np.concatenate([clip, np.zeros(int(0.1 * rate), np.float32), other])
    if fault == "clipped":
        return np.clip(clip * 8, -1, 1).astype(np.float32)
    if fault == "faded":  # last 40 % ramped down to -40 dB
        start = int(len(clip) * 0.6)
        ramp = 10 ** (np.linspace(0, -40, len(clip) - start) / 20)
        out = clip.copy()
        out[start:] *= ramp.astype(np.float32)
        return out
    raise ValueError(fault)


class FaultyEngine:
    """The real embedded engine, with one fault injected into take 0 (the plan's seed) of chosen
    texts. Every other call, retakes included, is passed through untouched."""

    def __init__(self, faults: dict[str, str]):
        self._faults = {text: fault for fault, text in faults.items()}
        self.calls: list[tuple[str, int]] = []
        self.first_seed: dict[str, int] = {}

    @property
    def _engine(self):
        # Through the engine registry every time: produce() may release loaded engines when it ends.
        return load_engine("piper")

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def synthesize(self, texts, voice, settings, seeds):
        clips = self._engine.synthesize(texts, voice, settings, seeds)
        out = []
        for text, seed, clip in zip(texts, seeds, clips):
            self.calls.append((text, seed))
            self.first_seed.setdefault(text, seed)
            fault = self._faults.get(text)
            if fault and seed == self.first_seed[text]:
                clip = inject(fault, clip, self._engine.sample_rate, self._engine, voice, settings, seed)
            out.append(clip)
        return out


@pytest.fixture(scope="module")
def faulty_book(tmp_path_factory):
    import pipeline.produce as produce_module
    from pipeline.produce import ProduceOptions, produce

    folder = tmp_path_factory.mktemp("faults")
    chapters = {"Chapter 1: Clean": CLEAN, "Chapter 2: Faults": [*FAULTS.values(), CLEAN[0].replace("north", "south")]}
    manuscript = write_book(folder, "faults.md", title="Faults", chapters=chapters)
    engine = FaultyEngine(FAULTS)
    patch = pytest.MonkeyPatch()
    patch.setattr(produce_module, "load_engine", lambda name, options=None: engine)
    try:
        result = produce(ProduceOptions(manuscript=manuscript, output_root=folder / "out"))
    finally:
        patch.undo()
    return result, engine, manuscript


def records(root) -> list[dict]:
    return [json.loads(line) for line in (root / ".work" / "cache" / "qa.jsonl").read_text().splitlines()]


def by_text(result) -> dict[str, dict]:
    from pipeline.plan import Plan

    plan = Plan.load(result.root / ".work" / "plan.json")
    log = QALog(result.root / ".work" / "cache")
    return {c.text: log.get(c.key) for c in plan.chunks}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_is_caught_and_retaken_with_a_fresh_take(faulty_book, fault):
    result, engine, _ = faulty_book
    record = by_text(result)[FAULTS[fault]]
    first, *later = record["takes"]
    assert not first["passed"], f"{fault} not caught: {first['badness']}"
    assert later, "a failing take must be retaken"
    assert record["passed"] and record["chosen"] >= 1
    chosen = record["takes"][record["chosen"]]
    assert chosen["seed"] == take_seed(first["seed"], record["chosen"]) != first["seed"]
    assert chosen["key"] != first["key"] == record["key"]
    # The engine really made the retake (new seed), and mastering used it.
    assert (FAULTS[fault], chosen["seed"]) in engine.calls
    manifest = json.loads((result.root / "manifest.json").read_text())
    [entry] = [c for f in manifest["files"] for c in f["chunks"] if c["text"] == FAULTS[fault]]
    assert entry["qa"]["take"] == record["chosen"] and entry["qa"]["key"] == chosen["key"]
    assert entry["qa"]["passed"] and len(entry["qa"]["scores"]) == len(record["takes"])


EXPECTED_CHECK = {"truncated": {"length", "wer", "skip"}, "missing_sentence": {"length", "wer", "skip"},
                  "silence": {"speech"}, "babble": {"length", "wer"}, "clipped": {"clipping"}, "faded": {"fade"}}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_right_check_catches_each_fault(faulty_book, fault):
    result, _, _ = faulty_book
    first = by_text(result)[FAULTS[fault]]["takes"][0]
    failing = {name for name, badness in first["badness"].items() if badness > 1}
    if not first["badness"]:  # no speech: nothing else measurable
        failing = {"speech"}
    assert failing & EXPECTED_CHECK[fault], (fault, first["badness"], first["problems"])


def test_clean_chunks_are_never_flagged(faulty_book):
    result, _, _ = faulty_book
    chosen = by_text(result)
    clean = {t: r for t, r in chosen.items() if t not in FAULTS.values()}
    assert len(clean) >= len(CLEAN) + 4  # the chapters' chunks plus titles and credits
    flagged = {t: r["takes"][0]["problems"] for t, r in clean.items() if len(r["takes"]) > 1 or not r["passed"]}
    assert not flagged
    assert result.report["qa"]["failed"] == 0 and result.report["qa"]["retaken"] == len(FAULTS)


def test_report_has_per_chapter_qa_and_plots(faulty_book):
    result, _, _ = faulty_book
    report = json.loads((result.root / "report.json").read_text())
    qa = report["qa"]
    assert qa["intelligibility"].startswith("checked with pocketsphinx")
    row = next(f for f in qa["files"] if "Faults" in f["file"])
    assert row["retaken"] == len(FAULTS) and row["failed"] == 0 and row["wer_max"] is not None
    assert (result.root / row["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (result.root / "report.md").read_text()
    assert "## Quality control (QA)" in md and row["plot"].replace(" ", "%20") in md


def test_rerun_reuses_every_decision(faulty_book):
    """Resume: nothing synthesised, nothing judged again, the same files."""
    from pipeline.produce import ProduceOptions, produce

    result, _, manuscript = faulty_book
    before = (result.root / ".work" / "cache" / "qa.jsonl").read_bytes()
    mp3s = {p.name: p.read_bytes() for p in (result.root / "mp3").glob("*.mp3")}
    again = produce(ProduceOptions(manuscript=manuscript, output_root=result.root.parent))
    assert again.synthesis.synthesized == 0 and again.synthesis.retakes == 0
    assert (result.root / ".work" / "cache" / "qa.jsonl").read_bytes() == before
    assert {p.name: p.read_bytes() for p in (result.root / "mp3").glob("*.mp3")} == mp3s


class AlwaysTruncated(FaultyEngine):
    """Every take of one text comes back cut in half: the chunk can never pass."""

    def synthesize(self, texts, voice, settings, seeds):
        clips = self._engine.synthesize(texts, voice, settings, seeds)
        return [clip[:len(clip) // 2] if text in self._faults else clip for text, clip in zip(texts, clips)]


def test_a_remaining_failure_keeps_its_best_take_and_is_reported_with_its_time(tmp_path):
    import pipeline.produce as produce_module
    from pipeline.produce import ProduceOptions, produce

    manuscript = write_book(tmp_path, chapters={"Chapter 1: Bad": [CLEAN[0], CLEAN[2]]})
    engine = AlwaysTruncated({"truncated": CLEAN[2]})
    patch = pytest.MonkeyPatch()
    patch.setattr(produce_module, "load_engine", lambda name, options=None: engine)
    try:
        result = produce(ProduceOptions(manuscript=manuscript, output_root=tmp_path / "out"))
    finally:
        patch.undo()
    record = by_text(result)[CLEAN[2]]
    assert not record["passed"] and len(record["takes"]) == 3
    assert len({t["seed"] for t in record["takes"]}) == 3 and len({t["key"] for t in record["takes"]}) == 3
    best = min(record["takes"], key=lambda t: t["score"])
    assert record["chosen"] == best["take"]
    manifest = json.loads((result.root / "manifest.json").read_text())
    [entry] = [c for f in manifest["files"] for c in f["chunks"] if c["text"] == CLEAN[2]]
    [failure] = [x for f in result.report["qa"]["files"] for x in f["failures"]]
    assert failure["text"] == CLEAN[2] and failure["start_s"] == pytest.approx(entry["start"], abs=1e-3)
    md = (result.root / "report.md").read_text()
    assert "still failing" in md and CLEAN[2][:40] in md


def test_a_take_judged_again_from_the_cache_gets_the_same_verdict(faulty_book):
    """What a resumed run does with a take cached before a kill: same numbers, same decision."""
    from pipeline.plan import Plan
    from pipeline.qa.takes import ChunkQA
    from pipeline.speech.cache import ChunkCache

    result, _, _ = faulty_book
    plan = Plan.load(result.root / ".work" / "plan.json")
    checker = ChunkQA(plan, ChunkCache(result.root / ".work" / "cache"))
    for text in (CLEAN[3], FAULTS["faded"]):
        chunk = next(c for c in plan.chunks if c.text == text)
        record = checker.log.get(chunk.key)
        stats = BookStats.from_history(checker.history_before(chunk), plan.settings.speed)
        metrics, verdict = checker.evaluate(checker.cache.read(chunk.key), plan.sample_rate, text, stats)
        first = record["takes"][0]
        expected = {k: v for k, v in first["metrics"].items() if k not in ("lead_s", "trail_s")}
        assert {k: v for k, v in metrics.as_dict().items() if k not in ("lead_s", "trail_s")} == expected
        assert verdict.problems == first["problems"]
