"""Intelligibility: recognise a chunk's audio and compare the words with its own text (WER).

English uses pocketsphinx, whose wheel ships the en-US acoustic model and dictionary (no download
at run time). Free decoding of synthetic speech with a general language model is both slow and
inaccurate, so each chunk is decoded with a small bigram language model built from its own text:
the decoder is steered towards the words that should be there, in their order, but still free to
leave words out (a skipped word or a cut-off ending) or to repeat and reorder them (babble), which
is exactly what we want to catch. The dictionary holds only the words seen so far, so building a
chunk's model takes milliseconds; decoding costs about 1% of the clip's length in CPU time.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from functools import lru_cache

import numpy as np

ASR_RATE = 16000

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def normalise(text: str) -> list[str]:
    """Lower case words, accents and punctuation removed, hyphenated words split."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("’", "'").replace("-", " ")
    return _WORD.findall(text)


UNKNOWN = "<unk>"  # a reference word the recogniser cannot know: matches up to 3 heard words, or none, free
_UNKNOWN_SPAN = 3


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words: substitutions + deletions + insertions."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        if ref == UNKNOWN:
            current[0] = previous[0]
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
            if ref == UNKNOWN:
                current[j] = min(current[j], *(previous[j - k] for k in range(_UNKNOWN_SPAN + 1) if j - k >= 0))
        previous = current
    return previous[-1]


def longest_gap(reference: list[str], hypothesis: list[str]) -> int:
    """The longest run of consecutive reference words deleted (not heard at all) in a best
    alignment: a skipped phrase or a lost sentence ending, rather than scattered mishearings."""
    n, m = len(reference), len(hypothesis)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 or j == 0:
                cost[i][j] = 0 if (i == 0 or reference[i - 1] == UNKNOWN) and j == 0 else i + j
                if i and j == 0 and reference[i - 1] == UNKNOWN:
                    cost[i][j] = cost[i - 1][0]
                continue
            free = reference[i - 1] == UNKNOWN
            options = [cost[i - 1][j] + (0 if free else 1), cost[i][j - 1] + 1,
                       cost[i - 1][j - 1] + (0 if free or reference[i - 1] == hypothesis[j - 1] else 1)]
            cost[i][j] = min(options)
    # Walk back, preferring matches/substitutions, counting runs of deletions of known words.
    i, j, run, longest = n, m, 0, 0
    while i > 0:
        free = reference[i - 1] == UNKNOWN
        if j > 0 and cost[i][j] == cost[i - 1][j - 1] + (0 if free or reference[i - 1] == hypothesis[j - 1] else 1):
            i, j, run = i - 1, j - 1, 0
        elif cost[i][j] == cost[i - 1][j] + (0 if free else 1):
            run = run if free else run + 1
            longest = max(longest, run)
            i -= 1
        else:
            j -= 1
    return longest


def wer(reference: list[str], hypothesis: list[str]) -> float:
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return word_errors(reference, hypothesis) / len(reference)


class PocketsphinxRecogniser:
    language = "en"
    name = "pocketsphinx en-us"

    def __init__(self) -> None:
        import pocketsphinx

        model = pocketsphinx.get_model_path()
        self._pronunciations = _read_dictionary(os.path.join(model, "en-us", "cmudict-en-us.dict"))
        # The decoder reads its files when they are handed over: each lives in a temporary folder
        # only that long, so nothing is left in $TMPDIR, however the process ends later.
        with tempfile.TemporaryDirectory(prefix="audiobook-asr-") as folder:
            seed_dict = os.path.join(folder, "seed.dict")
            with open(seed_dict, "w", encoding="utf-8") as out:
                out.write("the DH AH\n")
            self._decoder = pocketsphinx.Decoder(pocketsphinx.Config(
                lm=None, dict=seed_dict, logfn=os.devnull,
                cmn="batch",  # each utterance normalised on its own: the result does not depend on the ones before
                fwdflat=False, bestpath=False,  # one decoding pass: 1.5x faster, about as accurate on clean speech
                # Score every second 10 ms frame: 40% less CPU (QA cost as much as synthesis). On the
                # 61 longer chunks of the Wodehouse chapter I: no clean chunk flagged either way, a cut
                # middle third caught 52 vs 51 times, another chunk appended 59 vs 59.
                ds=2,
                # No phonetic lookahead and the 2 best Gaussians per frame instead of 4: the chunk's own
                # bigram model already keeps the search small, so acoustic scoring is the cost. On the 59
                # longer chunks of chapter I: decoding CPU 5.05 s -> 2.80 s; no clean chunk flagged either
                # way; a cut middle third caught 54 vs 52 times, half a chunk 59 vs 59, another chunk's
                # audio appended 58 vs 57.
                pl_window=0, topn=2))
        self._known = {"the"}
        self._lock = threading.Lock()

    def recognise(self, audio: np.ndarray, rate: int, text: str) -> tuple[list[str], list[str]]:
        """(reference words, heard words). A reference word with no pronunciation is left out of the
        model and stands in the reference as UNKNOWN (whatever is heard there is not an error)."""
        reference = [w if self._pronounce(w) else UNKNOWN for w in normalise(text)]
        if all(w == UNKNOWN for w in reference):
            return reference, []
        known = [w for w in reference if w != UNKNOWN]
        pcm = _to_pcm16(audio, rate)
        with self._lock:
            for word in dict.fromkeys(known):
                if word not in self._known:
                    self._decoder.add_word(word, self._pronounce(word), False)
                    self._known.add(word)
            with tempfile.TemporaryDirectory(prefix="audiobook-asr-") as folder:
                path = os.path.join(folder, "chunk.arpa")
                with open(path, "w", encoding="utf-8") as out:
                    out.write(_bigram_arpa(known))
                self._decoder.add_lm_file("chunk", path)
            self._decoder.activate_search("chunk")
            self._decoder.start_utt()
            if len(pcm):
                self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return reference, (hyp.hypstr.split() if hyp is not None and hyp.hypstr else [])


    def _pronounce(self, word: str) -> str | None:
        """The dictionary's pronunciation; possessives and two-word compounds are derived."""
        found = self._pronunciations.get(word)
        if found or len(word) < 3:
            return found
        if word.endswith("'s") and (base := self._pronunciations.get(word[:-2])):
            last = base.split()[-1]
            ending = "IH Z" if last in {"S", "Z", "SH", "ZH", "CH", "JH"} else "S" if last in {"P", "T", "K", "F", "TH"} else "Z"
            return self._pronunciations.setdefault(word, f"{base} {ending}")
        for cut in range(3, len(word) - 2):
            head, tail = self._pronunciations.get(word[:cut]), self._pronunciations.get(word[cut:])
            if head and tail:
                return self._pronunciations.setdefault(word, f"{head} {tail}")
        return None


def _read_dictionary(path: str) -> dict[str, str]:
    pronunciations: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.partition(" ")
            if "(" not in word:  # first pronunciation only
                pronunciations.setdefault(word, phones.strip())
    return pronunciations


def _to_pcm16(audio: np.ndarray, rate: int) -> bytes:
    import soxr  # mastering's resampler: 4x faster here than scipy's resample_poly, and no scipy.signal import

    audio = np.asarray(audio, dtype=np.float32)
    if rate != ASR_RATE and len(audio):
        audio = soxr.resample(audio, rate, ASR_RATE, quality="HQ")
    return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16).tobytes()


def _bigram_arpa(words: list[str]) -> str:
    """A bigram model of the text: each word likely followed by its successor in the text,
    backing off to any word of the text (so omissions and repetitions are still decodable)."""
    vocab = sorted(set(words))
    sequence = ["<s>", *words, "</s>"]
    following: dict[str, set[str]] = {}
    for a, b in zip(sequence, sequence[1:]):
        following.setdefault(a, set()).add(b)
    unigram = np.log10(1.0 / (len(vocab) + 1))
    lines = ["\\data\\", f"ngram 1={len(vocab) + 2}", f"ngram 2={sum(len(v) for v in following.values())}", "",
             "\\1-grams:", "-99 <s> -0.3", f"{unigram:.4f} </s> 0"]
    lines += [f"{unigram:.4f} {w} -0.7" for w in vocab]
    lines += ["", "\\2-grams:"]
    for a in sorted(following):
        for b in sorted(following[a]):
            lines.append(f"{np.log10(0.8 / len(following[a])):.4f} {a} {b}")
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


@lru_cache(maxsize=None)
def recogniser_for(language: str) -> PocketsphinxRecogniser | None:
    """The recogniser for a primary language subtag, or None where no model is available."""
    if language.split("-")[0].lower() != "en":
        return None
    try:
        return PocketsphinxRecogniser()
    except ImportError:
        return None
