"""The read-along EPUB 3, end to end: the bundled sample and a trimmed Standard Ebooks book produced
with --format epub, then read back as a reading system would (SMIL pars, text ids, clips in the
decoded audio), validated with epubcheck, and one page rendered in headless Chromium."""

from __future__ import annotations

import posixpath
import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from pipeline.book import Paragraph
from pipeline.chunks.chunking import spoken_text
from pipeline.chunks.normalize import normalizer_for
from pipeline.chunks.normalize.punctuation import collapse_whitespace
from pipeline.mastering.encode import ffmpeg_exe
from pipeline.packaging.captions import parse_vtt
from pipeline.packaging.epub3 import ACTIVE_CLASS
from pipeline.packaging.epubcheck import problems, run_epubcheck
from tests.conftest import SAMPLE_BOOK, SHARED, run_cli, system_tool

FRANKENSTEIN = SHARED / "books" / "mary-shelley_frankenstein.epub"
# A few short documents: front matter read as tracks, one letter, and the endnotes (kept as text).
KEEP = ("titlepage.xhtml", "dedication.xhtml", "epigraph.xhtml", "letter-3.xhtml", "endnotes.xhtml",
        "colophon.xhtml")
NS = {"opf": "http://www.idpf.org/2007/opf", "smil": "http://www.w3.org/ns/SMIL",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def trimmed_epub(source: Path, target: Path, keep: tuple[str, ...]) -> Path:
    """A copy of `source` whose spine holds only the `keep` documents (the rest stay unread in the zip)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.endswith(".opf"):
                opf = etree.fromstring(data)
                for ref in opf.findall(".//opf:spine/opf:itemref", NS):
                    if ref.get("idref") not in keep:
                        ref.getparent().remove(ref)
                data = etree.tostring(opf, xml_declaration=True, encoding="utf-8")
            new.writestr(info, data)
    return target


def produce_book(manuscript: Path, output_root: Path, formats: list[str]):
    from pipeline.produce import ProduceOptions, produce

    return produce(ProduceOptions(manuscript=manuscript, output_root=output_root, formats=formats, qa=False))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readalong-sample")
    return produce_book(SAMPLE_BOOK, folder / "out", ["m4b", "mp3", "epub"])


@pytest.fixture(scope="module")
def frankenstein(tmp_path_factory):
    if not FRANKENSTEIN.is_file():
        pytest.skip(f"{FRANKENSTEIN} is not there")
    folder = tmp_path_factory.mktemp("readalong-se")
    manuscript = trimmed_epub(FRANKENSTEIN, folder / "frankenstein-trimmed.epub", KEEP)
    return produce_book(manuscript, folder / "out", ["mp3", "epub"])


class Readalong:
    """An unpacked read-along EPUB: package, documents, overlays, decoded audio."""

    def __init__(self, epub: Path, folder: Path):
        with zipfile.ZipFile(epub) as archive:
            self.names = archive.namelist()
            archive.extractall(folder)
        container = etree.parse(str(folder / "META-INF" / "container.xml")).getroot()
        package = next(e.get("full-path") for e in container.iter() if e.get("full-path"))
        self.base = folder / posixpath.dirname(package)
        self.opf = etree.parse(str(folder / package)).getroot()
        self.items = {i.get("id"): i for i in self.opf.findall(".//opf:manifest/opf:item", NS)}
        self.spine = [r.get("idref") for r in self.opf.findall(".//opf:spine/opf:itemref", NS)]
        self._audio: dict[str, np.ndarray] = {}

    def meta(self, prop: str, refines: str | None = None) -> list[str]:
        return [m.text for m in self.opf.findall(".//opf:metadata/opf:meta", NS)
                if m.get("property") == prop and m.get("refines") == refines]

    def documents_with_overlays(self) -> list[tuple[etree._Element, etree._Element]]:
        found = []
        for item_id in self.spine:
            item = self.items[item_id]
            if item.get("media-overlay"):
                smil = self.items[item.get("media-overlay")]
                found.append((item, smil))
        return found

    def xhtml(self, href: str) -> etree._Element:
        return etree.parse(str(self.base / href)).getroot()

    @staticmethod
    def resolve(start: str, href: str) -> str:
        """`href` as written in the document at `start` (both relative to the package document)."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(start), href))

    def smil(self, href: str) -> etree._Element:
        return etree.parse(str(self.base / href)).getroot()

    def audio(self, src: str) -> np.ndarray:
        """The MP3 decoded the way players decode it (ffmpeg honours the encoder delay), 44.1 kHz mono."""
        if src not in self._audio:
            raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(self.base / src), "-f", "f32le", "-ac", "1",
                                  "-ar", "44100", "-"], capture_output=True, check=True).stdout
            self._audio[src] = np.frombuffer(raw, dtype=np.float32)
        return self._audio[src]


def seconds(clock: str) -> float:
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def pars(smil: etree._Element) -> list[tuple[str, str, float, float]]:
    """(text src, audio src, clipBegin, clipEnd) in order."""
    out = []
    for par in smil.iterfind(".//smil:par", NS):
        text, audio = par.find("smil:text", NS), par.find("smil:audio", NS)
        out.append((text.get("src"), audio.get("src"), seconds(audio.get("clipBegin")), seconds(audio.get("clipEnd"))))
    return out


def text_of(element: etree._Element) -> str:
    """An element's text as the reader takes it: white space collapsed, `<br/>` a line break, note
    references not read."""
    from pipeline.manuscript.cleaning import LINE_BREAK, Run, paragraph_from_runs

    runs: list[Run] = []

    def walk(parent: etree._Element) -> None:
        runs.append(Run(parent.text or ""))
        for child in parent:
            if child.tag == f"{{{NS['x']}}}br":
                runs.append(LINE_BREAK)
            elif isinstance(child.tag, str) and "noteref" not in (child.get(f"{{{NS['epub']}}}type") or ""):
                walk(child)
            runs.append(Run(child.tail or ""))

    walk(element)
    paragraph = paragraph_from_runs(runs)
    return paragraph.text if paragraph else ""


def rms_db(samples: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(samples.astype(np.float64) ** 2)) + 1e-20)


def check_readalong(result, tmp_path: Path) -> Readalong:
    """Everything the issue asks of the overlays, against the produced files."""
    import json

    root = result.root
    epub = root / f"{root.name}.epub"
    assert epub in result.outputs and epub.is_file()
    book = Readalong(epub, tmp_path / "unpacked")
    assert book.names[0] == "mimetype"
    manifest = json.loads((root / "manifest.json").read_text())
    files = manifest["files"]
    language = manifest["book"]["language"]
    normalizer = normalizer_for(language)
    overlays = book.documents_with_overlays()
    total_ms = 0
    chunks_by_audio: dict[str, list[dict]] = {}
    for number, f in enumerate(files, start=1):  # the EPUB's audio is the MP3s in book order
        chunks_by_audio[f"{number:03d}.mp3"] = f["chunks"]
    spoken, previous = [], None
    for item, smil_item in overlays:
        document = book.xhtml(item.get("href"))
        ids = {e.get("id"): e for e in document.iter() if e.get("id")}
        order = {e: n for n, e in enumerate(document.iter())}
        smil = book.smil(smil_item.get("href"))
        found = pars(smil)
        assert found, f"{item.get('href')} has no pars"
        elements = []
        for text, audio, begin, end in found:
            doc_href, _, fragment = text.partition("#")
            assert book.resolve(smil_item.get("href"), doc_href) == item.get("href") and fragment in ids, text
            decoded = book.audio(book.resolve(smil_item.get("href"), audio))
            assert 0 <= begin < end <= len(decoded) / 44100 + 1e-6  # clipBegin < clipEnd <= the audio's length
            if previous and previous[0] == audio:
                assert begin == pytest.approx(previous[1], abs=1e-9)  # monotonic and back to back
            elif previous:
                assert audio > previous[0]  # the next file
            previous = (audio, end)
            elements.append(ids[fragment])
            if fragment == "title" or fragment.endswith("-title"):  # a track's title: what its clip holds
                heard = [c["text"] for c in chunks_by_audio[Path(audio).name]
                         if begin - 0.001 <= c["start"] < end - 0.001]
                if fragment == "title":  # a generated heading shows the title itself
                    assert collapse_whitespace(normalizer.title(text_of(ids[fragment]))) == " ".join(heard)
                spoken.append(" ".join(heard))
            else:
                spoken.append(spoken_text([Paragraph(text_of(ids[fragment]))], language)[0])
        assert [order[e] for e in elements] == sorted(order[e] for e in elements)  # in reading order
        # media:duration of the overlay is the sum of its clips, within a millisecond.
        duration = seconds(book.meta("media:duration", "#" + smil_item.get("id"))[0])
        assert sum(end - begin for _, _, begin, end in found) == pytest.approx(duration, abs=0.001)
        total_ms += round(duration * 1000)
    # The pars' text, in spoken form, is exactly what the chunks read, in order: all of it, nothing twice.
    assert " ".join(spoken) == " ".join(c["text"] for chunks in chunks_by_audio.values() for c in chunks)
    assert seconds(book.meta("media:duration")[0]) == pytest.approx(total_ms / 1000, abs=0.001)
    assert book.meta("media:active-class") == [ACTIVE_CLASS]
    styles = [i.get("href") for i in book.items.values() if i.get("media-type") == "text/css"]
    assert any(ACTIVE_CLASS in (book.base / href).read_text() for href in styles)
    return book


def check_clips_against_captions(book: Readalong, result) -> None:
    """Each par starts on a caption cue's start; the speech of its cues lies inside the clip, and the
    decoded audio is speech there and room tone in the pause the clip carries after it."""
    import json

    files = json.loads((result.root / "manifest.json").read_text())["files"]
    checked = 0
    for _, smil_item in book.documents_with_overlays():
        for _, audio, begin, end in pars(book.smil(smil_item.get("href"))):
            audio = book.resolve(smil_item.get("href"), audio)
            number = int(Path(audio).stem) - 1
            vtt = result.root / "mp3" / (files[number]["file"][:-len(".mp3")] + ".vtt")
            cues = parse_vtt(vtt.read_text())
            first = next(c for c in cues if abs(c.start - begin) <= 0.001)  # the sentence's own cue
            mine = [c for c in cues if begin - 0.001 <= c.start < end - 0.001]
            assert mine[0] is first and mine[-1].end <= end + 0.001
            decoded = book.audio(audio)
            speech = decoded[int(first.start * 44100):int(mine[-1].end * 44100)]
            pause = decoded[int((mine[-1].end + 0.05) * 44100):int(end * 44100)]
            assert rms_db(speech) > -35, f"{audio} {begin}: no speech in the clip"
            if len(pause) > 0.2 * 44100:
                assert rms_db(pause) < rms_db(speech) - 25, f"{audio} {begin}: the clip's pause is not room tone"
            checked += 1
    assert checked >= 10


def test_sample_readalong_overlays_match_the_audio_and_captions(sample, tmp_path):
    book = check_readalong(sample, tmp_path)
    check_clips_against_captions(book, sample)
    chapter = book.xhtml("text/t002.xhtml")
    assert "Chapter 1: The Keeper" in "".join(chapter.itertext())  # written text, not "Chapter One"


def test_check_command_validates_the_epub_with_epubcheck(sample):
    system_tool("epubcheck")
    done = run_cli("check", str(sample.root), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{sample.root.name}.epub: epubcheck passed (no errors, no warnings)" in done.stdout


def test_standard_ebooks_book_readalong(frankenstein, tmp_path):
    book = check_readalong(frankenstein, tmp_path)
    check_clips_against_captions(book, frankenstein)
    system_tool("epubcheck")
    assert problems(run_epubcheck(frankenstein.root / f"{frankenstein.root.name}.epub")) == []


def test_epub_input_keeps_its_own_xhtml_with_each_phrase_in_a_span(frankenstein, tmp_path):
    """The content documents are the source's, text and markup intact, each read phrase a span that
    holds exactly its written sentences; unread documents (title page, notes, colophon) stay, unvoiced."""
    from pipeline.chunks.sentences import split_sentences
    from pipeline.manuscript import read_manuscript
    from pipeline.manuscript.cleaning import clean_text

    manuscript = frankenstein.root.parent.parent / "frankenstein-trimmed.epub"
    source = Readalong(manuscript, tmp_path / "source")
    book = Readalong(frankenstein.root / f"{frankenstein.root.name}.epub", tmp_path / "unpacked")
    own = [book.items[i].get("href") for i in book.spine if not book.items[i].get("href").startswith("readalong/")]
    assert own == [source.items[i].get("href") for i in source.spine]  # the source's documents, in its order
    assert book.spine[0].startswith("readalong-") and book.spine[-1].startswith("readalong-")  # the credits
    voiced = {i.get("href") for i, _ in book.documents_with_overlays()} - {"readalong/text/t001.xhtml",
                                                                          "readalong/text/t005.xhtml"}
    assert voiced == {"text/dedication.xhtml", "text/epigraph.xhtml", "text/letter-3.xhtml"}
    covers = [i.get("href") for i in book.items.values() if i.get("properties") == "cover-image"]
    assert covers == ["images/cover.svg"]  # the source's own
    assert "Ancient Mariner" in "".join(book.xhtml("text/endnotes.xhtml").itertext())
    body = f"{{{NS['x']}}}body"
    for href in own:
        before, after = source.xhtml(href), book.xhtml(href)
        # Not a letter added, lost or moved.
        assert "".join(after.find(body).itertext()) == "".join(before.find(body).itertext()), href
        kept = {e.get("id"): e for e in after.iter() if e.get("id")}
        for element in (e for e in before.iter() if e.get("id")):  # every element with an id, as it was
            assert kept[element.get("id")].tag == element.tag
            assert {k: v for k, v in kept[element.get("id")].attrib.items()} == dict(element.attrib)
    for item, smil_item in book.documents_with_overlays():  # every sentence par on a span of its own
        if item.get("href") in voiced:
            document = book.xhtml(item.get("href"))
            for text, *_ in pars(book.smil(smil_item.get("href"))):
                fragment = text.partition("#")[2]
                if not fragment.endswith("-title"):
                    assert document.find(f".//*[@id='{fragment}']").tag == f"{{{NS['x']}}}span", fragment
    letter = book.xhtml("text/letter-3.xhtml")
    assert letter.find(".//x:section[@id='letter-3']", NS).get(f"{{{NS['epub']}}}type") == "chapter"
    assert letter.find(".//x:blockquote", NS).get(f"{{{NS['epub']}}}type") == "z3998:letter"
    # Each paragraph's spans, in order, are runs of its written sentences that together are the paragraph.
    written = {clean_text(p.text) for c in read_manuscript(manuscript).chapters for p in c.paragraphs}
    checked = 0
    for href in voiced:
        spans: dict[str, list[str]] = {}
        for span in book.xhtml(href).iter(f"{{{NS['x']}}}span"):
            match = re.fullmatch(r"(t\d+-p\d+)s\d+", span.get("id") or "")
            if match:
                spans.setdefault(match.group(1), []).append(clean_text(text_of(span)))
        for paragraph, texts in spans.items():
            whole = " ".join(texts)
            assert whole in written, (href, paragraph, whole)
            ends, at = set(), 0
            for sentence in split_sentences(whole, "en"):
                at += len(sentence) + (1 if at else 0)
                ends.add(at)
            at = 0
            for text in texts:
                at += len(text) + (1 if at else 0)
                assert at in ends, (href, paragraph, text)  # a phrase ends where a sentence ends
            checked += len(texts)
    assert checked >= 20


def test_a_page_renders_with_the_active_class_in_chromium(sample, tmp_path):
    """What a reader shows while the sentence plays (docs/readalong.png is this screenshot)."""
    chromium = system_tool("chromium")
    from PIL import Image

    book = Readalong(sample.root / f"{sample.root.name}.epub", tmp_path / "unpacked")
    page = book.base / "text" / "t002.xhtml"
    text_src = pars(book.smil("smil/t002.smil"))[4][0]  # the second sentence of the second paragraph
    element = text_src.partition("#")[2]
    page.write_text(re.sub(f'id="{element}"', f'id="{element}" class="{ACTIVE_CLASS}"', page.read_text()))
    shot = tmp_path / "readalong.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=800,360", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    highlight = np.all(np.abs(image - [0xFF, 0xE5, 0x8A]) <= 6, axis=-1)  # the active class's background
    assert highlight.sum() > 2000, "the active phrase is not highlighted"
    rows = np.nonzero(highlight.any(axis=1))[0]
    assert rows.max() - rows.min() < 150  # one sentence, not the page


def test_epubcheck_reports_a_broken_epub(tmp_path):
    """The validator's verdict is read, not assumed: a package missing its content documents fails."""
    system_tool("epubcheck")
    from pipeline.packaging.epubcheck import validate_epubs

    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                         'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                         'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                         '</rootfiles></container>')
    lines, passed = validate_epubs(tmp_path)
    assert not passed and re.fullmatch(r"broken\.epub: epubcheck found [1-9]\d* problem\(s\)", lines[0])
    assert len(lines) > 1 and re.match(r"  (FATAL|ERROR) ", lines[1]), lines  # each problem, with its id and place
