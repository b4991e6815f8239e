"""The QA part of report.json / report.md, and a loudness-over-time plot per file.

report.json["qa"] holds the whole picture; `qa["files"]` is one row per output file (chapter),
ready for a table artifact: chunks, retakes, remaining failures (text and time in the file),
WER mean/max, levels, and the plot's path.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pipeline.plan import Plan
from pipeline.qa.asr import recogniser_for
from pipeline.qa.takes import QALog
from pipeline.speech.cache import ChunkCache

WINDOW_S = 0.4  # loudness plot resolution


def chunk_summary(record: dict | None) -> dict | None:
    """What the manifest keeps per chunk: the chosen take, its seed, scores and problems."""
    if record is None:
        return None
    take = record["takes"][record["chosen"]]
    return {"take": record["chosen"], "takes": len(record["takes"]), "seed": take["seed"], "key": take["key"],
            "passed": record["passed"], "score": record["score"], "wer": take["metrics"].get("wer"),
            "problems": take["problems"], "scores": [t["score"] for t in record["takes"]]}


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def qa_report(plan: Plan, cache_root: Path, parts: list, names: list[str], qa_dir: Path | None,
              enabled: bool) -> dict:
    """`parts`: the RenderedParts in file order; `names`: their file names. Writes one PNG per file
    into `qa_dir` (None: no plots)."""
    log = QALog(cache_root)
    by_id = {c.id: c.key for c in plan.chunks}
    language = plan.book.language.split("-")[0].lower()
    recogniser = recogniser_for(language) if enabled else None
    if not enabled:
        intelligibility = "not checked: QA was off for this run (--no-qa)"
    elif recogniser is None:
        intelligibility = f"intelligibility not checked: no recogniser model for {language}"
    else:
        intelligibility = f"checked with {recogniser.name} against each chunk's own text"
    files, all_wer = [], []
    cache = ChunkCache(cache_root) if qa_dir is not None else None
    for part, name in zip(parts, names):
        records = [log.get(by_id.get(t.id, "")) for t in part.timings]
        chosen = [r["takes"][r["chosen"]] if r else None for r in records]
        wers = [c["metrics"]["wer"] for c in chosen if c and c["metrics"].get("wer") is not None]
        all_wer += wers
        levels = [c["metrics"]["rms_db"] + part.gain_db for c in chosen if c and c["metrics"]["duration_s"] > 0]
        failures = [{"start_s": round(t.start, 3), "end_s": round(t.end, 3), "text": t.text,
                     "take": r["chosen"], "problems": r["takes"][r["chosen"]]["problems"]}
                    for t, r in zip(part.timings, records) if r and not r["passed"]]
        row = {"file": name, "track": part.track, "part": part.number, "chunks": len(part.timings),
               "checked": sum(r is not None for r in records),
               "retaken": sum(1 for r in records if r and len(r["takes"]) > 1),
               "retakes": sum(len(r["takes"]) - 1 for r in records if r),
               "failed": len(failures), "failures": failures,
               "wer_mean": round(float(np.mean(wers)), 4) if wers else None,
               "wer_max": round(float(np.max(wers)), 4) if wers else None,
               "level_db": {"median": _percentile(levels, 50), "min": _percentile(levels, 0),
                            "max": _percentile(levels, 100)},
               "plot": None}
        if qa_dir is not None and part.timings:
            # Each chunk's chosen take (the plan's own take where QA kept no record).
            keys = [r["chosen_key"] if r else by_id.get(t.id) for t, r in zip(part.timings, records)]
            row["plot"] = _plot(part, records, keys, cache, qa_dir / f"{Path(name).stem}.png", name)
        files.append(row)
    return {"enabled": enabled, "intelligibility": intelligibility, "language": language,
            "chunks": sum(f["chunks"] for f in files), "checked": sum(f["checked"] for f in files),
            "retaken": sum(f["retaken"] for f in files), "retakes": sum(f["retakes"] for f in files),
            "failed": sum(f["failed"] for f in files),
            "wer": {"mean": round(float(np.mean(all_wer)), 4) if all_wer else None,
                    "min": _percentile(all_wer, 0), "median": _percentile(all_wer, 50),
                    "p90": _percentile(all_wer, 90), "max": _percentile(all_wer, 100)},
            "files": files}


def prepare_plotting() -> None:
    """Import matplotlib (~0.7 s) ahead of the plots, e.g. on a core left idle by other work."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401


def _plot(part, records: list, keys: list, cache: ChunkCache, path: Path, title: str) -> str:
    """Loudness (RMS per 0.4 s, after the file's gain) over the file's time; failed chunks in red,
    retaken chunks in orange."""
    prepare_plotting()
    from matplotlib import pyplot as plt

    times, levels = [], []
    for timing, key in zip(part.timings, keys):
        if key is None or key not in cache.entries or cache.entries[key].frames == 0:
            continue
        audio = cache.read(key)
        rate = cache.entries[key].rate
        n = max(1, int(WINDOW_S * rate))
        frames = len(audio) // n
        if frames == 0:
            continue
        power = np.mean(audio[:frames * n].astype(np.float64).reshape(frames, n) ** 2, axis=1)
        span = (timing.end - timing.start) / frames
        times += [timing.start + span * (i + 0.5) for i in range(frames)]
        levels += list(10 * np.log10(power + 1e-12) + part.gain_db)
        times.append(timing.end)  # a gap in the line: the pause between chunks
        levels.append(float("nan"))
    fig, ax = plt.subplots(figsize=(10, 2.2), dpi=80)
    ax.plot(np.array(times) / 60, levels, lw=0.6, color="#345")
    for timing, record in zip(part.timings, records):
        if record and not record["passed"]:
            ax.axvspan(timing.start / 60, timing.end / 60, color="red", alpha=0.35, lw=0)
        elif record and len(record["takes"]) > 1:
            ax.axvspan(timing.start / 60, timing.end / 60, color="orange", alpha=0.25, lw=0)
    ax.set_ylim(-60, 0)
    ax.set_xlabel("minutes")
    ax.set_ylabel("dBFS")
    ax.set_title(f"{title}: loudness (red: failed QA, orange: retaken)", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(path)
    return f"qa/{path.name}"


def _clock(seconds: float) -> str:
    seconds = int(math.floor(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def qa_markdown(qa: dict) -> str:
    wer = qa["wer"]
    out = [f"- Chunks checked: {qa['checked']} of {qa['chunks']}; retaken: {qa['retaken']} "
           f"({qa['retakes']} extra takes); still failing: {qa['failed']}",
           f"- Intelligibility: {qa['intelligibility']}"]
    if wer["mean"] is not None:
        out.append(f"- WER: mean {wer['mean']:.1%}, median {wer['median']:.1%}, p90 {wer['p90']:.1%}, "
                   f"max {wer['max']:.1%}")
    out += ["", "| file | chunks | retaken | failing | WER mean | WER max | level dB (median, min–max) | plot |",
            "|---|---:|---:|---:|---:|---:|---|---|"]
    for f in qa["files"]:
        lv = f["level_db"]
        level = f"{lv['median']:.1f} ({lv['min']:.1f}–{lv['max']:.1f})" if lv["median"] is not None else "–"
        wer_mean = f"{f['wer_mean']:.1%}" if f["wer_mean"] is not None else "–"
        wer_max = f"{f['wer_max']:.1%}" if f["wer_max"] is not None else "–"
        plot = f"[plot]({f['plot'].replace(' ', '%20')})" if f["plot"] else "–"
        out.append(f"| {f['file']} | {f['chunks']} | {f['retaken']} | {f['failed']} | {wer_mean} | {wer_max} | "
                   f"{level} | {plot} |")
    failures = [(f["file"], x) for f in qa["files"] for x in f["failures"]]
    if failures:
        out += ["", "Chunks still failing after retakes (listen to these):", ""]
        for name, x in failures:
            out.append(f"- {name} at {_clock(x['start_s'])}: {'; '.join(x['problems'])} — “{x['text'][:200]}”")
    return "\n".join(out)
