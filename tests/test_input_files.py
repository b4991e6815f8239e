"""Input paths refused with their real cause (pipeline/input_files.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.input_files import check_input_file


def refusal(path) -> str:
    with pytest.raises(InputError) as caught:
        check_input_file(path, "a manuscript file")
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_each_kind_of_unreadable_path_says_what_it_is(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "dangling").symlink_to("nowhere")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    assert "symbolic link loop" in refusal(tmp_path / "a")  # was "file not found"
    assert "broken symbolic link" in refusal(tmp_path / "dangling")
    assert "named pipe (FIFO), not a manuscript file" in refusal(tmp_path / "pipe")
    assert "is a directory" in refusal(tmp_path / "folder")
    assert "file not found" in refusal(tmp_path / "missing")
    assert "not a folder" in refusal(tmp_path / "file" / "below")
    assert "character device" in refusal(Path(os.devnull))
    check_input_file(tmp_path / "file", "a manuscript file")  # a regular file passes
