"""Markdown manuscripts (markdown-it-py): front matter, the book tree from heading levels, emphasis, scene breaks."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.book import Book
from pipeline.errors import InputError
from pipeline.manuscript.cleaning import LINE_BREAK, Run, clean_text, is_scene_break, paragraph_from_runs
from pipeline.manuscript.text_file import decode
from pipeline.manuscript.tree import Headed, tree_from_headings

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


def _title_level(tokens: list[Token]) -> int | None:
    """The level of a lone first heading above all the others: the book's title ("# Book" over
    "## Part"s and "## Chapter"s), not a part of its tree."""
    levels = [int(t.tag[1]) for t, inline in zip(tokens, tokens[1:])
              if t.type == "heading_open" and any(c.isalnum() for c in clean_text(inline.content))]
    if len(levels) > 1 and levels.count(levels[0]) == 1 and levels[0] < min(levels[1:]):
        return levels[0]
    return None


def read_markdown(path: Path) -> Book:
    fields, text = _front_matter(decode(path).replace("\r\n", "\n").replace("\r", "\n"))
    tokens = MarkdownIt("commonmark").parse(text)
    title_level = _title_level(tokens)
    book_title = fields.get("title", [""])[0]
    # Every other heading opens a section at its level: "# Part One" > "## Chapter 1" > "### Scene".
    sections = [Headed("", 0, [])]
    scene_break = False
    item_number = ""  # a numbered list item's number, waiting for the item's text
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            heading = clean_text(tokens[index + 1].content)
            level = int(token.tag[1])
            if not any(c.isalnum() for c in heading):  # "## * * *", "## —", "##": an ornament, not a title
                scene_break = bool(sections[-1].paragraphs)
            elif level == title_level:
                book_title = book_title or heading
            else:
                sections.append(Headed(heading, level, []))
                scene_break = False
            index += 3
            continue
        paragraph = None
        if token.type == "hr":
            scene_break = bool(sections[-1].paragraphs)
        elif token.type == "list_item_open" and token.info:
            # A numbered item's number is text a reader sees ("1859. The war began." is a list item
            # to CommonMark): it goes before the item's first paragraph, or alone for an empty item.
            item_number = token.info + token.markup
            if tokens[index + 1].type == "list_item_close":
                paragraph, item_number = paragraph_from_runs([Run(item_number)]), ""
        elif token.type == "inline":
            runs = _runs(token)
            if item_number:
                runs, item_number = [Run(item_number + " "), *runs], ""
            paragraph = paragraph_from_runs(runs)
        if paragraph and is_scene_break(paragraph.text):
            scene_break = bool(sections[-1].paragraphs)
        elif paragraph:
            paragraph.scene_break_before = scene_break
            scene_break = False
            sections[-1].paragraphs.append(paragraph)
        # fence, code_block, html_block: not read
        index += 1
    book_title = clean_text(book_title) or path.stem
    top = min((s.depth for s in sections[1:]), default=0)
    for section in sections[1:]:
        section.depth -= top
    if not sections[0].paragraphs:
        sections.pop(0)
    tree = tree_from_headings(sections, book_title)
    if not tree.chapters:
        raise InputError(f"{path}: the Markdown file is empty (no readable text)")
    authors = fields.get("author", []) + fields.get("authors", [])
    return Book(
        title=book_title,
        authors=[clean_text(a) for a in authors],
        language=(fields.get("language") or fields.get("lang") or ["en"])[0],
        chapters=tree.chapters,
        skipped=tree.skipped,
        publisher=(fields.get("publisher") or [None])[0],
        date=(fields.get("date") or [None])[0],
        description=clean_text((fields.get("description") or [""])[0]) or None,
    )
