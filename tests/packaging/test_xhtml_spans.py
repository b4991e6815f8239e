"""Phrases wrapped in the original XHTML: the reader's paragraphs (with their text nodes) mapped back
onto the same document parsed with lxml, sentences that start or end inside inline elements."""

from __future__ import annotations

from lxml import etree

from pipeline.chunks.sentences import split_sentences
from pipeline.manuscript.xhtml import read_segments
from pipeline.packaging.readalong import _collapse_with_map
from pipeline.packaging.xhtml_spans import XHTML, paragraph_places, text_nodes, wrap_phrases

X = f"{{{XHTML}}}"
PAGE = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>
<body><section id="c1" epub:type="chapter"><h2>One</h2>
<p id="a">He said <i>hello. Then <b>he</b> left</i> the room. <a href="#n1" id="r1" epub:type="noteref">1</a>It
  rained\u2060—hard. <a href="x.xhtml">Go on.</a> Done.</p>
<p>Split <span epub:type="z3998:persona">here</span>.<span epub:type="pagebreak" id="page-3">3</span> And there.</p>
<p>A note <aside epub:type="footnote"><p>aside.</p></aside> inside. Second.</p>
</section></body></html>
"""


def wrapped(page: str = PAGE) -> tuple[etree._Element, list[tuple[str, list]]]:
    """Every paragraph's sentences wrapped: the tree and, per paragraph, its sentences and the spans made."""
    segments, _, _ = read_segments(page.encode(), [])
    root = etree.fromstring(page.encode())
    nodes = text_nodes(root.find(f"{X}body"))
    out = []
    for number, paragraph in enumerate(segments[0].paragraphs):
        collapsed, to_text = _collapse_with_map(paragraph.text)
        ranges, at = [], 0
        for n, sentence in enumerate(split_sentences(collapsed, "en")):
            ranges.append((to_text[at], to_text[at + len(sentence) - 1] + 1, f"p{number}s{n}"))
            at += len(sentence) + 1
        places = paragraph_places(paragraph.text, [nodes[n] for n in paragraph.source_nodes])
        assert places is not None, paragraph.text
        out.append(([paragraph.text[a:b] for a, b, _ in ranges], wrap_phrases(places, paragraph.text, ranges)))
    return root, out


def visible(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).replace("\u2060", "").split())


def test_sentences_across_inline_elements_become_one_span_each_with_the_elements_split():
    before = etree.fromstring(PAGE.encode())
    root, paragraphs = wrapped()
    sentences, spans = paragraphs[0]
    assert sentences == ["He said hello.", "Then he left the room.", "It rained—hard.", "Go on.", "Done."]
    assert [visible(s) for s in spans] == sentences
    assert root.find(f".//{X}a[@id='r1']").getparent().get("id") == "a"  # the unread note reference, between two
    first, second = spans[0], spans[1]
    # The <i> that held the end of one sentence and the start of the next is now two, one in each span.
    assert [e.tag for e in first] == [f"{X}i"] and first[0].text == "hello."
    assert [e.tag for e in second] == [f"{X}i"] and second[0][0].tag == f"{X}b"
    # Nothing else changed: same text, same ids and links.
    assert "".join(root.find(f"{X}body").itertext()) == "".join(before.find(f"{X}body").itertext())
    assert root.find(f".//{X}a[@id='r1']").get("href") == "#n1"
    assert root.find(f".//{X}a[@href='x.xhtml']").getparent().get("id") == "p0s3"


def test_skipped_inline_content_stays_inside_and_a_block_inside_the_paragraph_is_not_wrapped():
    root, paragraphs = wrapped()
    sentences, spans = paragraphs[1]
    assert [visible(s) for s in spans] == sentences == ["Split here.", "And there."]
    assert root.find(f".//{X}span[@id='page-3']").getparent().tag == f"{X}p"  # the page number stays, unread
    sentences, spans = paragraphs[2]  # "A note … inside." holds an <aside>: no span may hold a block
    assert sentences == ["A note inside.", "Second."]
    assert [s.get("id") for s in spans] == ["p2s1"]
    assert all(a.getparent().tag != f"{X}span" for a in root.iter(f"{X}aside"))
