"""The hand-written TOML lexicon form."""

import pytest

from pipeline.lexicon import Entry, parse_toml
from tests.lexicon.conftest import refusal


def test_toml_form():
    lexicon = parse_toml('''
ignore_case = true
language = "en"
Hermione = { alias = "her-MY-oh-nee", ignore_case = false }
Pepys = { ipa = "piːps" }
"Saint John" = { alias = "sin-jun" }
'''.encode())
    assert lexicon.language == "en"
    assert lexicon.entries == [Entry(("Hermione",), alias="her-MY-oh-nee"), Entry(("Pepys",), ipa="piːps", ignore_case=True),
                               Entry(("Saint John",), alias="sin-jun", ignore_case=True)]


@pytest.mark.parametrize("text, problem", [
    ('Pepys = "peeps"', "must be a table"),
    ('Pepys = { sound = "peeps" }', "unknown key(s) sound"),
    ("Pepys = {}", "neither an alias nor IPA"),
    ("Pepys = { alias = ", "not valid TOML"),
])
def test_bad_toml_is_refused(tmp_path, text, problem):
    assert problem in refusal(tmp_path / "book.lexicon.toml", text)
