"""Every shared real book through `audiobook inspect --json --chunks`: titles, structure, spoken forms
and coverage (what is read plus what is listed as skipped is all of the book's body text).

`inspect` runs in-process once per book (session-scoped), so the checks share one reading.
"""

from __future__ import annotations

import json
import posixpath
import re
import time
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SHARED

BOOKS = sorted((SHARED / "books").glob("*.epub"))
_WORD = re.compile(r"\w")


def body_words(epub: Path) -> int:
    """An independent count of the words in the body of every spine document (lxml, per text node,
    scripts and styles excluded): what the reader must either read or list as skipped."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_path))
        items = {item.get("id"): item for item in opf.iter("{*}item")}
        total = 0
        for ref in opf.iter("{*}itemref"):
            item = items[ref.get("idref")]
            if "html" not in item.get("media-type", ""):
                continue
            name = posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), item.get("href")))
            body = etree.fromstring(archive.read(name)).find("{*}body")
            for element in body.iter():
                texts = [] if not isinstance(element.tag, str) or etree.QName(element).localname in (
                    "script", "style") else [element.text]
                if element is not body:
                    texts.append(element.tail)
                total += sum(1 for text in texts if text for token in text.split() if _WORD.search(token))
    return total


@pytest.fixture(scope="session")
def inspected() -> dict[str, dict]:
    """name -> `inspect --json --chunks` output, each book read once (timed: see `seconds`)."""
    cache: dict[str, dict] = {}

    def get(book: Path) -> dict:
        if book.name not in cache:
            started = time.perf_counter()
            result = CliRunner().invoke(app, ["inspect", "--json", "--chunks", str(book)])
            assert result.exit_code == 0, result.output[-2000:]
            cache[book.name] = {**json.loads(result.stdout), "seconds": time.perf_counter() - started}
        return cache[book.name]

    return get  # type: ignore[return-value]


def _spoken(summary: dict) -> list[str]:
    return [chunk["text"] for chapter in summary["chapters"] for chunk in chapter["chunks"]]


@pytest.mark.skipif(not BOOKS, reason="no shared books")
@pytest.mark.parametrize("book", BOOKS, ids=lambda p: p.stem)
def test_every_shared_book_reads_whole_and_well(book: Path, inspected) -> None:
    summary = inspected(book)
    titles = [chapter["title"] for chapter in summary["chapters"]]
    assert len(titles) == len(set(titles)), [t for t in titles if titles.count(t) > 1]
    boilerplate = re.compile(r"^(imprint|colophon|uncopyright|title ?page|half ?title|(table of )?contents|"
                             r"copyright|licen[cs]e)\b", re.IGNORECASE)
    assert not [t for t in titles if boilerplate.match(t)]
    spoken = _spoken(summary)
    assert not [t for t in spoken if "Standard Ebooks" in t or "Project Gutenberg" in t]
    assert not [t for t in spoken + titles if re.search(r"\d", t)]
    # Each parent (book, part, act) is heard exactly once, as a heading of its own, within its own parent
    # (two books may each have a "Part One: eighteen twelve").
    prefixes = {tuple(c["path"][:depth]) for c in summary["chapters"] for depth in range(1, len(c["path"]) + 1)}
    for prefix in prefixes:
        under = [chunk["text"] for c in summary["chapters"] if tuple(c["path"][:len(prefix) - 1]) == prefix[:-1]
                 for chunk in c["chunks"]]
        assert under.count(prefix[-1]) == 1, prefix
    # Nothing vanishes: read + deliberately skipped = the body text, counted independently.
    skipped = sum(entry["words"] for entry in summary["skipped"])
    assert summary["source_words"] + skipped == body_words(book)
    assert summary["seconds"] < 240  # measured: War and Peace, the largest, ~60 s on a loaded 2-core box


EXPECTED = {
    "leo-tolstoy_war-and-peace_louise-maude_aylmer-maude": {
        "titles": ["Dramatis Personae", "Book One, Part One, Chapter One", "Book Two, Part One, Chapter One",
                   "Book Four, Part Four, Chapter Twenty", "First Epilogue, Chapter One",
                   "Second Epilogue, Chapter Twelve"],
        "parents": ["Book One", "Book Two", "Book Three", "Book Four", "Epilogue",
                    "Part One: eighteen oh-five", "First Epilogue: eighteen thirteen to twenty", "Second Epilogue"],
    },
    "william-shakespeare_hamlet": {
        "titles": ["Dramatis Personae", "Act One, Scene One", "Act Three, Scene Two", "Act Five, Scene Two"],
        "parents": ["Act One", "Act Two", "Act Three", "Act Four", "Act Five"],
    },
    "mary-shelley_frankenstein": {
        "titles": ["Letter One", "Letter Four", "Chapter One", "Chapter Twenty-Four",
                   "Chapter Twenty-Four, Walton, in Continuation"],
        "parents": ["Chapter Twenty-Four"],
    },
    "herman-melville_moby-dick": {
        "titles": ["Etymology: (Supplied by a Late Consumptive Usher to a Grammar School)", "Chapter One: Loomings",
                   "Chapter One Hundred and Thirty-Five: The Chase—Third Day", "Epilogue"],
        "parents": [],
    },
    "marcus-aurelius_meditations_george-long": {"titles": ["Book One", "Book Twelve"], "parents": []},
    "love-among-the-chickens": {
        "titles": ["Dedication", "Chapter One: A Letter with a Postscript", "Chapter Twenty-Three: After the Storm"],
        "parents": [],
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_titles_and_parents(name: str, inspected) -> None:
    book = SHARED / "books" / f"{name}.epub"
    if not book.exists():
        pytest.skip(f"{book} is not there")
    summary = inspected(book)
    titles = [chapter["title"] for chapter in summary["chapters"]]
    assert [t for t in EXPECTED[name]["titles"] if t not in titles] == []
    parents = {title for chapter in summary["chapters"] for title in chapter["path"]}
    assert set(EXPECTED[name]["parents"]) <= parents
    if not EXPECTED[name]["parents"]:
        assert not parents


def test_hamlet_reads_speakers_apart_and_stage_directions(inspected) -> None:
    book = SHARED / "books" / "william-shakespeare_hamlet.epub"
    if not book.exists():
        pytest.skip(f"{book} is not there")
    chapters = {c["title"]: c for c in inspected(book)["chapters"]}
    opening = [chunk["text"] for chunk in chapters["Act One, Scene One"]["chunks"]][:8]
    # The act is heard once, then the scene; stage directions are read; a speaker's name is a chunk
    # of its own (a paragraph pause) before the speech.
    assert opening == ["Act One", "Scene One", "Elsinore. A platform before the castle.", "Francisco at his post.",
                       "Enter to him Bernardo.", "Bernardo", "Who's there?", "Francisco"]
    second = [chunk["text"] for chunk in chapters["Act One, Scene Two"]["chunks"]]
    assert second[0] == "Scene Two" and "Act One" not in second
