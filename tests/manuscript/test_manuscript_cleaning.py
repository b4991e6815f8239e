"""The shared cleaning rules, and dispatch on content rather than file name."""

from __future__ import annotations

from pathlib import Path

from manuscript_epub_builder import Doc, EpubSpec, build_epub

from pipeline.manuscript import SUPPORTED_SUFFIXES, read_manuscript
from pipeline.manuscript.cleaning import (
    LINE_BREAK, Run, clean_text, is_scene_break, join_hyphenated_lines, paragraph_from_runs, plain_paragraphs,
)  # fmt: skip


def test_clean_text_removes_invisibles_and_normalises() -> None:
    assert clean_text(" soft\u00adhyphen\u200b zero\u200c\u200d\u2060\ufeffwidth\t\n  e\u0301 ") == "softhyphen zerowidth é"


def test_hyphen_joins_only_lowercase_line_breaks() -> None:
    assert join_hyphenated_lines("extra-\nordinary") == "extraordinary"
    assert join_hyphenated_lines("Anglo-\nSaxon") == "Anglo-Saxon"
    assert join_hyphenated_lines("pages 10-\n12") == "pages 10-\n12"
    assert join_hyphenated_lines("well - \nthen") == "well - \nthen"


def test_scene_break_markers() -> None:
    assert all(is_scene_break(s) for s in ["* * *", "***", "#", "⁂", "  *  "])
    assert not any(is_scene_break(s) for s in ["", "A * B", "#1"])
    paragraphs = plain_paragraphs(["One.", "* * *", "Two.", "#", "Three."])
    assert [(p.text, p.scene_break_before) for p in paragraphs] == [("One.", False), ("Two.", True), ("Three.", True)]


def test_paragraph_runs_emphasis_and_line_breaks() -> None:
    runs = [Run("  Roses "), Run("are", True), Run(" "), Run("red", True), LINE_BREAK, Run(" violets  blue ")]
    paragraph = paragraph_from_runs(runs)
    assert paragraph is not None
    assert paragraph.text == "Roses are red\nviolets blue"
    assert paragraph.emphasis == [(6, 13)]
    assert paragraph_from_runs([Run(" \n "), LINE_BREAK]) is None


def test_dispatch_on_content_not_extension(tmp_path: Path) -> None:
    spec = EpubSpec([Doc("c1.xhtml", "<h2>One</h2><p>Text.</p>")], [("One", "c1.xhtml", [])])
    book = read_manuscript(build_epub(tmp_path / "actually-an-epub.txt", spec))
    assert [c.title for c in book.chapters] == ["One"]
    notes = tmp_path / "notes.unknown"
    notes.write_text("Plain words.")
    assert read_manuscript(notes).chapters[0].paragraphs[0].text == "Plain words."
    assert ".epub" in SUPPORTED_SUFFIXES
