"""End to end with the embedded voice: chapters, tags, cover and levels read back from the files."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from pipeline.mastering.encode import ffmpeg_exe
from pipeline.produce import ProduceOptions, produce
from tests.conftest import write_book
from tests.manuscript.manuscript_epub_builder import SVG_COVER, Doc, EpubSpec, build_epub, xhtml


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book")
    spec = EpubSpec(
        title="The Small Hours", authors=["Jo Writer"], description="Two tiny chapters.",
        docs=[Doc("c1.xhtml", xhtml('<section epub:type="chapter"><h2>I</h2><p>The clock struck one. '
                                    'Nobody in the house was asleep.</p></section>', "bodymatter")),
              Doc("c2.xhtml", xhtml('<section epub:type="chapter"><h2>II</h2><p>At two, the dog barked '
                                    'at the moon, twice.</p></section>', "bodymatter"))],
        toc=[("I", "c1.xhtml", []), ("II", "c2.xhtml", [])],
        cover=("cover.svg", SVG_COVER, "image/svg+xml"))
    manuscript = build_epub(folder / "small-hours.epub", spec)
    result = produce(ProduceOptions(manuscript=manuscript, output_root=folder / "out"))
    return result


def test_files_are_where_the_layout_says(produced):
    root = produced.root
    assert root.name == "the-small-hours"
    names = sorted(p.name for p in (root / "mp3").glob("*.mp3"))
    assert names == ["01 - Opening Credits.mp3", "02 - Chapter I.mp3", "03 - Chapter II.mp3",
                     "04 - Closing Credits.mp3"]
    for name in ("the-small-hours.m4b", "manifest.json", "report.md", "report.json"):
        assert (root / name).is_file()
    assert produced.passed


def test_m4b_has_a_marker_per_track_with_titles_cover_and_tags(produced):
    m4b = produced.root / "the-small-hours.m4b"
    audio = MP4(str(m4b))
    titles = [c.title for c in audio.chapters]
    assert titles == ["Opening Credits", "Chapter I", "Chapter II", "Closing Credits"]
    starts = [c.start for c in audio.chapters]
    manifest = json.loads((produced.root / "manifest.json").read_text())
    expected = [f["m4b_start_s"] for f in manifest["files"]]
    assert starts == pytest.approx(expected, abs=0.03)
    assert audio["\xa9nam"] == ["The Small Hours"] and audio["\xa9ART"] == ["Jo Writer"]
    assert audio["\xa9wrt"] == ["Joe"] and audio["stik"] == [2] and audio["desc"] == ["Two tiny chapters."]
    assert audio["covr"][0][:3] == b"\xff\xd8\xff"  # the SVG cover, rendered and made a square JPEG
    # ffmpeg (what ffprobe -show_chapters reads) sees the same chapters.
    log = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(m4b)], capture_output=True, text=True).stderr
    assert re.findall(r"title\s+: (Chapter I+|Opening Credits|Closing Credits)", log) == titles
    assert audio.info.length == pytest.approx(sum(f["duration_s"] for f in manifest["files"]), abs=0.5)


def test_mp3_tags_and_format(produced):
    path = produced.root / "mp3" / "02 - Chapter I.mp3"
    info = MP3(str(path)).info
    assert info.sample_rate == 44100 and info.channels == 1 and abs(info.bitrate - 192000) <= 1000
    tags = ID3(str(path))
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Chapter I" and str(tags["TALB"]) == "The Small Hours"
    assert str(tags["TPE1"]) == "Jo Writer" and str(tags["TPE2"]) == "Jo Writer"
    assert str(tags["TRCK"]) == "2/4" and str(tags["TCON"]) == "Audiobook" and str(tags["TCOM"]) == "Joe"
    cover = tags.getall("APIC")[0]
    assert cover.data[:3] == b"\xff\xd8\xff" and cover.mime == "image/jpeg"


def test_manifest_and_report_describe_the_run(produced):
    manifest = json.loads((produced.root / "manifest.json").read_text())
    assert manifest["voice"]["engine"] == "piper" and manifest["voice"]["hash"]
    chunk_texts = [c["text"] for f in manifest["files"] for c in f["chunks"]]
    assert any("clock struck one" in t for t in chunk_texts)
    for f in manifest["files"]:
        ends = [c["end"] for c in f["chunks"]]
        assert ends == sorted(ends) and ends[-1] < f["duration_s"]
    report = json.loads((produced.root / "report.json").read_text())
    assert len(report["files"]) == 4 and all(f["passed"] for f in report["files"])
    assert report["synthesis"]["synthesized"] == report["synthesis"]["chunks"] > 0
    md = (produced.root / "report.md").read_text()
    assert "| file |" in md and "4/4 files pass" in md


def test_check_command_passes_the_produced_book(produced):
    from tests.conftest import run_cli

    done = run_cli("check", str(produced.root))
    assert done.returncode == 0, done.stderr
    assert "all 4 files pass" in done.stdout


def test_language_the_engine_cannot_speak_is_refused(tmp_path):
    book = write_book(tmp_path)
    book.write_text(book.read_text().replace("language: en", "language: fr"))
    from tests.conftest import run_cli

    done = run_cli("produce", str(book), "--output", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "cannot speak 'fr'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "a-tiny-test-book" / "mp3").exists()


@pytest.fixture(scope="module")
def produced_songs(tmp_path_factory):
    """Five tiny poems under a part: one track, with an M4B chapter marker per poem."""
    folder = tmp_path_factory.mktemp("songs")
    songs = [Doc(f"s{n}.xhtml", xhtml(f'<section epub:type="chapter"><h3>Song {n}</h3><p>Sing of the {word} '
                                      f'hour,<br/>and sing it low.</p></section>', "bodymatter"))
             for n, word in ((1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (5, "fifth"))]
    spec = EpubSpec(title="Five Songs", authors=["Jo Writer"],
                    docs=[Doc("part.xhtml", xhtml('<section epub:type="part"><h2>Songs</h2></section>')), *songs],
                    toc=[("Songs", "part.xhtml", [(f"Song {n}", f"s{n}.xhtml", []) for n in range(1, 6)])])
    return produce(ProduceOptions(manuscript=build_epub(folder / "songs.epub", spec), output_root=folder / "out",
                                  qa=False))


def test_grouped_tiny_leaves_have_a_marker_each_in_the_m4b(produced_songs):
    root = produced_songs.root
    assert sorted(p.name for p in (root / "mp3").glob("*.mp3")) == [
        "01 - Opening Credits.mp3", "02 - Songs, Song 1 - Song 5.mp3", "03 - Closing Credits.mp3"]
    audio = MP4(str(root / "five-songs.m4b"))
    titles = [c.title for c in audio.chapters]
    assert titles == ["Opening Credits", *(f"Songs, Song {n}" for n in range(1, 6)), "Closing Credits"]
    starts = [c.start for c in audio.chapters]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    # Each marker after the first in the group starts where that song's title is heard (its caption cue).
    cues = (root / "five-songs.vtt").read_text()
    for title, start in zip(titles[2:6], starts[2:6]):
        spoken = "Song " + {"2": "Two", "3": "Three", "4": "Four", "5": "Five"}[title[-1]]
        stamp = re.search(rf"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> [^\n]+\n{spoken}\n", cues)
        assert stamp, spoken
        h, m, s, ms = map(int, stamp.groups())
        assert h * 3600 + m * 60 + s + ms / 1000 == pytest.approx(start, abs=0.05)
