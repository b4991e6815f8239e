"""The reference EPUB validator (W3C EPUBCheck), when it is installed: for tests and `audiobook check`.

Debian's `epubcheck` is the jar itself on PATH (run through binfmt where that is set up), so a
jar is started with `java -jar`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError


@dataclass
class EpubcheckMessage:
    severity: str  # FATAL, ERROR, WARNING, USAGE, INFO
    id: str
    message: str
    where: str  # first location, "path:line:column"

    def __str__(self) -> str:
        return f"{self.severity} {self.id} {self.where}: {self.message}"


def epubcheck_command() -> list[str] | None:
    """How to start epubcheck here, or None when it is not installed."""
    found = shutil.which("epubcheck")
    if not found:
        return None
    real = Path(found).resolve()
    with open(real, "rb") as f:
        is_jar = f.read(2) == b"PK"
    if is_jar:
        java = shutil.which("java")
        return [java, "-jar", str(real)] if java else None
    return [found]


def run_epubcheck(epub: Path, command: list[str] | None = None, timeout: float = 600) -> list[EpubcheckMessage]:
    """Every message epubcheck reports about `epub` (errors, warnings and the rest)."""
    command = command or epubcheck_command()
    if command is None:
        raise PipelineError("epubcheck is not installed (scripts/system-deps.sh installs it)")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        try:
            done = subprocess.run([*command, str(epub), "--json", str(report)], capture_output=True, text=True,
                                  timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PipelineError(f"could not run epubcheck on {epub.name}: {exc}") from None
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PipelineError(f"epubcheck gave no report for {epub.name}: {last[0]}") from None
    messages = []
    for m in data.get("messages", []):
        location = (m.get("locations") or [{}])[0]
        where = f"{location.get('path', '')}:{location.get('line', -1)}:{location.get('column', -1)}"
        messages.append(EpubcheckMessage(m.get("severity", ""), m.get("ID", ""), m.get("message", ""), where))
    return messages


def problems(messages: list[EpubcheckMessage]) -> list[EpubcheckMessage]:
    """The messages that make an EPUB fail: fatal errors, errors and warnings."""
    return [m for m in messages if m.severity in ("FATAL", "ERROR", "WARNING")]


def validate_epubs(folder: Path) -> tuple[list[str], bool]:
    """epubcheck over a produced book's EPUBs: lines to show, and whether all pass (or none is there)."""
    epubs = sorted(folder.glob("*.epub"))
    if not epubs:
        return [], True
    command = epubcheck_command()
    if command is None:
        return [f"{e.name}: not validated (epubcheck is not installed)" for e in epubs], True
    lines, passed = [], True
    for epub in epubs:
        found = problems(run_epubcheck(epub, command))
        passed = passed and not found
        lines.append(f"{epub.name}: epubcheck " + (f"found {len(found)} problem(s)" if found
                                                   else "passed (no errors, no warnings)"))
        lines += [f"  {m}" for m in found[:20]]
    return lines, passed
