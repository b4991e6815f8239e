"""Manuscript in, finished audiobook out. Each stage is a plain function over paths, so that the
CLI can run them in one process (overlapping synthesis with mastering) and Prefect can run them
as separate tasks."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from pipeline.errors import PipelineError
from pipeline.faults import fault_point
from pipeline.memory import release_freed_memory, tune_allocator
from pipeline.mastering.layout import layout_track
from pipeline.mastering.measure import Measurement, as_row, judge, measure_file
from pipeline.mastering.render import RenderedPart, render_part
from pipeline.mastering.spec import MasteringSettings
from pipeline.packaging.epub3 import write_book_epub
from pipeline.packaging.m4b import write_m4b
from pipeline.packaging.mp3 import tag_mp3
from pipeline.packaging.report import write_reports
from pipeline.lexicon.usage import book_pronouncer, count_changes, engine_phonemes, lexicon_report
from pipeline.plan import Plan, build_plan, file_sha256, slugify
from pipeline.mastering.spec import OUTPUT_RATE
from pipeline.packaging.captions import file_cues, write_captions
from pipeline.qa.report import chunk_summary, prepare_plotting, qa_report
from pipeline.qa.takes import QALog, resolve_track
from pipeline.speech.cache import ChunkCache, write_atomic
from pipeline.speech.engine import Engine, SynthesisSettings, Voice
from pipeline.speech.engines import DEFAULT_ENGINE, get_engine
from pipeline.stopping import checkpoint
from pipeline.voices.consistency import voice_consistency, warm_up
from pipeline.speech.synthesize import SynthesisProgress, synthesize_plan
from pipeline.book_owner import ManuscriptIdentity, book_folder_for, claim_book_folder
from pipeline.owned_files import replace_mp3_folder
from pipeline.workspace import BookLock, BookPaths

FORMATS = ("m4b", "mp3")  # the default
ALL_FORMATS = (*FORMATS, "epub")  # epub: the read-along EPUB 3 (text + Media Overlays over the MP3s)


class ProduceOptions(BaseModel):
    """Everything a production run takes. Also the Prefect flow's validated parameters."""

    manuscript: Path
    output_root: Path = Path("output")
    engine: str = DEFAULT_ENGINE
    voice: str | None = None  # the engine's default voice when not given
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    seed: int = 0
    speed: float = 1.0
    repin: bool = False  # allow a different voice/engine than the book was produced with
    qa: bool = True  # check every chunk (length, silences, clipping, level, fading, speech recognition); retake failures
    engine_options: dict[str, str | int | float] = Field(default_factory=dict)
    lexicons: list[Path] = Field(default_factory=list)  # --lexicon files, above the ones found (pipeline.lexicon.sources)
    ipa_fallback: str = "alias"  # IPA entries on engines without phonemes: "alias" or "refuse"

    def model_post_init(self, _context: object) -> None:
        unknown = set(self.formats) - set(ALL_FORMATS)
        if unknown or not self.formats:
            raise PipelineError(f"unknown format(s) {', '.join(sorted(unknown)) or '(none)'}; "
                                f"choose from {', '.join(ALL_FORMATS)}")


@dataclass
class ProduceResult:
    root: Path
    outputs: list[Path]
    report: dict
    synthesis: SynthesisProgress
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.passed = all(f["passed"] for f in self.report["files"])


_ENGINES: dict[tuple, Engine] = {}


def load_engine(name: str, options: dict | None = None) -> Engine:
    """One engine per process and configuration: models are slow to load and big in memory."""
    key = (name, tuple(sorted((options or {}).items())))
    if key not in _ENGINES:
        _ENGINES[key] = get_engine(name, **(options or {}))
    return _ENGINES[key]


def release_engines() -> None:
    """Free loaded engines (a Piper session holds ~600 MB of activations; Voxtral, GPU memory) before
    stages that need memory of their own, such as the speaker-embedding check."""
    for engine in _ENGINES.values():
        engine.close()
    _ENGINES.clear()
    release_freed_memory()


def pick_voice(engine: Engine, name: str | None) -> Voice:
    """The engine's default voice, a registry voice (voices/<name>/: the engine gets its own
    reference, the Voice carries the registry's content hash), or one of the engine's own voices."""
    if not name:
        return engine.default_voice()
    from pipeline.voices.registry import resolve

    return resolve(engine, name) or engine.voice(name)


# -- stage 1: manuscript -> plan ---------------------------------------------------------------

def prepare(options: ProduceOptions, on_notice: Callable[[str], None] | None = None) -> BookPaths:
    """Read the manuscript, plan tracks and chunks, write plan.json. Returns the book's paths."""
    paths, lock = prepare_locked(options, on_notice)
    lock.__exit__()
    return paths


def prepare_locked(options: ProduceOptions,
                   on_notice: Callable[[str], None] | None = None) -> tuple[BookPaths, BookLock]:
    """`prepare`, returning with the book's lock held so that no other run interleaves. The book
    goes to the folder its manuscript owns (`pipeline.book_owner`); `on_notice` hears when that is
    not the plain slug because another manuscript holds it."""
    from pipeline.manuscript import read_manuscript

    book = read_manuscript(options.manuscript)
    fault_point("ingest")
    engine = load_engine(options.engine, options.engine_options)
    language = book.language.split("-")[0].lower()
    if language not in engine.languages:
        raise PipelineError(f"the {engine.name} engine cannot speak {book.language!r} ({options.manuscript.name}); "
                            f"it speaks {', '.join(sorted(engine.languages))} — try --engine voxtral")
    voice = pick_voice(engine, options.voice)
    settings = SynthesisSettings(seed=options.seed, speed=options.speed)
    me = ManuscriptIdentity.of(options.manuscript, file_sha256(options.manuscript))
    slug = slugify(book.title)
    pronouncer = book_pronouncer(options.manuscript, book_folder_for(options.output_root, slug, me), voice.name,
                                 engine_phonemes(engine), options.lexicons, options.ipa_fallback)
    plan = build_plan(book, options.manuscript, engine, voice, settings, pronouncer, me.sha256)
    paths, lock = claim_book_folder(options.output_root, plan.slug, me, on_notice)
    plan.slug = paths.slug
    try:
        paths.sweep_temporaries()
        _check_pin(paths, plan, options.repin)
        count_changes(paths.plan, plan)
        plan.save(paths.plan)
        fault_point("plan")
        if book.cover is not None:
            write_atomic(paths.cover_image, book.cover.data)
            write_atomic(paths.cover, json.dumps({"mime": book.cover.mime}).encode())
        else:
            paths.cover.unlink(missing_ok=True)
    except BaseException:
        lock.__exit__()
        raise
    return paths, lock


def _check_pin(paths: BookPaths, plan: Plan, repin: bool) -> None:
    """A book keeps the narrator it was produced with, unless the user explicitly re-pins it."""
    if repin or not paths.manifest.exists():
        return
    try:
        pinned = json.loads(paths.manifest.read_text(encoding="utf-8"))["voice"]
    except (OSError, ValueError, KeyError):
        return
    if (pinned.get("engine"), pinned.get("hash")) != (plan.engine, plan.voice_hash):
        was = f"{pinned.get('name')!r} ({pinned.get('engine')}, voice hash {pinned.get('hash')})"
        now = f"{plan.voice_name!r} ({plan.engine}, voice hash {plan.voice_hash})"
        raise PipelineError(f"{plan.slug} is pinned to voice {was}; refusing to mix in voice {now}. "
                            f"Rerun with --repin to re-render the whole book with {plan.voice_name!r}")


# -- stage 2: plan -> cached speech --------------------------------------------------------------

def synthesize(paths: BookPaths, options: ProduceOptions, tracks: set[int] | None = None,
               on_progress: Callable[[SynthesisProgress], None] | None = None,
               on_track_ready: Callable[[int], None] | None = None) -> SynthesisProgress:
    plan = Plan.load(paths.plan)
    engine = load_engine(plan.engine, options.engine_options)
    voice = pick_voice(engine, plan.voice_name if options.voice else None)
    return synthesize_plan(plan, engine, voice, ChunkCache(paths.cache), on_progress, on_track_ready, tracks,
                           qa=options.qa)


# -- stage 3: speech -> mastered, encoded, measured parts -------------------------------------

def master_track(paths: BookPaths, plan: Plan, index: int, cache: ChunkCache | None = None,
                 settings: MasteringSettings = MasteringSettings()) -> list[tuple[RenderedPart, Measurement]]:
    cache = cache or ChunkCache(paths.cache)
    track = resolve_track(plan.tracks[index], QALog(paths.cache), cache)  # each chunk's chosen take
    done = []
    for part in layout_track(track, cache.entries, settings):
        rendered = render_part(part, cache, settings, paths.render)
        done.append((rendered, measure_file(Path(rendered.mp3))))
    release_freed_memory()  # a chapter's buffers, before the next chapter's
    return done


# -- stage 4: parts -> audiobook ------------------------------------------------------------------

def package(paths: BookPaths, options: ProduceOptions, mastered: list[tuple[RenderedPart, Measurement]],
            synthesis: SynthesisProgress, wall_s: float) -> ProduceResult:
    release_engines()  # synthesis is over; the checks below load models of their own
    plan = Plan.load(paths.plan)
    mastered = sorted(mastered, key=lambda pm: (pm[0].track, pm[0].number))
    parts_per_track = {}
    for rendered, _ in mastered:
        parts_per_track[rendered.track] = parts_per_track.get(rendered.track, 0) + 1
    titles = []
    for rendered, _ in mastered:
        title = plan.tracks[rendered.track].title
        titles.append(f"{title} (part {rendered.number})" if parts_per_track[rendered.track] > 1 else title)
    cover = paths.read_cover()
    info = plan.book
    year = (info.date or "")[:4] if (info.date or "")[:4].isdigit() else ""
    narrator = plan.voice_name.title()
    tags = {"album": info.title, "title": info.title, "artist": ", ".join(info.authors) or "Unknown author",
            "album_artist": ", ".join(info.authors) or "Unknown author", "narrator": narrator, "year": year,
            "genre": "Audiobook", "description": info.description or "", "comment": f"Narrated by {narrator}"}
    width = max(2, len(str(len(mastered))))
    mp3_names = [f"{n:0{width}d} - {safe_filename(title)}.mp3" for n, title in enumerate(titles, start=1)]
    names = mp3_names if "mp3" in options.formats else [m.file for _, m in mastered]
    # The voice check and the QA plots only read the mastered parts: they run beside the packaging.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="report") as side:
        consistency = side.submit(voice_consistency, plan, [Path(r.mp3) for r, _ in mastered], names)
        qa = side.submit(qa_report, plan, paths.cache, [r for r, _ in mastered], names, paths.root / "qa", options.qa)
        outputs: list[Path] = []
        if "mp3" in options.formats:
            _write_mp3s(paths, mastered, titles, mp3_names, tags, cover, info.language)
            outputs += [paths.mp3_dir / name for name in mp3_names]
        marks = []
        if "m4b" in options.formats:
            pieces = [(title, Path(rendered.aac)) for (rendered, _), title in zip(mastered, titles)]
            leaf_marks = {c.id: c.mark for c in plan.chunks if c.mark}  # grouped tiny leaves
            inner = [[(t.start, leaf_marks[t.id]) for t in r.timings if t.id in leaf_marks] for r, _ in mastered]
            marks = write_m4b(pieces, paths.m4b, tags, cover, paths.work, inner)
            outputs.append(paths.m4b)
            write_captions(paths.root / plan.slug, [cue for (r, _), mark in zip(mastered, marks) for cue in file_cues(
                [asdict(t) for t in r.timings], info.language, offset=mark.start / OUTPUT_RATE)])
        if "epub" in options.formats:
            outputs.append(write_book_epub(paths.root, paths.work, plan, [r for r, _ in mastered], cover))
        rows = []
        for i, (rendered, measured) in enumerate(mastered):
            row = as_row(measured, judge(measured))
            row["file"] = names[i]
            row["track"], row["title"] = rendered.track, titles[i]
            rows.append(row)
        duration = sum(r.duration for r, _ in mastered)
        qa_log, chunk_keys = QALog(paths.cache), {c.id: c.key for c in plan.chunks}
        report = {"book": info.model_dump(), "engine": plan.engine, "model_revision": plan.model_revision,
                  "voice": plan.voice_name, "duration_s": duration, "wall_s": wall_s, "files": rows,
                  "outputs": [str(p.relative_to(paths.root)) for p in outputs],
                  "synthesis": {"chunks": synthesis.total, "synthesized": synthesis.synthesized,
                                "reused": synthesis.total - synthesis.synthesized, "audio_s": synthesis.audio_s,
                                "wall_s": synthesis.wall_s, "speed": synthesis.speed},
                  "lexicon": lexicon_report(plan)}
        manifest = {"slug": plan.slug, "source": plan.source, "source_sha256": plan.source_sha256,
                    "book": info.model_dump(),
                    "voice": {"name": plan.voice_name, "engine": plan.engine, "hash": plan.voice_hash},
                    "engine": plan.engine, "model_revision": plan.model_revision,
                    "settings": asdict(plan.settings), "mastering": asdict(MasteringSettings()),
                    "files": [{"file": rows[i]["file"], "track": r.track, "part": r.number, "title": titles[i],
                               "duration_s": r.duration,
                               "m4b_start_s": (marks[i].start / OUTPUT_RATE) if marks else None,
                               "chunks": [{**asdict(t), "qa": chunk_summary(qa_log.get(chunk_keys.get(t.id, "")))}
                                          for t in r.timings]} for i, (r, _) in enumerate(mastered)]}
        fault_point("manifest")
        write_atomic(paths.manifest, json.dumps(manifest, indent=1).encode())
        report["voice_consistency"] = consistency.result()
        report["qa"] = qa.result()
    report["qa"].update(retakes_this_run=synthesis.retakes, qa_s=round(synthesis.qa_s, 2))
    write_reports(paths.root, report)
    return ProduceResult(root=paths.root, outputs=outputs, report=report, synthesis=synthesis)


def _write_mp3s(paths: BookPaths, mastered: list[tuple[RenderedPart, Measurement]], titles: list[str],
                names: list[str], tags: dict[str, str], cover: tuple[bytes, str] | None, language: str) -> None:
    """Tagged MP3s with their captions, staged in .work/ and swapped into mp3/ whole."""
    staging = paths.work / "mp3.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for n, ((rendered, _), title, name) in enumerate(zip(mastered, titles, names), start=1):
        checkpoint()
        target = staging / name
        shutil.copyfile(rendered.mp3, target)
        tag_mp3(target, {**tags, "track_title": title}, n, len(mastered), cover)
        write_captions(staging / Path(name).stem, file_cues([asdict(t) for t in rendered.timings], language))
        fault_point("mp3")
    replace_mp3_folder(paths, staging)


def safe_filename(title: str) -> str:
    title = title.replace("–", "-").replace("—", "-")  # "Song 1 – Song 3", a group of tiny leaves
    cleaned = "".join(ch if ch.isalnum() or ch in " -_,.'()!&" else " " for ch in title)
    return " ".join(cleaned.split())[:100].strip(" .") or "Track"


# -- all stages, overlapped -----------------------------------------------------------------------

def produce(options: ProduceOptions, on_progress: Callable[[SynthesisProgress], None] | None = None,
            on_notice: Callable[[str], None] | None = None) -> ProduceResult:
    """Run every stage. Tracks are mastered on a second thread as soon as their chunks are cached,
    so the encoder and the meters run while the engine keeps synthesising."""
    began = time.perf_counter()
    tune_allocator()
    paths, lock = prepare_locked(options, on_notice)
    release_freed_memory()  # the parsed manuscript
    with lock:
        plan = Plan.load(paths.plan)
        cache = ChunkCache(paths.cache)
        futures: list[Future] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="master") as pool:
            def ready(index: int) -> None:
                futures.append(pool.submit(master_track, paths, plan, index, cache))

            engine = load_engine(plan.engine, options.engine_options)
            voice = pick_voice(engine, options.voice)
            try:
                progress = synthesize_plan(plan, engine, voice, cache, on_progress, ready, qa=options.qa)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
            release_engines()  # before the voice check's model loads
            # While the last tracks are mastered, the QA plots' import and the voice check's
            # embeddings of the files already done run on the core mastering leaves idle.
            checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-up")
            checks.submit(prepare_plotting)
            checks.submit(warm_up, (Path(rendered.mp3) for f in futures for rendered, _ in f.result()))
            checks.shutdown(wait=False)
            mastered = [pm for f in futures for pm in f.result()]
        return package(paths, options, mastered, progress, time.perf_counter() - began)
