"""Ingest benchmark: manuscript -> Book -> spoken-form chunks, timed per stage.

Usage: .venv/bin/python bench/ingest_bench.py [path/to/book.epub] [--no-large]
Target: the whole run under 10 s on a 2-core machine (normalise + segment + chunk well under 8 s
for 100k words). Also reads the largest shared book (War and Peace, ~560k words) and reports its
words per second as a ratio to the Wodehouse figure, and checks that chunking stays linear: 1M
synthetic words may take at most ~25x the time of 40k. Writes bench/results/ingest.json.
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
LARGE_BOOK = REPO.parent / "shared/books/leo-tolstoy_war-and-peace_louise-maude_aylmer-maude.epub"
LINEAR_LIMIT = 25  # 1M words against 40k words (25x the words): no more than 25x the time
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


def _ingest(path: Path) -> tuple[int, float]:
    """Words and seconds for read + chunk_book, the real pipeline's ingest."""
    from pipeline.manuscript import read_manuscript

    started = time.perf_counter()
    book = read_manuscript(path)
    chunk_book(book, MAX_CHARS)
    return book.words, time.perf_counter() - started


def _chunk_seconds(words: int) -> float:
    book = synthetic_book(words)
    started = time.perf_counter()
    chunk_book(book, MAX_CHARS)
    return time.perf_counter() - started


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else DEFAULT_BOOK
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
    if "--no-large" not in sys.argv and LARGE_BOOK.exists():
        large_words, large_s = _ingest(LARGE_BOOK)
        small_s, big_s = _chunk_seconds(40_000), _chunk_seconds(1_000_000)
        result["large"] = {
            "book": LARGE_BOOK.name,
            "words": large_words,
            "seconds": round(large_s, 3),
            "words_per_s": round(large_words / large_s),
            "ratio_to_wodehouse": round(large_words / large_s / result["words_per_s"], 2),
        }
        result["linearity"] = {  # chunking time of 1M synthetic words over that of 40k words
            "words_40k_s": round(small_s, 3),
            "words_1m_s": round(big_s, 3),
            "time_ratio": round(big_s / small_s, 1),
            "limit": LINEAR_LIMIT,
            "linear": big_s / small_s <= LINEAR_LIMIT,
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
