"""One uninterrupted production of a three-chapter book, shared by the robustness tests: the
reference every interrupted-then-resumed run must match byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_book
from tests.produce.test_resume_and_faults import LONGER
from tests.robustness.helpers import book_files, produce, report

SLUG = "the-fog-road"


@dataclass
class Reference:
    book: Path
    root: Path
    files: dict[str, bytes]
    chunks: int

    def du(self, *parts: str) -> int:
        """Bytes used under root/parts (files only)."""
        base = self.root.joinpath(*parts)
        return sum(p.stat().st_size for p in base.rglob("*") if p.is_file()) if base.is_dir() else base.stat().st_size


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Reference:
    folder = tmp_path_factory.mktemp("robust-reference")
    book = write_book(folder, "road.md", title="The Fog Road", chapters=LONGER)
    done = produce(book, folder / "out")
    assert done.returncode == 0, done.stderr[-3000:]
    root = folder / "out" / SLUG
    return Reference(book, root, book_files(root), report(root)["synthesis"]["chunks"])
