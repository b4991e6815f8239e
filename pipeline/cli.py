"""The `audiobook` command."""

from __future__ import annotations

from pipeline import startup

startup.begin()  # before the heavy imports: a Ctrl-C from here on is one line, exit 130

import errno
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from pipeline import stopping
from pipeline.control_characters import strip_controls
from pipeline.errors import DiskFull, PipelineError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Turn manuscripts (EPUB, text, Markdown) into mastered, chaptered audiobooks.")
console = Console()
errors = Console(stderr=True)
T = TypeVar("T")
LexiconOption = Annotated[list[Path] | None, typer.Option(
    "--lexicon", help="Pronunciation lexicon (.pls or .toml); repeatable, later ones win. Also found: "
    "voices/<voice>/lexicon.*, <manuscript stem>.pls|.lexicon.toml, OUTPUT/<slug>/lexicon.*.")]


def shown(value: object) -> str:
    """Text from a manuscript or an error, safe to print: no terminal escapes, no rich markup."""
    return escape(strip_controls(str(value)))


def _run(action: Callable[[], T]) -> T:
    """User-facing errors become one line and a non-zero exit, never a traceback."""
    startup.end()
    try:
        return action()
    except PipelineError as exc:
        errors.print(f"[red]error:[/red] {shown(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        errors.print("interrupted: finished chunks are kept; run the same command again to resume")
        raise typer.Exit(130) from None
    except OSError as exc:
        name = f" {exc.filename}" if exc.filename else ""
        message = f" {DiskFull(exc.filename)}" if exc.errno == errno.ENOSPC and exc.filename else \
            f"{shown(name)}: {shown(exc.strerror or exc)}"
        errors.print(f"[red]error:[/red]{message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except Exception as exc:  # a bug: say so in one line; AUDIOBOOK_DEBUG=1 shows the traceback
        if os.environ.get("AUDIOBOOK_DEBUG"):
            raise
        errors.print(f"[red]internal error:[/red] {type(exc).__name__}: {shown(exc)} (set AUDIOBOOK_DEBUG=1 for details)",
                     highlight=False, soft_wrap=True)
        raise typer.Exit(70) from None


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="Manuscript: .epub, .txt or .md", readable=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    chunks: Annotated[bool, typer.Option("--chunks", help="With --json: include each chapter's chunks.")] = False,
    # At least chunking.DEFAULT_MIN_CHARS: shorter sentences are merged up to it.
    max_chars: Annotated[int, typer.Option(min=20, help="Chunk size limit (characters).")] = 400,
    lexicon: LexiconOption = None,
    engine: Annotated[str, typer.Option(help="Engine whose pronunciations --chunks shows (IPA or alias).")] = "piper",
    output: Annotated[Path, typer.Option(help="Output root holding OUTPUT/<slug>/lexicon.*.")] = Path("output"),
) -> None:
    """Show a manuscript's metadata and the chapters that will be read."""

    def action() -> None:
        from pipeline.chunks import book_summary, chunk_book, tree_rows
        from pipeline.lexicon.usage import book_pronouncer_for
        from pipeline.manuscript import read_manuscript

        book = read_manuscript(path)
        pronouncer = book_pronouncer_for(book, path, output, engine, None, lexicon or [])
        summary = book_summary(book, chunk_book(book, max_chars=max_chars), with_chunks=chunks,
                               pronunciations=lambda text: pronouncer.apply(text).pronunciations)
        if as_json:
            sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
            return
        console.print(f"[bold]{shown(book.title)}[/bold] by {shown(book.author)}  ·  language {shown(book.language)}",
                      highlight=False)
        for label, value in (("publisher", book.publisher), ("date", book.date)):
            if value:
                console.print(f"{label}: {shown(value)}", highlight=False)
        cover = f"yes ({book.cover.mime}{'; ' + book.cover_note if book.cover_note else ''})" if book.cover else None
        console.print(f"cover: {shown(cover or book.cover_note or 'none')}",
                      highlight=False)
        table = Table("#", "title", "kind", "words", "est. duration")
        for chapter, depth, title in tree_rows(summary):  # parents as unnumbered rows, children indented
            if chapter is None:
                table.add_row("", "  " * depth + f"[bold]{shown(title)}[/bold]", "", "", "")
                continue
            minutes = chapter.get("duration_s", chapter["words"] / 155 * 60) / 60
            table.add_row(str(chapter["index"]), "  " * depth + shown(title), chapter["kind"], str(chapter["words"]),
                          f"{minutes:.1f} min")
        console.print(table)
        if summary["skipped"]:
            console.print("not read: " + ", ".join(f"{s['what']} ({s['reason']}, {s['words']} words)"
                                                   for s in summary["skipped"]), highlight=False)
        total = sum(c["words"] for c in summary["chapters"])
        console.print(f"{len(book.chapters)} chapters, {total} words, about {total / 155 / 60:.1f} hours")

    _run(action)


@app.command()
def produce(
    path: Annotated[Path, typer.Argument(help="Manuscript: .epub, .txt or .md", readable=False)],
    voice: Annotated[str | None, typer.Option(help="Narrator voice (default: the engine's own).")] = None,
    engine: Annotated[str, typer.Option(help="Speech engine: piper (embedded), voxtral, mistral or vllm-omni.")] = "piper",
    output: Annotated[Path, typer.Option(help="Output root; the book goes to OUTPUT/<slug>/.")] = Path("output"),
    format: Annotated[str, typer.Option("--format", help="Comma-separated: m4b,mp3,epub (epub: read-along EPUB 3 with Media Overlays).")] = "m4b,mp3",
    seed: Annotated[int, typer.Option(help="Base seed for stochastic engines.")] = 0,
    repin: Annotated[bool, typer.Option(help="Allow a different voice/engine than the book was made with.")] = False,
    qa: Annotated[bool, typer.Option("--qa/--no-qa", help="Check every chunk (length, silences, clipping, "
                                     "level, fading, speech recognition) and retake failures.")] = True,
    prefect: Annotated[bool | None, typer.Option(
        "--prefect/--no-prefect", help="Run as the produce-audiobook Prefect flow, visible in the UI "
        "(default: on when PREFECT_API_URL points at a server).")] = None,
    lexicon: LexiconOption = None,
    ipa_fallback: Annotated[str, typer.Option(help="IPA entries on engines without phoneme input: "
                                              "alias (say the entry's alias) or refuse.")] = "alias",
) -> None:
    """Produce a finished audiobook: synthesis, mastering to ACX, MP3 + M4B, report."""
    stopping.install()

    formats = [f.strip() for f in format.split(",") if f.strip()]
    if prefect if prefect is not None else bool(os.environ.get("PREFECT_API_URL")):
        _run(lambda: _produce_with_prefect(path, output, engine, voice, formats, seed, repin, qa, lexicon or [],
                                           ipa_fallback))
        return

    def action() -> None:
        from pipeline.produce import ProduceOptions
        from pipeline.produce import produce as run_produce

        options = ProduceOptions(manuscript=path, output_root=output, engine=engine, voice=voice,
                                 formats=formats, seed=seed, repin=repin, qa=qa, lexicons=lexicon or [],
                                 ipa_fallback=ipa_fallback)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[audio]}"), TextColumn("{task.fields[speed]}"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=errors, transient=False) as bar:
            task = bar.add_task("chunks", total=None, audio="", speed="")

            def show(p) -> None:  # noqa: ANN001 - SynthesisProgress
                bar.update(task, total=p.total, completed=p.done, audio=f"{p.audio_s / 3600:.2f} h audio",
                           speed=f"{p.speed:.1f}× real time" if p.wall_s else "")

            result = run_produce(options, on_progress=show,
                                 on_notice=lambda note: errors.print(f"note: {note}", highlight=False, soft_wrap=True))
        _print_acx(result.report["files"])
        for out in result.outputs[-1:] + result.outputs[:-1] if result.outputs else []:
            console.print(f"wrote {out}", highlight=False)
        console.print(f"report: {result.root / 'report.md'}", highlight=False)
        _print_lexicon(result.report.get("lexicon"))
        if not result.passed:
            raise PipelineError("some files fail the ACX check (see the report)")

    _run(action)


def _print_lexicon(section: dict | None) -> None:
    if section and section["files"]:
        changed = section.get("changed_chunks")
        console.print(f"lexicon: {section['entries']} entries from {len(section['files'])} file(s), "
                      f"{sum(a['times'] for a in section['applied'])} words replaced"
                      + (f"; the lexicon change touched {changed} chunk(s)" if changed is not None else ""),
                      highlight=False)


def _produce_with_prefect(path: Path, output: Path, engine: str, voice: str | None, formats: list[str], seed: int,
                          repin: bool, qa: bool, lexicons: list[Path], ipa_fallback: str) -> None:
    """The same run as the produce-audiobook flow, so it shows in the Prefect UI with its artifacts."""
    from flows.local_run import produce_with_flow

    errors.print("running as the produce-audiobook Prefect flow; progress is in the UI's artifacts")
    summary, rows = produce_with_flow(manuscript=str(path), output_root=str(output), engine=engine, voice=voice,
                                      formats=formats, seed=seed, repin=repin, qa=qa,
                                      lexicons=[str(p) for p in lexicons], ipa_fallback=ipa_fallback)
    _print_acx(rows)
    for out in summary["outputs"]:
        console.print(f"wrote {out}", highlight=False)
    console.print(f"report: {Path(summary['root']) / 'report.md'}", highlight=False)
    if not summary["passed"]:
        raise PipelineError("some files fail the ACX check (see the report)")


@app.command()
def check(folder: Annotated[Path, typer.Argument(help="A produced book: OUTPUT/<slug>")]) -> None:
    """Re-measure a produced audiobook's files against ACX; exit 0 only if every file passes."""

    def action() -> None:
        from pipeline.mastering.measure import as_row, judge, measure_file
        from pipeline.packaging.epubcheck import validate_epubs

        if not folder.is_dir():
            raise PipelineError(f"{folder} is not a folder")
        files = sorted((folder / "mp3").glob("*.mp3")) or sorted(folder.glob("*.mp3"))
        if not files:
            raise PipelineError(f"no MP3 files in {folder} (expected {folder / 'mp3'}/*.mp3)")
        rows = [as_row(m, judge(m)) for m in map(measure_file, files)]
        _print_acx(rows)
        failed = [r["file"] for r in rows if not r["passed"]]
        epub_lines, epub_passed = validate_epubs(folder)  # the read-along EPUB, when epubcheck is installed
        for line in epub_lines:
            console.print(line, highlight=False)
        if failed:
            raise PipelineError(f"{len(failed)} of {len(rows)} files fail the ACX check")
        console.print(f"all {len(rows)} files pass the ACX check")
        if not epub_passed:
            raise PipelineError("the EPUB fails epubcheck (see above)")

    _run(action)


def _print_acx(rows: list[dict]) -> None:
    table = Table("file", "duration", "RMS dB", "peak dB", "floor dB", "head s", "tail s", "ACX")
    for r in rows:
        table.add_row(r["file"], f"{r['duration_s'] / 60:.1f} min", f"{r['rms_db']:.1f}", f"{r['true_peak_db']:.1f}",
                      f"{r['noise_floor_db']:.1f}", f"{r['head_s']:.2f}", f"{r['tail_s']:.2f}",
                      "[green]pass[/green]" if r["passed"] else "[red]" + "; ".join(r["problems"]) + "[/red]")
    console.print(table)


@app.command()
def words(
    path: Annotated[Path, typer.Argument(help="Manuscript: .epub, .txt or .md", readable=False)],
    lexicon: LexiconOption = None,
    engine: Annotated[str, typer.Option(help="Engine whose pronunciation is shown (and used by --sample).")] = "piper",
    voice: Annotated[str | None, typer.Option(help="Narrator voice (its folder's lexicon applies).")] = None,
    output: Annotated[Path, typer.Option(help="Output root holding OUTPUT/<slug>/lexicon.*.")] = Path("output"),
    limit: Annotated[int, typer.Option(help="How many words to list.")] = 40,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    sample: Annotated[str | None, typer.Option(help="Render WORD's first sentence with the current lexicon.")] = None,
    sample_out: Annotated[Path | None, typer.Option(help="Where --sample writes (default: <word>-sample.wav).")] = None,
) -> None:
    """The words to check before a long render: names and words missing from a pronouncing
    dictionary, most frequent first, with where they first occur and how the engine says them now."""

    def action() -> None:
        from pipeline.lexicon.words_command import list_words, render_sample, words_table

        if sample:
            out = render_sample(path, sample, lexicon or [], engine, voice, output, sample_out)
            console.print(f"wrote {out.path}: {out.sentence!r}" + (f" /{out.phonemes}/" if out.phonemes else ""),
                          highlight=False, markup=False)
            return
        found = list_words(path, lexicon or [], engine, voice, output, limit)
        if as_json:
            sys.stdout.write(json.dumps([w.as_dict() for w in found], ensure_ascii=False, indent=1) + "\n")
            return
        console.print(words_table(found))

    _run(action)


voices_app = typer.Typer(no_args_is_help=True, help="Narrator voices: the registry in voices/ ($AUDIOBOOK_VOICES_DIR).")
app.add_typer(voices_app, name="voices")


@voices_app.command("list")
def voices_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Enrolled voices, and the built-in ones (Piper's joe; Voxtral presets when the weights are present)."""

    def action() -> None:
        from pipeline.voices import registry

        rows = [{"name": r.name, "engine": r.engine or "any cloning engine", "kind": "enrolled", "hash": r.hash,
                 "languages": r.languages, "speech_s": r.clip_report.get("speech_s"), "refs": r.refs}
                for r in registry.list_records()]
        rows += [{**b, "hash": None, "languages": [], "speech_s": None, "refs": {}} for b in registry.builtin_voices()]
        if as_json:
            sys.stdout.write(json.dumps(rows, indent=1) + "\n")
            return
        table = Table("name", "kind", "engine", "hash", "languages", "clip", "registered with")
        for r in rows:
            table.add_row(r["name"], r["kind"], r["engine"], r["hash"] or "", ",".join(r["languages"]),
                          f"{r['speech_s']:.1f} s" if r["speech_s"] else "", ", ".join(r["refs"]))
        console.print(table)
        console.print(f"registry: {registry.voices_root()}", highlight=False)

    _run(action)


@voices_app.command("show")
def voices_show(name: Annotated[str, typer.Argument(help="Voice name")]) -> None:
    """A voice's manifest: engine, references, content hash, clip measurements."""

    def action() -> None:
        from pipeline.voices import registry

        record = registry.load(name)
        if record is None:
            builtin = [b for b in registry.builtin_voices() if b["name"] == name]
            if not builtin:
                raise PipelineError(f"no voice {name!r} in {registry.voices_root()} and no built-in voice of that name")
            sys.stdout.write(json.dumps(builtin, indent=1) + "\n")
            return
        sys.stdout.write(json.dumps({**record.model_dump(), "folder": str(record.folder())}, indent=1) + "\n")

    _run(action)


@voices_app.command("enroll")
def voices_enroll(
    name: Annotated[str, typer.Argument(help="New voice name (lower-case letters, digits, - and _)")],
    clip: Annotated[Path, typer.Option(help="Reference recording: 3-30 s of clean speech, any common format.")],
    engine: Annotated[str | None, typer.Option(help="Register it with this engine now (mistral uploads the clip; "
                                                    "needs MISTRAL_API_KEY). Default: local only, uploaded on first use.")] = None,
    transcript: Annotated[str | None, typer.Option(help="What the clip says.")] = None,
    language: Annotated[str, typer.Option(help="Language(s) of the voice, comma-separated.")] = "en",
) -> None:
    """Check a reference clip and store it as a new voice (nothing is stored if the clip is refused)."""

    def action() -> None:
        from pipeline.voices import registry

        record = registry.enroll(name, clip, engine=engine, transcript=transcript,
                                 languages=[x for x in language.split(",") if x.strip()])
        rep = record.clip_report
        console.print(f"enrolled {record.name!r}: hash {record.hash}, {rep['speech_s']:.1f} s of speech "
                      f"({rep['source_rate']} Hz, SNR {rep['snr_db']:.0f} dB, noise floor {rep['noise_floor_db']:.0f} dB)"
                      + (f", {record.engine} voice id {record.refs[record.engine]}" if record.engine else ""),
                      highlight=False)
        console.print(f"stored in {record.folder()}", highlight=False)

    _run(action)


@voices_app.command("remove")
def voices_remove(name: Annotated[str, typer.Argument(help="Voice name")]) -> None:
    """Delete an enrolled voice's folder (books already produced keep their audio and their pin)."""

    def action() -> None:
        from pipeline.voices import registry

        record = registry.remove(name)
        console.print(f"removed {record.name!r} ({record.hash})", highlight=False)
        for engine_name, ref in record.refs.items():
            console.print(f"note: the {engine_name} copy ({ref}) was not deleted from the service", highlight=False)

    _run(action)


if __name__ == "__main__":
    app()
