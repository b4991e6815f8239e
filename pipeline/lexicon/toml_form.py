"""The hand-written lexicon form, TOML:

    ignore_case = false                      # optional, for every entry of the file
    Hermione = { alias = "her-MY-oh-nee" }
    Pepys = { ipa = "piːps", alias = "peeps" }
    "Saint John" = { alias = "sin-jun", ignore_case = true }
    "Natásha" = { ipa = "nɐˈtɑːʃə" }           # TOML: keys other than A-Z a-z 0-9 _ - are quoted

Top-level tables are entries (the key is the grapheme); top-level plain values are settings.
"""

from __future__ import annotations

import tomllib

from pipeline.lexicon.model import Entry, Lexicon, clean

_ENTRY_KEYS = {"alias", "ipa", "ignore_case"}
_SETTINGS = {"ignore_case": bool, "language": str}


def parse_toml(data: bytes) -> Lexicon:
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"not valid TOML ({exc}); a word with accents or spaces needs quotes: "
                         f'"Natásha" = {{ ipa = "..." }}') from None
    settings = {k: v for k, v in table.items() if not isinstance(v, dict)}
    for key, value in settings.items():
        if key not in _SETTINGS or not isinstance(value, _SETTINGS[key]):
            raise ValueError(f"{key!r} = {value!r}: an entry must be a table, e.g. {key} = {{ alias = \"...\" }}")
    entries = []
    for grapheme, fields in table.items():
        if not isinstance(fields, dict):
            continue
        unknown = set(fields) - _ENTRY_KEYS
        if unknown:
            raise ValueError(f"entry {grapheme!r}: unknown key(s) {', '.join(sorted(unknown))} "
                             f"(use {', '.join(sorted(_ENTRY_KEYS))})")
        if not all(isinstance(fields.get(k, ""), str) for k in ("alias", "ipa")):
            raise ValueError(f"entry {grapheme!r}: alias and ipa must be strings")
        try:
            entries.append(Entry(graphemes=(clean(grapheme),), alias=clean(fields.get("alias", "")) or None,
                                 ipa=fields.get("ipa", "").strip() or None,
                                 ignore_case=bool(fields.get("ignore_case", settings.get("ignore_case", False)))))
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return Lexicon(entries=entries, language=settings.get("language"))
