"""Where a book's files live, and the lock that keeps two runs off the same book."""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.owned_files import recover_mp3_swap


class BookPaths:
    """output/<slug>/: the finished files at the top, work files (cache, renders, plan) in .work/."""

    def __init__(self, output_root: Path, slug: str):
        self.slug = slug
        self.root = Path(output_root) / slug
        self.work = self.root / ".work"
        self.plan = self.work / "plan.json"
        self.cache = self.work / "cache"
        self.render = self.work / "render"
        self.cover = self.work / "cover.json"
        self.cover_image = self.work / "cover.img"
        self.lock = self.work / "lock"
        self.m4b = self.root / f"{slug}.m4b"
        self.mp3_dir = self.root / "mp3"
        self.manifest = self.root / "manifest.json"

    def create(self) -> None:
        try:
            self.work.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PipelineError(f"cannot create {self.root}: {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK):
            raise PipelineError(f"output folder {self.root} is not writable")

    def own_outputs(self) -> set[str]:
        """Names of the files the pipeline writes beside .work/ in the book folder."""
        return {"manifest.json", "report.json", "report.md", self.m4b.name, f"{self.slug}.vtt", f"{self.slug}.srt"}

    def sweep_temporaries(self) -> None:
        """Delete temporaries a killed run left behind: anything hidden in .work/ (all of it is
        ours), and beside the outputs only write_atomic's `.NAME.PID.tmp` of one of our own files,
        never a user's file. An mp3/ swap cut short is finished or undone.

        Called with the book's lock held, so none of them belongs to a live run.
        """
        chunk_dirs = list((self.cache / "chunks").glob("*")) if (self.cache / "chunks").is_dir() else []
        for folder in (self.work, self.render, *chunk_dirs):
            for leftover in folder.glob(".*"):
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)
        ours = self.own_outputs()
        for leftover in self.root.glob(".*.tmp"):
            match = re.fullmatch(r"\.(.+)\.\d+\.tmp", leftover.name)
            if match and match.group(1) in ours and leftover.is_file():
                leftover.unlink()
        recover_mp3_swap(self)

    def read_cover(self) -> tuple[bytes, str] | None:
        try:
            mime = json.loads(self.cover.read_text(encoding="utf-8"))["mime"]
            return self.cover_image.read_bytes(), mime
        except (OSError, ValueError, KeyError):
            return None


class BookBusy(PipelineError):
    """Another run holds the book's lock."""


class BookLock:
    """An exclusive flock on the book's work folder. The kernel drops it when the holder dies, so
    a lock left by a killed run never blocks the next one."""

    def __init__(self, paths: BookPaths):
        self.paths = paths
        self._fd: int | None = None

    def __enter__(self) -> "BookLock":
        if self._fd is not None:  # already held (taken by prepare_locked, then used in a with)
            return self
        self._fd = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise BookBusy(f"{self.paths.slug} is being produced by another run; try again when it ends") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
