"""Which manuscript a book folder belongs to, so that no manuscript ever writes over another's book.

A run records its manuscript (resolved path and sha256) in the book folder (`.work/owner.json`)
as soon as it holds the folder's lock. A manuscript reuses a folder recorded for

- the same path: an edited manuscript updates its own book (the resume/edit feature), or
- the same content: a moved or renamed manuscript (or an identical copy) is the same book; the
  record then follows it to its new path.

Any other manuscript whose title gives the same slug gets a folder of its own,
`<slug>-<first 8 hex of the sha256 of its resolved path>`, and the run says so. A different
manuscript never takes over a folder, not even when the recorded manuscript no longer exists:
its audiobook may be all that is left of it.

The CLI (`audiobook produce`), the produce-audiobook flow and the nightly batch all claim their
folder here (through `pipeline.produce.prepare_locked`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.speech.cache import write_atomic
from pipeline.workspace import BookBusy, BookLock, BookPaths

OWNER_FILE = "owner.json"  # in the book's .work/
CLAIM_ATTEMPTS = 20  # a folder another run is claiming: wait this many times...
CLAIM_WAIT_S = 0.1  # ...this long for its record to appear


@dataclass(frozen=True)
class ManuscriptIdentity:
    path: str  # resolved, absolute
    sha256: str

    @classmethod
    def of(cls, manuscript: Path, sha256: str) -> "ManuscriptIdentity":
        return cls(path=str(Path(manuscript).resolve()), sha256=sha256)

    def owns(self, other: "ManuscriptIdentity") -> bool:
        """Is `other` (a folder's record) this manuscript: same file, or same content?"""
        return other.path == self.path or other.sha256 == self.sha256


def distinct_slug(slug: str, me: ManuscriptIdentity) -> str:
    return f"{slug}-{hashlib.sha256(me.path.encode()).hexdigest()[:8]}"


def folder_owner(root: Path) -> ManuscriptIdentity | None:
    """The manuscript a book folder was produced from: its record, else (a book made before records
    existed) its manifest's source. None for a folder no run has claimed."""
    try:
        data = json.loads((root / ".work" / OWNER_FILE).read_text(encoding="utf-8"))
        return ManuscriptIdentity(path=data["path"], sha256=data["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        return ManuscriptIdentity(path=str(Path(data["source"]).resolve()), sha256=data["source_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_owner(root: Path, me: ManuscriptIdentity) -> None:
    write_atomic(root / ".work" / OWNER_FILE, json.dumps(asdict(me), indent=1).encode())


def _choose(output_root: Path, slug: str, me: ManuscriptIdentity) -> str:
    """The folder name for `me`: one recorded for its path, else for its content, else the plain
    slug if nobody holds it, else its own distinct slug."""
    pattern = re.compile(rf"{re.escape(slug)}-[0-9a-f]{{8}}")
    names = [slug, *sorted(p.name for p in output_root.glob(f"{slug}-*") if pattern.fullmatch(p.name))]
    owners = {name: folder_owner(output_root / name) for name in names}
    for same in (lambda o: o.path == me.path, lambda o: o.sha256 == me.sha256):
        for name in names:
            if owners[name] is not None and same(owners[name]):
                return name
    return slug if owners[slug] is None else distinct_slug(slug, me)


def book_folder_for(output_root: Path, slug: str, me: ManuscriptIdentity) -> Path:
    """The folder `claim_book_folder` would give `me` now (without claiming it): where to look for
    files the user keeps beside the book, such as its pronunciation lexicon."""
    return Path(output_root) / _choose(Path(output_root), slug, me)


def _wait_for_owner(root: Path) -> ManuscriptIdentity | None:
    """The record of a folder another run has just locked (it writes the record right after)."""
    for _ in range(CLAIM_ATTEMPTS):
        owner = folder_owner(root)
        if owner is not None:
            return owner
        time.sleep(CLAIM_WAIT_S)
    return None


def claim_book_folder(output_root: Path, slug: str, me: ManuscriptIdentity,
                      on_notice: Callable[[str], None] | None = None) -> tuple[BookPaths, BookLock]:
    """The book folder for manuscript `me`, created if needed, returned with its lock held and
    the manuscript recorded as its owner."""
    output_root = Path(output_root)
    for _ in range(3):  # another run may claim a folder between our look and our lock: look again
        name = _choose(output_root, slug, me)
        paths = BookPaths(output_root, name)
        paths.create()
        try:
            lock = BookLock(paths).__enter__()
        except BookBusy:
            owner = _wait_for_owner(paths.root)
            if owner is None or me.owns(owner):
                raise
            continue
        owner = folder_owner(paths.root)
        if owner is not None and not me.owns(owner):
            lock.__exit__()
            if name == slug:
                continue
            raise PipelineError(f"{paths.root} belongs to {owner.path}, not {me.path}; "
                                f"produce into another --output folder")  # a path hash collision
        try:
            record_owner(paths.root, me)
        except BaseException:
            lock.__exit__()
            raise
        if name != slug and on_notice is not None:
            other = folder_owner(output_root / slug)
            on_notice(f"{output_root / slug} holds the audiobook of another manuscript "
                      f"({other.path if other else 'unknown'}); this one ({me.path}) goes to {paths.root}")
        return paths, lock
    raise PipelineError(f"could not claim a book folder for {me.path} in {output_root}: other runs keep taking them")
