"""The production report as the Prefect UI can show it.

`report.md` beside the audio is for a reader with the files at hand: wide tables and relative links
to `qa/*.png`. Inside the UI those links 404 and the wide tables are cut off on the right. Here:
a narrow ACX table with the verdict next to the file name, per-chapter detail left to a table
artifact (`chapter_rows`), and each loudness plot inlined as a data URI, which the UI renders.
"""

from __future__ import annotations

import base64
from pathlib import Path

MAX_PLOT_BYTES = 200_000  # a plot larger than this stays on disk (named, not inlined)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _verdict(row: dict) -> str:
    return "pass" if row["passed"] else "**FAIL**: " + "; ".join(row["problems"])


def _cell(text: object) -> str:
    return str(text).replace("|", "/")


def _plot_image(root: Path, relative: str | None, title: str) -> str:
    if not relative:
        return ""
    path = root / relative
    try:
        data = path.read_bytes()
    except OSError:
        return f"(loudness plot missing: `{path}`)"
    if len(data) > MAX_PLOT_BYTES:
        return f"(loudness plot too large to show here: `{path}`)"
    return f"![loudness of {title}](data:image/png;base64,{base64.b64encode(data).decode()})"


def ui_markdown(root: Path, report: dict, outputs: list[str]) -> str:
    """Markdown for the run's report artifact: no relative links, no table wider than 6 columns."""
    book, synth, files = report["book"], report["synthesis"], report["files"]
    passed = sum(1 for f in files if f["passed"])
    out = [f"# {book['title']}", "",
           f"by {', '.join(book['authors'])} · narrated by {report['voice']} ({report['engine']})", "",
           f"- **ACX check: {passed} of {len(files)} files pass**",
           f"- Duration {_clock(report['duration_s'])} in {len(files)} files",
           f"- Synthesis: {synth['synthesized']} of {synth['chunks']} chunks this run ({synth['reused']} reused), "
           f"{synth['speed']:.1f}× real time; {report['wall_s']:.0f} s end to end", "",
           "## ACX check", "", "| file | ACX | length | RMS dB | peak dB | floor dB |", "|---|---|---:|---:|---:|---:|"]
    out += [f"| {_cell(f['file'])} | {_cell(_verdict(f))} | {_clock(f['duration_s'])} | {f['rms_db']:.1f} | "
            f"{f['true_peak_db']:.1f} | {f['noise_floor_db']:.1f} |" for f in files]
    qa = report.get("qa")
    if qa:
        out += ["", "## Quality control", "",
                f"- Chunks checked: {qa['checked']} of {qa['chunks']}; retaken {qa['retaken']}; "
                f"still failing {qa['failed']}", f"- {qa['intelligibility']}",
                "- Per chapter: the table artifact of this run (chunks, retakes, word error rate, level)."]
        failures = [(f["file"], x) for f in qa["files"] for x in f["failures"]]
        if failures:
            out += ["", "Chunks still failing after retakes (listen to these):", ""]
            out += [f"- {name} at {_clock(x['start_s'])}: {'; '.join(x['problems'])}" for name, x in failures]
        plots = [(f["file"], _plot_image(root, f.get("plot"), f["file"])) for f in qa["files"] if f.get("plot")]
        if plots:
            out += ["", "## Loudness over time", ""]
            for name, image in plots:
                out += [f"**{name}**", "", image, ""]
    out += ["", "## Files", "", *(f"- `{p}`" for p in outputs), ""]
    return "\n".join(out)


def chapter_rows(report: dict, speeds: dict[int, float | None]) -> list[dict]:
    """One row per file for the table artifact: ACX measurements, QA and synthesis speed."""
    qa = {f["file"]: f for f in (report.get("qa") or {}).get("files", [])}
    rows = []
    for f in report["files"]:
        speed, q = speeds.get(f["track"]), qa.get(f["file"], {})
        rows.append({"file": f["file"], "acx": "pass" if f["passed"] else "FAIL: " + "; ".join(f["problems"]),
                     "duration_s": round(f["duration_s"], 2), "rms_db": round(f["rms_db"], 1),
                     "true_peak_db": round(f["true_peak_db"], 1), "noise_floor_db": round(f["noise_floor_db"], 1),
                     "chunks": q.get("chunks"), "retaken": q.get("retaken"), "qa_failing": q.get("failed"),
                     "wer_mean": q.get("wer_mean"),
                     "synthesis_speed_x": round(speed, 2) if speed else "cached"})
    return rows
