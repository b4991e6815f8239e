"""Applying lexicons to chunk text, for one engine.

Matching is on whole words (a multi-word grapheme matches as a phrase), case-sensitive unless the
entry says otherwise, and includes English possessives and plurals: "Hermione's", "Hermiones'",
"Pepys's", "the Rostóvs", "Joneses" (the -es plural only after a sibilant, so that "Jon" never
matches "Jones"). IPA entries go to engines that take phonemes (`PhonemeInput`), in the engine's
own markup; other engines get the entry's alias, or, with `ipa_fallback="refuse"`, an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.errors import PipelineError
from pipeline.lexicon.model import Entry, Lexicon

IPA_FALLBACKS = ("alias", "refuse")
_SIBILANT_ENDS = ("s", "x", "z", "ch", "sh")
# Suffixes that change the sound; a bare trailing apostrophe ("Pepys'") is left as text.
_SUFFIX = r"(?P<suffix>['’]s|s['’]|es|s)?"


class PhonemeInput(Protocol):
    """An engine (voice) that can be told phonemes instead of text."""

    voice_label: str  # named in errors

    def markup(self, ipa: str) -> str:
        """Engine text that says exactly `ipa`; ValueError naming a symbol the voice lacks."""
        ...


@dataclass(frozen=True)
class Rule:
    grapheme: str
    entry: Entry
    source: str
    form: str  # "ipa" or "alias": what this engine gets


@dataclass
class Applied:
    text: str  # what the engine reads
    pronunciations: list[dict[str, str]] = field(default_factory=list)  # one per replaced word


def suffix_ipa(ipa: str, suffix: str) -> str:
    """IPA of an English -s / -es / -'s ending after `ipa`: /ɪz/ after sibilants, /s/ after
    other voiceless sounds, /z/ otherwise."""
    if not suffix:
        return ""
    last = ipa.rstrip("ˈˌːˑ.̩ ")
    if last.endswith(("s", "z", "ʃ", "ʒ", "tʃ", "dʒ")):
        return "ɪz"
    return "s" if last.endswith(("p", "t", "k", "f", "θ")) else "z"


class Pronouncer:
    """Lexicons (lowest precedence first: a later file's entry for the same grapheme wins),
    compiled for one engine."""

    def __init__(self, lexicons: list[Lexicon], phonemes: PhonemeInput | None = None,
                 ipa_fallback: str = "alias"):
        if ipa_fallback not in IPA_FALLBACKS:
            raise PipelineError(f"unknown IPA fallback {ipa_fallback!r}; choose {' or '.join(IPA_FALLBACKS)}")
        self.phonemes = phonemes
        self.refuse_ipa = ipa_fallback == "refuse"
        self.files = [lex.source for lex in lexicons]
        chosen: dict[str, tuple[Entry, str]] = {}
        for lexicon in lexicons:
            for entry in lexicon.entries:
                for grapheme in entry.graphemes:
                    chosen[grapheme] = (entry, lexicon.source)
        self.skipped: list[str] = []  # IPA-only entries this engine cannot say
        self.rules: dict[str, Rule] = {}
        for grapheme, (entry, source) in chosen.items():
            form = self._form(grapheme, entry, source)
            if form is None:
                self.skipped.append(grapheme)
            else:
                self.rules[grapheme] = Rule(grapheme, entry, source, form)
        self._folded = {g.casefold(): r for g, r in self.rules.items() if r.entry.ignore_case}
        self._pattern = self._compile()

    def _form(self, grapheme: str, entry: Entry, source: str) -> str | None:
        where = f"lexicon entry {grapheme!r} ({source or 'lexicon'})"
        if entry.ipa and self.phonemes is not None:
            try:
                self.phonemes.markup(entry.ipa)
            except ValueError as exc:
                raise PipelineError(f"{where}: IPA /{entry.ipa}/ {exc}") from None
            return "ipa"
        if entry.ipa and self.refuse_ipa:
            raise PipelineError(f"{where}: this engine takes no phonemes, and the IPA fallback is 'refuse'")
        return "alias" if entry.alias else None  # IPA only, and no phonemes: left as written

    @property
    def entries(self) -> int:
        return len(self.rules)

    def _compile(self) -> re.Pattern[str] | None:
        if not self.rules:
            return None
        alternatives = []
        for grapheme in sorted(self.rules, key=len, reverse=True):  # longest first: phrases win
            body = re.escape(grapheme).replace(r"\ ", r"\s+")
            alternatives.append(f"(?i:{body})" if self.rules[grapheme].entry.ignore_case else body)
        # Not inside a word, nor after a letter and an apostrophe ("O'Brien" is not "Brien").
        return re.compile(rf"(?<!\w)(?<!\w['’])(?P<word>{'|'.join(alternatives)}){_SUFFIX}(?!\w)")

    def _rule(self, word: str) -> Rule | None:
        return self.rules.get(" ".join(word.split())) or self._folded.get(" ".join(word.split()).casefold())

    def apply(self, text: str) -> Applied:
        if self._pattern is None:
            return Applied(text)
        applied = Applied(text)

        def replace(match: re.Match[str]) -> str:
            rule, suffix = self._rule(match["word"]), match["suffix"] or ""
            if rule is None or (suffix == "es" and not rule.grapheme.lower().endswith(_SIBILANT_ENDS)):
                return match[0]
            if rule.form == "ipa":
                ipa = rule.entry.ipa or ""
                spoken = self.phonemes.markup(ipa + suffix_ipa(ipa, suffix))  # type: ignore[union-attr]
                applied.pronunciations.append({"grapheme": rule.grapheme, "ipa": ipa})
            else:
                spoken = (rule.entry.alias or "") + suffix
                applied.pronunciations.append({"grapheme": rule.grapheme, "alias": rule.entry.alias or ""})
            return spoken

        applied.text = self._pattern.sub(replace, text)
        return applied
