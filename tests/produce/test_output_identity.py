"""Nothing a user made is lost: two same-titled manuscripts produced into one output root both keep
their audiobook, byte-identical to solo runs; a user's files in the book folder and in mp3/ survive
a rerun and a --repin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_book
from tests.robustness.helpers import NO_QA, book_files

TITLE = "Same Title"
OTHER = {"Chapter 1: The Fox": ["A fox crossed the frozen river at dawn and did not look back."]}


def produce(book: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    done = run_cli("produce", str(book), "--output", str(out), *NO_QA, *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def book_folders(out: Path) -> dict[str, Path]:
    """Produced book folders by the manuscript (resolved path) their manifest names."""
    return {str(Path(json.loads(m.read_text())["source"]).resolve()): m.parent for m in out.glob("*/manifest.json")}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """a.md, then b.md (same title, another text) into one output root; b.md alone into another."""
    folder = tmp_path_factory.mktemp("identity")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    a = write_book(folder / "a", "book.md", title=TITLE)
    b = write_book(folder / "b", "book.md", title=TITLE, chapters=OTHER)
    out = folder / "out"
    produce(a, out)
    a_alone = book_files(out / "same-title")
    second = produce(b, out)
    produce(b, folder / "solo")
    return {"a": a, "b": b, "out": out, "a_alone": a_alone, "second": second,
            "b_alone": book_files(folder / "solo" / "same-title")}


def test_two_same_titled_manuscripts_keep_both_audiobooks(shared):
    folders = book_folders(shared["out"])
    a_root, b_root = folders[str(shared["a"].resolve())], folders[str(shared["b"].resolve())]
    assert a_root.name == "same-title" and b_root.name.startswith("same-title-") and b_root != a_root
    assert book_files(a_root) == shared["a_alone"]  # a's audiobook untouched by b's run
    b_files = book_files(b_root)
    assert {n: d for n, d in b_files.items() if n.startswith("mp3/")} == \
        {n: d for n, d in shared["b_alone"].items() if n.startswith("mp3/")}
    assert b_files[f"{b_root.name}.m4b"] == shared["b_alone"]["same-title.m4b"]  # the same audiobook as a solo run
    note = " ".join(shared["second"].stderr.split())
    assert f"note: {a_root} holds the audiobook of another manuscript" in note and str(b_root) in note


def test_user_files_survive_a_rerun_and_a_repin(shared, tmp_path):
    a, out = shared["a"], shared["out"]
    root = out / "same-title"
    mine = {root / ".notes": "chapter 2 needs a retake", root / "cover-ideas.txt": "blue",
            root / ".cover.png.1.tmp": "not ours", root / "mp3" / "notes.txt": "for the narrator",
            root / "mp3" / "extras" / "bonus.txt": "bonus"}
    for path, text in mine.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    produce(a, out)
    produce(a, out, "--repin")
    assert {p: p.read_text() for p in mine if p.exists()} == mine
    assert book_files(root) == shared["a_alone"]
