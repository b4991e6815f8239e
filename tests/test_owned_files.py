"""Only the pipeline's own files are swept or replaced; a user's files in the book folder and in
mp3/ survive every swap, and a swap cut short by a kill."""

from __future__ import annotations

import json

from pipeline.owned_files import own_mp3_files, recover_mp3_swap, replace_mp3_folder
from pipeline.workspace import BookPaths


def staged(paths: BookPaths, *names: str):
    staging = paths.work / "mp3.new"
    staging.mkdir()
    for name in names:
        (staging / name).write_text(f"new {name}")
    return staging


def test_swap_replaces_our_files_and_keeps_the_users(tmp_path):
    paths = BookPaths(tmp_path, "book")
    paths.create()
    replace_mp3_folder(paths, staged(paths, "01 - Old Title.mp3", "01 - Old Title.vtt"))
    (paths.mp3_dir / "notes.txt").write_text("mine")
    (paths.mp3_dir / "edits").mkdir()
    (paths.mp3_dir / "edits" / "take2.wav").write_text("my take")
    replace_mp3_folder(paths, staged(paths, "01 - New Title.mp3", "01 - New Title.vtt"))
    assert sorted(p.name for p in paths.mp3_dir.iterdir()) == ["01 - New Title.mp3", "01 - New Title.vtt",
                                                              "edits", "notes.txt"]
    assert (paths.mp3_dir / "notes.txt").read_text() == "mine"
    assert (paths.mp3_dir / "edits" / "take2.wav").read_text() == "my take"
    assert own_mp3_files(paths) == {"01 - New Title.mp3", "01 - New Title.vtt"}


def test_a_users_file_with_one_of_our_new_names_is_kept_beside_it(tmp_path):
    paths = BookPaths(tmp_path, "book")
    paths.create()
    paths.mp3_dir.mkdir()
    (paths.mp3_dir / "01 - Intro.mp3").write_text("the user's own intro")
    replace_mp3_folder(paths, staged(paths, "01 - Intro.mp3"))
    assert (paths.mp3_dir / "01 - Intro.mp3").read_text() == "new 01 - Intro.mp3"
    assert (paths.mp3_dir / "01 - Intro (kept).mp3").read_text() == "the user's own intro"


def test_books_made_before_the_list_know_their_files_from_the_manifest(tmp_path):
    paths = BookPaths(tmp_path, "book")
    paths.create()
    paths.mp3_dir.mkdir()
    for name in ("01 - Old.mp3", "01 - Old.vtt", "01 - Old.srt", "mine.txt"):
        (paths.mp3_dir / name).write_text("x")
    paths.manifest.write_text(json.dumps({"files": [{"file": "01 - Old.mp3"}]}))
    replace_mp3_folder(paths, staged(paths, "01 - New.mp3"))
    assert sorted(p.name for p in paths.mp3_dir.iterdir()) == ["01 - New.mp3", "mine.txt"]


def test_a_swap_killed_between_its_renames_is_undone_with_the_users_files(tmp_path):
    paths = BookPaths(tmp_path, "book")
    paths.create()
    replace_mp3_folder(paths, staged(paths, "01 - A.mp3"))
    (paths.mp3_dir / "mine.txt").write_text("mine")
    paths.mp3_dir.rename(paths.work / "mp3.old")  # the state a kill at fault point "swap" leaves
    paths.sweep_temporaries()
    recover_mp3_swap(paths)
    assert sorted(p.name for p in paths.mp3_dir.iterdir()) == ["01 - A.mp3", "mine.txt"]


def test_sweep_deletes_only_our_temporaries(tmp_path):
    paths = BookPaths(tmp_path, "book")
    paths.create()
    ours = [paths.root / ".manifest.json.4242.tmp", paths.root / ".book.vtt.77.tmp", paths.work / ".plan.json.9.tmp"]
    users = [paths.root / ".notes", paths.root / ".draft.txt.12.tmp", paths.root / ".DS_Store"]
    for path in ours + users:
        path.write_text("x")
    paths.sweep_temporaries()
    assert [p for p in ours if p.exists()] == []
    assert [p for p in users if not p.exists()] == []
