"""W3C Pronunciation Lexicon Specification (PLS 1.0) import and export.

https://www.w3.org/TR/pronunciation-lexicon/: `<lexicon>` holds `<lexeme>`s, each with one or more
`<grapheme>` and any number of `<phoneme>` (in the lexicon's or its own `alphabet`) and `<alias>`.
Where several are given, the one marked `prefer="true"`, else the first, is used. Only the `ipa`
alphabet is read. Case-insensitive matching, which PLS has no word for, is our own attribute
`ignore-case="true"` (namespace `EXT_NS`) on `<lexicon>` or `<lexeme>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from pipeline.lexicon.model import Entry, Lexicon, clean

PLS_NS = "http://www.w3.org/2005/01/pronunciation-lexicon"
EXT_NS = "urn:audiobook-pipeline:lexicon"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    """Children called `name` in the PLS namespace (or in none: lenient with hand-written files)."""
    return [c for c in element if isinstance(c.tag, str) and _local(c.tag) == name
            and c.tag in (name, f"{{{PLS_NS}}}{name}")]


def _preferred(elements: list[ET.Element]) -> ET.Element | None:
    return next((e for e in elements if e.get("prefer") == "true"), elements[0] if elements else None)


def _truthy(element: ET.Element, default: bool) -> bool:
    value = element.get(f"{{{EXT_NS}}}ignore-case")
    return default if value is None else value.strip().lower() in ("true", "1", "yes")


def parse_pls(data: bytes) -> Lexicon:
    """PLS XML -> Lexicon; ValueError with a one-line reason for anything unusable."""
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException:
        raise ValueError("entity declarations and external references are not allowed") from None
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None
    if _local(root.tag) != "lexicon" or root.tag not in ("lexicon", f"{{{PLS_NS}}}lexicon"):
        raise ValueError(f"the root element is <{_local(root.tag)}>, not a PLS <lexicon>")
    alphabet = root.get("alphabet", "ipa")
    ignore_case = _truthy(root, False)
    entries = []
    for number, lexeme in enumerate(_children(root, "lexeme"), start=1):
        graphemes = tuple(clean(g.text or "") for g in _children(lexeme, "grapheme"))
        where = f"lexeme {number} ({graphemes[0]!r})" if graphemes and graphemes[0] else f"lexeme {number}"
        phoneme = _preferred(_children(lexeme, "phoneme"))
        ipa = None
        if phoneme is not None:
            own = phoneme.get("alphabet", lexeme.get("alphabet", alphabet))
            if own.lower() != "ipa":
                raise ValueError(f"{where}: phoneme alphabet {own!r} is not supported (use ipa, or an <alias>)")
            ipa = (phoneme.text or "").strip() or None
        alias_element = _preferred(_children(lexeme, "alias"))
        alias = clean(alias_element.text or "") if alias_element is not None else None
        try:
            entries.append(Entry(graphemes=graphemes, alias=alias or None, ipa=ipa,
                                 ignore_case=_truthy(lexeme, ignore_case)))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return Lexicon(entries=entries, language=root.get(XML_LANG))


def to_pls(entries: list[Entry], language: str = "en") -> str:
    """A PLS 1.0 document for `entries` (IPA as <phoneme>, respellings as <alias>)."""
    ET.register_namespace("", PLS_NS)
    ET.register_namespace("ab", EXT_NS)
    root = ET.Element(f"{{{PLS_NS}}}lexicon", {"version": "1.0", "alphabet": "ipa", XML_LANG: language})
    for entry in entries:
        lexeme = ET.SubElement(root, f"{{{PLS_NS}}}lexeme")
        if entry.ignore_case:
            lexeme.set(f"{{{EXT_NS}}}ignore-case", "true")
        for grapheme in entry.graphemes:
            ET.SubElement(lexeme, f"{{{PLS_NS}}}grapheme").text = grapheme
        if entry.ipa:
            ET.SubElement(lexeme, f"{{{PLS_NS}}}phoneme").text = entry.ipa
        if entry.alias:
            ET.SubElement(lexeme, f"{{{PLS_NS}}}alias").text = entry.alias
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
