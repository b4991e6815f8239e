"""Fixtures shared across the suite: paths, small real manuscripts, the embedded engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE_BOOK = REPO / "books" / "the-lighthouse-keepers-cat.md"

# The commands under test run as a terminal's foreground job would. A suite started in the
# background by a non-interactive shell (a CI script's `cmd &`) inherits SIGINT ignored, passes
# that on to every child, and the children then rightly ignore the Ctrl-C the tests send them.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def write_book(folder: Path, name: str = "tiny.md", title: str = "A Tiny Test Book",
               chapters: dict[str, list[str]] | None = None) -> Path:
    """A real Markdown manuscript with front matter."""
    chapters = chapters or {
        "Chapter 1: Morning": ["The kettle sang at seven. Anna poured the tea and watched the rain.",
                               "It was the 3rd of May, and the garden smelled of wet earth."],
        "Chapter 2: Evening": ["By dusk the rain had stopped. The birds came back to the hedge, one by one."],
    }
    lines = ["---", f"title: {title}", "author: Test Author", "language: en", "---", "", f"# {title}", ""]
    for heading, paragraphs in chapters.items():
        lines += [f"## {heading}", ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def piper_engine():
    """The tests' own engine: not the one `produce` loads and releases when it is done."""
    from pipeline.speech.engines import get_engine

    engine = get_engine("piper")
    yield engine
    engine.close()


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the `audiobook` command as a user would, in a subprocess."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env={**os.environ, **(env or {})})


def system_tool(name: str) -> str:
    """Path of a system tool from scripts/system-deps.sh. Skips the test where it is missing,
    except under CI=true, where a missing tool is a failure (CI installs them)."""
    import shutil

    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is not installed (scripts/system-deps.sh installs it)")
    pytest.skip(f"{name} is not installed (scripts/system-deps.sh installs it)")
