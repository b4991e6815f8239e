"""Property-based: random manuscripts (Markdown, plain text, EPUB) with random nesting, encodings, line
ends, punctuation-only and empty headings, huge words and control characters are either read with
every body word accounted for, or refused with a PipelineError; never another exception.

Seeded (derandomize) and small: the whole file runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html import escape
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manuscript_epub_builder import Doc, EpubSpec, build_epub

from pipeline.book import Book
from pipeline.control_characters import strip_controls
from pipeline.errors import PipelineError
from pipeline.manuscript import read_manuscript

PROPERTY_SETTINGS = settings(derandomize=True, max_examples=50, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.function_scoped_fixture])
# Words that name no structure ("contents", "notes", "chapter"... would make a section skipped or a heading).
VOCABULARY = ["kettle", "rain", "garden", "hens", "lamp", "harbour", "café", "naïve", "Ærøskøbing", "東京", "München",
              "Łódź", "ночь", "سلام", "1859", "42", "O'Brien", "well-known", "mr", "dr"]
WORD = st.one_of(
    st.sampled_from(VOCABULARY),
    st.integers(200, 20_000).map(lambda n: "x" * n),  # a huge word (a URL, a mangled run of text)
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(["\x07", "\x08", "\x1b[31m", "\x1b]0;t\x07", "\x9b2J", "\x7f"]),
              st.sampled_from(VOCABULARY)).map("".join),  # control characters inside a word
)
PUNCTUATION = st.sampled_from([".", ",", "—", "…", "!", "?", ";"])
HEADING = st.one_of(
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=4).map(" ".join),
    st.sampled_from(["* * *", "—", "...", "#", "", "   ", "~~~", "!?", "\x1b[2J", "* \x07 *"]),  # nothing to say
)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@dataclass
class Draft:
    title: str
    chapters: list[tuple[str, int, list[list[str]]]]  # (heading, level, paragraphs of words)


def sentence(words: list[str], marks: list[str]) -> str:
    return " ".join(w + m for w, m in zip(words, marks + [""] * len(words)))


@st.composite
def drafts(draw) -> Draft:
    chapters = []
    for _ in range(draw(st.integers(1, 4))):
        paragraphs = draw(st.lists(st.lists(WORD, min_size=1, max_size=12), min_size=1, max_size=4))
        chapters.append((draw(HEADING), draw(st.integers(1, 4)), paragraphs))
    return Draft(draw(st.sampled_from(["The Hen House", "Ærø \x1b[1mBold", "", "* * *"])), chapters)


def body_words(draft: Draft) -> set[str]:
    """What must be read: every word (\\w+) of every paragraph, as the terminal-safe text says it. Accounted
    for: a paragraph that only repeats its chapter's heading (readers take it for the heading printed twice)."""
    words: set[str] = set()
    for heading, _, paragraphs in draft.chapters:
        for paragraph in paragraphs:
            if " ".join(paragraph).casefold() == heading.casefold():
                continue
            words.update(re.findall(r"\w+", unicodedata.normalize("NFC", strip_controls(" ".join(paragraph)))))
    return words


def read_words(book: Book) -> set[str]:
    leads = [lead for c in book.chapters for lead in c.leads]  # parents' headings and text, heard once
    texts = ([book.title] + [c.title for c in book.chapters] + [p.text for c in book.chapters for p in c.paragraphs]
             + [lead.title for lead in leads] + [p.text for lead in leads for p in lead.paragraphs])
    return set(re.findall(r"\w+", " ".join(texts)))


def check(path: Path, draft: Draft) -> None:
    try:
        book = read_manuscript(path)
    except PipelineError:
        return  # a refusal is allowed; any other exception fails the test
    missing = body_words(draft) - read_words(book)
    assert not missing, f"words not read: {sorted(missing)[:10]}"
    everything = " ".join([book.title, book.author, book.language, book.description or ""]
                          + [c.title for c in book.chapters] + [p.text for c in book.chapters for p in c.paragraphs])
    assert not re.search(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", everything), "a control character was kept"


def encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                             "utf-32-be", "cp1252"])


@PROPERTY_SETTINGS
@given(draft=drafts(), newline=LINE_ENDS, encoding=ENCODINGS, nesting=st.lists(st.sampled_from(["", "> ", "- ", "1. "])),
       marks=st.lists(PUNCTUATION, max_size=6), emphasis=st.booleans())
def test_random_markdown(tmp_path_factory, draft, newline, encoding, nesting, marks, emphasis):
    lines = ["---", f"title: {draft.title}", "author: Ann Writer", "---", ""]
    for number, (heading, level, paragraphs) in enumerate(draft.chapters):
        lines += ["#" * level + " " + heading, ""]
        for index, words in enumerate(paragraphs):
            prefix = nesting[(number + index) % len(nesting)] if nesting else ""
            text = sentence(words, marks)
            lines += [prefix + (f"*{text}*" if emphasis and index % 2 else text), ""]
    path = tmp_path_factory.mktemp("md") / "random.md"
    path.write_bytes(encode(newline.join(lines), encoding))
    check(path, draft)


@PROPERTY_SETTINGS
@given(draft=drafts(), newline=LINE_ENDS, encoding=ENCODINGS, marks=st.lists(PUNCTUATION, max_size=6))
def test_random_plain_text(tmp_path_factory, draft, newline, encoding, marks):
    lines = [f"Title: {draft.title}", "Author: Ann Writer", ""]
    for number, (heading, _, paragraphs) in enumerate(draft.chapters, start=1):
        lines += [f"Chapter {number}" + (f": {heading}" if heading.strip() else ""), ""]
        for words in paragraphs:
            lines += [sentence(words, marks), ""]
    path = tmp_path_factory.mktemp("txt") / "random.txt"
    path.write_bytes(encode(newline.join(lines), encoding))
    check(path, draft)


XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 cannot carry these; C1 controls it can


@PROPERTY_SETTINGS
@given(draft=drafts(), with_toc=st.booleans(), marks=st.lists(PUNCTUATION, max_size=6))
def test_random_epub(tmp_path_factory, draft, with_toc, marks):
    draft = Draft(XML_ILLEGAL.sub("", draft.title), [
        (XML_ILLEGAL.sub("", heading), level, [[XML_ILLEGAL.sub("", w) for w in words] for words in paragraphs])
        for heading, level, paragraphs in draft.chapters])
    docs, toc = [], []
    for number, (heading, level, paragraphs) in enumerate(draft.chapters, start=1):
        inner = "".join(f"<p>{escape(sentence(words, marks))}</p>" for words in paragraphs)
        depth = min(level + 1, 6)
        body = f'<section epub:type="chapter"><h{depth}>{escape(heading)}</h{depth}>{inner}</section>'
        docs.append(Doc(f"c{number}.xhtml", body, "bodymatter"))
        toc.append((escape(heading) or f"Part {number}", f"c{number}.xhtml", []))
    spec = EpubSpec(docs, toc if with_toc else None, title=escape(draft.title) or "Untitled")
    check(build_epub(tmp_path_factory.mktemp("epub") / "random.epub", spec), draft)
