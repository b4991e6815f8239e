"""Word tables for the English normaliser (data only, so rules in english.py stay readable)."""

from __future__ import annotations

# Titles read before a name. "St" and "Dr" are decided in context (Saint/Street, Doctor/Drive).
TITLES = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Messrs": "Messieurs", "Dr": "Doctor",
    "Prof": "Professor", "Capt": "Captain", "Col": "Colonel", "Gen": "General",
    "Lt": "Lieutenant", "Rev": "Reverend", "Hon": "Honourable", "Sgt": "Sergeant",
    "Maj": "Major", "Gov": "Governor", "Adm": "Admiral", "Mt": "Mount", "St": "Saint",
}
# Written without their full stop in British usage ("Mr Smith").
TITLES_WITHOUT_STOP = ("Mr", "Mrs", "Ms", "Dr", "St")

# Abbreviations anywhere in a sentence; those in ENDS_SENTENCE keep a full stop when a new
# sentence follows, so the segmenter still sees the sentence end.
ABBREVIATIONS = {
    "e.g": "for example", "i.e": "that is", "etc": "et cetera", "vs": "versus",
    "viz": "namely", "cf": "compare", "approx": "approximately",
    "jr": "Junior", "sr": "Senior", "esq": "Esquire",
}
ENDS_SENTENCE = {"etc", "jr", "sr", "esq"}

# Capitalised words that start sentences: "Baker St. The house" is Street, not Saint The.
SENTENCE_STARTERS = {
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "Then", "But", "And", "So",
    "There", "This", "That", "His", "Her", "Their", "Our", "My", "In", "On", "At", "When",
}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS} | {"Sept": "September"}

# Headings whose number is read as a cardinal: "Chapter XII" -> "Chapter Twelve".
NUMBERED_HEADINGS = ["Chapter", "Part", "Book", "Volume", "Vol.", "Section", "Act", "Scene",
                     "Canto", "Appendix", "Article", "Stage", "Phase", "Psalm", "World War",
                     # Label words of letters, lectures, poems and tales: "Letter IV" is "Letter Four",
                     # read as the same kind of number as the chapters are.
                     "Letter", "Stave", "Epistle", "Lecture", "Lesson", "Sonnet", "Fable", "Tale", "Story",
                     "Essay", "Sermon", "Discourse", "Dialogue", "Meditation", "Episode", "Prologue",
                     "Epilogue", "Ode", "Elegy", "Hymn", "Song", "Night", "Day", "Movement"]

# Monarchs and popes, whose numeral is an ordinal: "George III" -> "George the Third".
REGNAL_NAMES = {
    "Adrian", "Afonso", "Alexander", "Alfonso", "Amenhotep", "Andrew", "Benedict", "Boniface",
    "Carl", "Carlos", "Casimir", "Catherine", "Celestine", "Charles", "Christian", "Clement",
    "Constantine", "David", "Edmund", "Edward", "Elizabeth", "Ethelred", "Felipe", "Ferdinand",
    "Francis", "Frederick", "Friedrich", "George", "Gregory", "Gustav", "Gustavus", "Haakon",
    "Harald", "Henry", "Innocent", "Ivan", "James", "John", "Joseph", "Juan", "Julius", "Karl",
    "Leo", "Leopold", "Louis", "Ludwig", "Manuel", "Mary", "Mehmed", "Murad", "Napoleon",
    "Nicholas", "Olaf", "Oscar", "Otto", "Paul", "Pedro", "Peter", "Philip", "Pius", "Ptolemy",
    "Rameses", "Ramesses", "Richard", "Robert", "Rudolf", "Selim", "Sigismund", "Sixtus",
    "Stephen", "Thutmose", "Umberto", "Urban", "Victor", "Wilhelm", "William",
}

# Words after a number that make it a quantity, not a year ("1500 men", "1850 miles").
QUANTITY_WORDS = {
    "men", "women", "people", "children", "head", "strong", "feet", "foot", "ft", "yards",
    "miles", "metres", "meters", "km", "kg", "lb", "lbs", "tons", "pounds", "dollars",
    "francs", "guineas", "acres", "times", "words", "pages", "copies", "horses", "troops",
}
# Words before a number that make it a year ("in 1500", "since 1066").
YEAR_CONTEXT = {
    "in", "of", "since", "by", "until", "till", "from", "to", "year", "circa", "c.", "during",
    "before", "after", "around", "about", "early", "late", "mid", "between", "and", "spring",
    "summer", "autumn", "fall", "winter", *(m.lower() for m in MONTHS),
}
# Words ending in "s" that are not plural nouns ("in 1859 was...").
NOT_PLURAL = {"was", "has", "as", "is", "his", "its", "this", "thus", "yes", "always", "perhaps",
              "towards", "afterwards", "besides", "sometimes", "whereas", "unless", "does",
              "goes", "us", "plus", "less", "across"}

CURRENCIES = {  # symbol: (unit, units, subunit, subunits)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
}

FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}
