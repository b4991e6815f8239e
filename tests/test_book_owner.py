"""Which manuscript a book folder belongs to: the claim rules, on real folders and real locks."""

from __future__ import annotations

import json
import threading

import pytest

from pipeline.book_owner import ManuscriptIdentity, claim_book_folder, distinct_slug, folder_owner, record_owner
from pipeline.errors import PipelineError
from pipeline.workspace import BookLock, BookPaths

A = ManuscriptIdentity(path="/books/a.md", sha256="a" * 64)
B = ManuscriptIdentity(path="/books/b.md", sha256="b" * 64)


def claim(root, me, notes=None):
    paths, lock = claim_book_folder(root, "same-title", me, on_notice=(notes if notes is not None else []).append)
    lock.__exit__()
    return paths


def test_first_manuscript_takes_the_slug_and_is_recorded(tmp_path):
    paths = claim(tmp_path, A)
    assert paths.slug == "same-title" and paths.m4b.name == "same-title.m4b"
    assert folder_owner(paths.root) == A


def test_a_different_manuscript_with_the_same_slug_gets_its_own_folder_and_a_notice(tmp_path):
    claim(tmp_path, A)
    notes = []
    paths = claim(tmp_path, B, notes)
    assert paths.slug == distinct_slug("same-title", B) != "same-title"
    assert len(notes) == 1 and str(tmp_path / "same-title") in notes[0] and A.path in notes[0] and B.path in notes[0]
    assert folder_owner(tmp_path / "same-title") == A  # untouched
    assert claim(tmp_path, B).slug == paths.slug  # and it keeps it
    assert claim(tmp_path, A).slug == "same-title"


def test_an_edited_manuscript_keeps_its_folder(tmp_path):
    claim(tmp_path, A)
    edited = ManuscriptIdentity(path=A.path, sha256="c" * 64)
    assert claim(tmp_path, edited).slug == "same-title"
    assert folder_owner(tmp_path / "same-title") == edited


def test_a_moved_manuscript_follows_its_book_by_content(tmp_path):
    claim(tmp_path, A)
    b_folder = claim(tmp_path, B).slug
    moved = ManuscriptIdentity(path="/archive/renamed-b.md", sha256=B.sha256)
    assert claim(tmp_path, moved).slug == b_folder  # found among the <slug>-<hash> folders
    assert folder_owner(tmp_path / b_folder) == moved  # the record follows the file


def test_a_book_made_before_records_is_owned_by_its_manifest_source(tmp_path):
    legacy = tmp_path / "same-title"
    legacy.mkdir()
    (legacy / "manifest.json").write_text(json.dumps({"source": A.path, "source_sha256": A.sha256}))
    assert claim(tmp_path, B).slug != "same-title"
    assert claim(tmp_path, A).slug == "same-title"


def test_an_unclaimed_folder_with_user_files_is_taken(tmp_path):
    (tmp_path / "same-title").mkdir()
    (tmp_path / "same-title" / "notes.txt").write_text("mine")
    assert claim(tmp_path, A).slug == "same-title"


def test_a_folder_being_claimed_by_another_run_is_left_to_it(tmp_path):
    paths = BookPaths(tmp_path, "same-title")
    paths.create()
    with BookLock(paths):  # another run has just locked the new folder; its record comes a moment later
        threading.Timer(0.3, record_owner, (paths.root, A)).start()
        assert claim(tmp_path, B).slug == distinct_slug("same-title", B)
        with pytest.raises(PipelineError, match="being produced by another run"):
            claim(tmp_path, A)  # the same manuscript: the usual refusal
