"""report.json and report.md: per file duration, levels and ACX verdict; totals; synthesis speed."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.speech.cache import write_atomic


def write_reports(root: Path, report: dict) -> None:
    write_atomic(root / "report.json", json.dumps(report, indent=1).encode())
    write_atomic(root / "report.md", render_markdown(report).encode())


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def acx_table(rows: list[dict]) -> str:
    lines = ["| file | duration | RMS dB | true peak dB | noise floor dB | LUFS | head s | tail s | ACX |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        verdict = "pass" if r["passed"] else "FAIL: " + "; ".join(r["problems"])
        lines.append(f"| {r['file']} | {_clock(r['duration_s'])} | {r['rms_db']:.1f} | {r['true_peak_db']:.1f} | "
                     f"{r['noise_floor_db']:.1f} | {r['lufs']:.1f} | {r['head_s']:.2f} | {r['tail_s']:.2f} | {verdict} |")
    return "\n".join(lines)


def render_markdown(report: dict) -> str:
    book, synth, files = report["book"], report["synthesis"], report["files"]
    passed = sum(1 for f in files if f["passed"])
    out = [f"# {book['title']}", "", f"by {', '.join(book['authors'])} · narrated by {report['voice']} "
           f"({report['engine']}, {report['model_revision']})", "",
           f"- Total duration: {_clock(report['duration_s'])} in {len(files)} files",
           f"- ACX check: {passed}/{len(files)} files pass",
           f"- Synthesis: {synth['synthesized']} of {synth['chunks']} chunks synthesised this run "
           f"({synth['reused']} reused from the cache), {synth['audio_s']:.0f} s of speech in "
           f"{synth['wall_s']:.1f} s = {synth['speed']:.1f}× real time",
           f"- End to end: {report['wall_s']:.1f} s wall, {report['duration_s'] / max(report['wall_s'], 1e-9):.1f} "
           "audio-seconds per wall-second", ""]
    if report.get("outputs"):
        out += ["## Files", "", *(f"- `{p}`" for p in report["outputs"]), ""]
    out += ["## ACX technical check", "", acx_table(files), ""]
    if report.get("qa"):
        from pipeline.qa.report import qa_markdown

        out += ["## Quality control (QA)", "", qa_markdown(report["qa"]), ""]
    if report.get("lexicon"):
        from pipeline.lexicon.usage import lexicon_markdown

        out += ["## Pronunciation lexicon", "", lexicon_markdown(report["lexicon"]), ""]
    if report.get("voice_consistency"):
        out += ["## Voice consistency", "", consistency_section(report["voice_consistency"]), ""]
    return "\n".join(out)


def consistency_section(check: dict) -> str:
    """report.json's `voice_consistency`: per file, speaker similarity to the pinned voice."""
    if "skipped" in check:
        return f"Not checked: {check['skipped']}"
    rows = check.get("files", [])
    lines = [f"Speaker similarity of each file to {check['voice']!r} ({check['reference']}; {check['method']}); "
             f"below {check['threshold']:.2f} is flagged. {check['flagged']} of {len(rows)} files flagged.", "",
             "| file | similarity | verdict |", "|---|---:|---|"]
    for r in rows:
        lines.append(f"| {r['file']} | {r['similarity']:.3f} | {'FLAGGED: different voice?' if r['flagged'] else 'ok'} |")
    return "\n".join(lines)
