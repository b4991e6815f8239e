"""Ingest benchmark: manuscript -> Book -> spoken-form chunks, timed per stage.

Usage: .venv/bin/python bench/ingest_bench.py [path/to/book.epub]
Target: the whole run under 10 s on a 2-core machine (normalise + segment + chunk well under 8 s
for 100k words). Writes bench/results/ingest.json.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.book import Book, Chapter, Paragraph  # noqa: E402
from pipeline.chunks import chunk_book, spoken_paragraphs  # noqa: E402
from pipeline.chunks.sentences import split_sentences  # noqa: E402

DEFAULT_BOOK = REPO.parent / "shared/books/love-among-the-chickens.epub"
RESULTS = REPO / "bench/results/ingest.json"
MAX_CHARS = 400
# Realistic paragraphs (dialogue, numbers, abbreviations) for the 100k-word synthetic budget check.
SYNTHETIC_PARAGRAPHS = [
    "Mr. Ukridge said, \"I tell you, laddie, it's the chance of a lifetime!\" He waved a hand; the "
    "chickens, which had cost him $12.50 apiece, scattered. I looked at him.",
    "\"Are you sure?\" \"Sure? Of course I'm sure!\" It was 3:30 pm on the 24th of June, 1905... "
    "Mrs. Ukridge sighed; nobody listened, and the hens went on laying, or not, as the case might be.",
    "Yes.",
    "In 1859 Dr. Jones of St. Paul's, a man of 45 years and 1,234 opinions, wrote to the Times about "
    "it — at length — and was answered by Prof. Smith, e.g. in Chapter XII of his memoirs.",
    "It was a warm day, the thermometer standing at 30°C in the shade, and about 45% of the fowls "
    "had decided, with the quiet obstinacy of their species, that they would do nothing whatever "
    "about anything until the weather broke; Ukridge regarded them with a sorrowful eye.",
    "\"Nonsense!\" said Ukridge. \"Absolute nonsense. What? No!\"",
]


def synthetic_book(words: int = 100_000) -> Book:
    per_round = sum(len(p.split()) for p in SYNTHETIC_PARAGRAPHS)
    rounds = -(-words // per_round)
    paragraphs = [Paragraph(p) for _ in range(rounds) for p in SYNTHETIC_PARAGRAPHS]
    size = -(-len(paragraphs) // 20)
    chapters = [Chapter(title=f"Chapter {i + 1}", paragraphs=paragraphs[i * size:(i + 1) * size])
                for i in range(20)]
    return Book(title="Synthetic", authors=["Bench"], language="en", chapters=chapters)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BOOK
    from pipeline.manuscript import read_manuscript  # written alongside; imported late on purpose

    t0 = time.perf_counter()
    book = read_manuscript(path)
    t1 = time.perf_counter()
    # Stage timings, measured separately for the profile; chunk_book repeats them end to end.
    spoken = [spoken_paragraphs(ch, book.language) for ch in book.chapters]
    t2 = time.perf_counter()
    sentences = sum(len(split_sentences(p, book.language)) for ps in spoken for p in ps)
    t3 = time.perf_counter()
    chunks = chunk_book(book, MAX_CHARS)
    t4 = time.perf_counter()

    synthetic = synthetic_book()
    t5 = time.perf_counter()
    synthetic_chunks = chunk_book(synthetic, MAX_CHARS)
    t6 = time.perf_counter()

    words = book.words
    result = {
        "book": path.name,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "words": words,
        "chapters": len(book.chapters),
        "sentences": sentences,
        "chunks": len(chunks),
        "max_chars": MAX_CHARS,
        "seconds": {
            "read": round(t1 - t0, 3),
            "normalise": round(t2 - t1, 3),
            "segment": round(t3 - t2, 3),
            "chunk_book": round(t4 - t3, 3),  # normalise + segment + split + ids, end to end
            "total": round((t1 - t0) + (t4 - t3), 3),  # read + chunk_book: the real pipeline
        },
    }
    result["words_per_s"] = round(words / result["seconds"]["total"])
    result["synthetic"] = {  # budget check: normalise + segment + chunk 100k words, < 8 s
        "words": synthetic.words,
        "chunks": len(synthetic_chunks),
        "chunk_book_s": round(t6 - t5, 3),
        "words_per_s": round(synthetic.words / (t6 - t5)),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
