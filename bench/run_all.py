"""Every benchmark in one command: a table, bench/results/latest.json, and regressions against
bench/baseline.json.

    .venv/bin/python bench/run_all.py --quick            # ~5 min on 2 cores: short chapter, small Voxtral
    .venv/bin/python bench/run_all.py                    # a whole chapter, Voxtral CPU table
    .venv/bin/python bench/run_all.py --full-book        # also re-run the whole book (hours)
    .venv/bin/python bench/run_all.py --quick --strict   # exit 1 on a regression (CI)
    .venv/bin/python bench/run_all.py --quick --write-baseline   # store this run as the baseline

A metric regresses when it is more than 10% worse than the baseline of the same mode (quick/full):
speeds (higher is better) below 90% of it, memory (lower is better) above 110% of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
BASELINE = BENCH / "baseline.json"
THRESHOLD = 0.10

MASTER_PACKAGE = r"""
import json, shutil, sys, time
from pathlib import Path
from pipeline.plan import Plan
from pipeline.produce import ProduceOptions, master_track, package
from pipeline.speech.cache import ChunkCache
from pipeline.speech.synthesize import SynthesisProgress
from pipeline.workspace import BookPaths
root = Path(sys.argv[1])
paths = BookPaths(root.parent, root.name)
plan = Plan.load(paths.plan)
shutil.rmtree(paths.render, ignore_errors=True)          # forget earlier renders: master from the cache
shutil.rmtree(paths.mp3_dir, ignore_errors=True)
paths.m4b.unlink(missing_ok=True)
cache = ChunkCache(paths.cache)
began = time.perf_counter()
mastered = [pm for t in plan.tracks for pm in master_track(paths, plan, t.index, cache)]
rendered = time.perf_counter()
options = ProduceOptions(manuscript=Path(plan.source), output_root=root.parent)
n = len({c.key for c in plan.chunks})
result = package(paths, options, mastered, SynthesisProgress(n, n, 0, 0.0, 0.0), 0.0)
done = time.perf_counter()
audio = sum(r.duration for r, _ in mastered)
print(json.dumps({"audio_s": audio, "master_s": rendered - began, "package_s": done - rendered}))
"""


def machine() -> dict:
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "load_avg_1m": round(os.getloadavg()[0], 2)}
    try:
        import torch

        info["torch"] = torch.__version__
        info["gpu"] = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - torch is optional for this report
        info["gpu"] = None
    return info


def run(args: list[str], timeout: float = 3600) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {(done.stderr or done.stdout)[-600:]}")
    return done


def metric(value: float, unit: str, better: str, note: str = "") -> dict:
    return {"value": value, "unit": unit, "better": better, **({"note": note} if note else {})}


# -- the benchmarks ----------------------------------------------------------------------------------

def bench_ingest(args, state: dict) -> dict:
    run([str(BENCH / "ingest_bench.py")])
    r = json.loads((RESULTS / "ingest.json").read_text())
    return {"ingest_words_per_s": metric(r["words_per_s"], "words/s", "higher", f"{r['book']}, {r['words']} words"),
            "ingest_synthetic_words_per_s": metric(r["synthetic"]["words_per_s"], "words/s", "higher",
                                                   "normalise+segment+chunk, 100k synthetic words")}


def bench_produce(args, state: dict) -> dict:
    keep = Path(tempfile.mkdtemp(prefix="bench-book-"))
    state["kept"] = keep
    out = RESULTS / ("produce_chapter_quick.json" if args.quick else "produce_chapter.json")
    cmd = [str(BENCH / "produce_bench.py"), "--chapters", str(args.chapter), "--keep", str(keep), "--out", str(out),
           "--pairs", "1" if args.quick else "3", "--allow-load"]
    if args.quick:
        cmd += ["--max-words", str(args.quick_words)]
    if args.no_qa:
        cmd += ["--no-qa"]
    run(cmd)
    r = json.loads(out.read_text())
    state["chapter"] = r
    finished = r["pairs"][0]["produce"]["finished_s"]
    what = f"chapter {args.chapter}, {finished:.0f} s audio" + (" (LOADED)" if r["loaded_pairs"] else "")
    return {"e2e_speed": metric(r["produce_finished_speed"]["median"], "audio s/wall s", "higher", what),
            "cli_speech_speed": metric(r["cli_speech_speed"]["median"], "speech s/wall s", "higher",
                                       "the stock piper CLI on the same chunks"),
            "e2e_vs_cli": metric(r["ratio_to_cli"]["median"], "ratio", "higher", "speech speed, produce / piper CLI"),
            "chapter_peak_rss_mb": metric(r["produce_peak_rss_mb"]["median"], "MB", "lower", what)}


def bench_master_package(args, state: dict) -> dict:
    kept = state.get("kept")
    if kept is None:
        raise RuntimeError("needs the produce benchmark's output (run without --only or include produce)")
    root = next(p.parent for p in kept.glob("*/report.json"))
    r = json.loads(run(["-c", MASTER_PACKAGE, str(root)]).stdout.strip().splitlines()[-1])
    shutil.rmtree(kept, ignore_errors=True)
    wall = r["master_s"] + r["package_s"]
    return {"master_package_speed": metric(round(r["audio_s"] / wall, 1), "audio s/wall s", "higher",
                                           f"render+measure {r['master_s']:.1f} s, package {r['package_s']:.1f} s")}


def bench_full_book(args, state: dict) -> dict:
    path = RESULTS / "produce_full_book.json"
    if args.full_book:
        run([str(BENCH / "produce_bench.py"), "--full-book", "--pairs", "1", "--allow-load"], timeout=6 * 3600)
    if not path.exists():
        return {"_skipped": "full book: no bench/results/produce_full_book.json (run with --full-book)"}
    r = json.loads(path.read_text())
    if "pairs" in r:  # the CLI-paired format; older results had the flat keys below
        last = r["pairs"][-1]["produce"]
        r = {"audio_s": last["finished_s"], "peak_rss_mb": last["peak_rss_mb"],
             "e2e_speed": r["produce_finished_speed"]["median"]}
    note = f"{r['audio_s'] / 3600:.1f} h audio" + ("" if args.full_book else " (stored result)")
    out = {"full_book_peak_rss_mb": metric(r["peak_rss_mb"], "MB", "lower", note),
           "full_book_e2e_speed": metric(r["e2e_speed"], "audio s/wall s", "higher", note)}
    chapter = state.get("chapter")
    if chapter:
        out["rss_full_book_vs_chapter"] = metric(round(r["peak_rss_mb"] / chapter["produce_peak_rss_mb"]["median"], 2),
                                                 "ratio", "lower", "whole book / one chapter")
    return out


def bench_prefect(args, state: dict) -> dict:
    script = BENCH / "prefect_overhead.py"
    path = RESULTS / "prefect_overhead.json"
    if not script.exists():
        return {"_skipped": "Prefect overhead: bench/prefect_overhead.py not present"}
    stored = args.quick and path.exists()
    if not stored:
        run([str(script), "--allow-load"], timeout=1800)
    r = json.loads(path.read_text())
    note = "served run / direct run" + (" (stored result; rerun without --quick)" if stored else "")
    return {"prefect_overhead_ratio": metric(r["ratio_total"], "ratio", "lower", note)}


def bench_voxtral(args, state: dict) -> dict:
    try:
        import torch

        gpu = torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return {"_skipped": "Voxtral: torch not importable"}
    out = RESULTS / ("voxtral_quick.json" if args.quick else "voxtral_run_all.json")
    if gpu:
        cmd = ["--device", "cuda"] + (["--frames", "16", "--batches", "1,8,32"] if args.quick else [])
    elif args.quick:  # reduced: one backbone layer, a few frames
        cmd = ["--device", "cpu", "--layers", "1", "--frames", "2", "--batches", "1,2", "--prompt", "40",
               "--voice-rows", "10", "--vocab", "4096"]
    else:
        cmd = ["--device", "cpu", "--frames", "4", "--batches", "1,2,4", "--prompt", "120"]
    run([str(BENCH / "voxtral_bench.py"), *cmd, "--out", str(out)], timeout=3600)
    r = json.loads(out.read_text())
    device = "gpu" if gpu else "cpu"
    note = f"{r['device']}, {r['backbone_layers']} layers, {r['frames_per_seq']} frames/seq, random weights"
    return {f"voxtral_{device}_frames_per_s_b{row['batch']}": metric(row["frames_per_s"], "frames/s", "higher", note)
            for row in r["results"]}


BENCHMARKS = {"ingest": bench_ingest, "produce": bench_produce, "master_package": bench_master_package,
              "full_book": bench_full_book, "prefect": bench_prefect, "voxtral": bench_voxtral}


# -- comparing -------------------------------------------------------------------------------------

def compare(metrics: dict, baseline: dict) -> list[dict]:
    rows = []
    for name, m in metrics.items():
        base = baseline.get(name, {}).get("value")
        row = {"metric": name, **m, "baseline": base, "change": None, "status": "new" if base is None else "ok"}
        if base:
            change = m["value"] / base - 1
            row["change"] = round(change, 3)
            worse = change < -THRESHOLD if m["better"] == "higher" else change > THRESHOLD
            better = change > THRESHOLD if m["better"] == "higher" else change < -THRESHOLD
            row["status"] = "REGRESSION" if worse else "improved" if better else "ok"
        rows.append(row)
    return rows


def print_table(rows: list[dict], skipped: list[str]) -> None:
    head = ("metric", "value", "unit", "baseline", "change", "status")
    cells = [head] + [(r["metric"], f"{r['value']:g}", r["unit"], "" if r["baseline"] is None else f"{r['baseline']:g}",
                       "" if r["change"] is None else f"{r['change']:+.1%}", r["status"]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for i, c in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for note in skipped:
        print(f"skipped: {note}")
    for r in rows:
        if r["status"] == "REGRESSION":
            direction = "lower" if r["better"] == "higher" else "higher"
            print(f"REGRESSION: {r['metric']} = {r['value']:g} {r['unit']} is {abs(r['change']):.1%} {direction} "
                  f"than the baseline {r['baseline']:g} (threshold {THRESHOLD:.0%})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short chapter, reduced Voxtral, stored Prefect result")
    ap.add_argument("--full-book", action="store_true", help="re-run the whole-book benchmark (hours)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any metric regresses")
    ap.add_argument("--only", help=f"comma list of: {', '.join(BENCHMARKS)}")
    ap.add_argument("--chapter", type=int, default=1, help="Wodehouse chapter for the produce benchmark")
    ap.add_argument("--quick-words", type=int, default=300, help="--quick: words of the chapter to produce")
    ap.add_argument("--no-qa", action="store_true", help="produce without chunk QA")
    ap.add_argument("--baseline", type=Path, default=BASELINE)
    ap.add_argument("--write-baseline", action="store_true", help="store this run as the baseline of its mode")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    mode = "quick" if args.quick else "full"
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    if "master_package" in chosen and "produce" not in chosen:
        chosen.insert(chosen.index("master_package"), "produce")
    metrics: dict = {}
    skipped: list[str] = []
    timings: dict = {}
    state: dict = {}
    for name in chosen:
        began = time.perf_counter()
        print(f"[{name}] ...", file=sys.stderr, flush=True)
        try:
            result = BENCHMARKS[name](args, state)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark should not hide the others
            result = {"_skipped": f"{name} failed: {str(exc).strip()[-400:]}"}
        if "_skipped" in result:
            skipped.append(result.pop("_skipped"))
        metrics.update(result)
        timings[name] = round(time.perf_counter() - began, 1)
    baseline_doc = json.loads(args.baseline.read_text()) if args.baseline.exists() else {}
    baseline = baseline_doc.get(mode, {}).get("metrics", {})
    rows = compare(metrics, baseline)
    print(f"\nbench/run_all.py ({mode} mode) against {args.baseline.name}"
          f" ({baseline_doc.get(mode, {}).get('machine', {}).get('date', 'none')})\n")
    print_table(rows, skipped)
    latest = {"mode": mode, "machine": machine(), "seconds": timings, "metrics": metrics, "skipped": skipped,
              "comparison": rows}
    (RESULTS / "latest.json").write_text(json.dumps(latest, indent=1) + "\n")
    print(f"\nwrote {RESULTS / 'latest.json'}")
    if args.write_baseline:
        if args.only and mode in baseline_doc:  # a subset: update those metrics, keep the rest
            baseline_doc[mode]["metrics"].update(metrics)
            baseline_doc[mode].setdefault("partial_updates", []).append(latest["machine"])
        else:
            baseline_doc[mode] = {"machine": latest["machine"], "metrics": metrics, "skipped": skipped}
        args.baseline.write_text(json.dumps(baseline_doc, indent=1) + "\n")
        print(f"wrote {args.baseline} ({mode})")
    regressions = [r for r in rows if r["status"] == "REGRESSION"]
    return 1 if regressions and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
