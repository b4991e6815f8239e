"""Markdown manuscripts (markdown-it-py): front matter, heading-level chapters, emphasis, scene breaks."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.book import Book, Chapter, Paragraph
from pipeline.errors import InputError
from pipeline.manuscript.cleaning import LINE_BREAK, Run, clean_text, is_scene_break, paragraph_from_runs
from pipeline.manuscript.structure import chapter_title, is_skipped, kind_of, types_from_name
from pipeline.manuscript.text_file import decode

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def _front_matter(text: str) -> tuple[dict[str, list[str]], str]:
    """A YAML-ish `key: value` block (with `- item` lists and [a, b] lists); no YAML library needed."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, list[str]] = {}
    key = ""
    for line in match[1].splitlines():
        item = re.match(r"^\s*-\s+(.*)$", line)
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if item and key:
            fields.setdefault(key, []).append(item[1])
        elif pair:
            key, value = pair[1].lower(), pair[2].strip()
            if value.startswith("[") and value.endswith("]"):
                fields[key] = [v for v in value[1:-1].split(",")]
            elif value:
                fields[key] = [value]
    unquoted = {k: [v.strip().strip("\"'") for v in vs if v.strip()] for k, vs in fields.items()}
    return unquoted, text[match.end() :]


def _runs(inline: Token) -> list[Run]:
    runs: list[Run] = []
    emphasis = 0
    for child in inline.children or []:
        if child.type == "em_open":
            emphasis += 1
        elif child.type == "em_close":
            emphasis -= 1
        elif child.type == "softbreak":
            runs.append(Run(" "))
        elif child.type == "hardbreak":
            runs.append(LINE_BREAK)
        elif child.type in ("text", "code_inline"):  # images (alt text lives in their children) and raw HTML are skipped
            runs.append(Run(child.content, emphasis > 0))
    return runs


def _chapter_level(tokens: list[Token]) -> tuple[int | None, int | None]:
    """(level of chapter headings, level of a lone top heading that is the book's title)."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return None, None
    top = min(levels)
    deeper = [level for level in levels if level > top]
    if levels.count(top) == 1 and deeper:
        return min(deeper), top  # "# Book" over "## Chapter"s
    return top, None


def read_markdown(path: Path) -> Book:
    fields, text = _front_matter(decode(path).replace("\r\n", "\n").replace("\r", "\n"))
    tokens = MarkdownIt("commonmark").parse(text)
    level, title_level = _chapter_level(tokens)
    book_title = fields.get("title", [""])[0]
    sections: list[tuple[str, list[Paragraph]]] = [("", [])]
    scene_break = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            heading = clean_text(tokens[index + 1].content)
            depth = int(token.tag[1])
            if not any(c.isalnum() for c in heading):  # "## * * *", "## —", "##": an ornament, not a title
                scene_break = bool(sections[-1][1])
            elif depth == title_level:
                book_title = book_title or heading
            elif depth == level:
                sections.append((heading, []))
                scene_break = False
            else:  # a sub-heading is read as a line of text
                paragraph = paragraph_from_runs(_runs(tokens[index + 1]))
                sections[-1][1].extend([paragraph] if paragraph else [])
            index += 3
            continue
        if token.type == "hr":
            scene_break = bool(sections[-1][1])
        elif token.type == "inline":
            paragraph = paragraph_from_runs(_runs(token))
            if paragraph and is_scene_break(paragraph.text):
                scene_break = bool(sections[-1][1])
            elif paragraph:
                paragraph.scene_break_before = scene_break
                scene_break = False
                sections[-1][1].append(paragraph)
        # fence, code_block, html_block: not read
        index += 1
    book_title = clean_text(book_title) or path.stem
    chapters: list[Chapter] = []
    for heading, paragraphs in sections:
        types = types_from_name(heading.split(":")[0]) if heading else set()
        if paragraphs and not is_skipped(types):
            kind = kind_of(types)
            chapters.append(Chapter(chapter_title(heading, kind) if heading else book_title, paragraphs, kind))
    if not chapters:
        raise InputError(f"{path}: the Markdown file is empty (no readable text)")
    authors = fields.get("author", []) + fields.get("authors", [])
    return Book(
        title=book_title,
        authors=[clean_text(a) for a in authors],
        language=(fields.get("language") or fields.get("lang") or ["en"])[0],
        chapters=chapters,
        publisher=(fields.get("publisher") or [None])[0],
        date=(fields.get("date") or [None])[0],
        description=clean_text((fields.get("description") or [""])[0]) or None,
    )
