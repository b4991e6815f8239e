"""Cheap per-chunk checks on a synthesised clip: length for its text, silences, clipping, level,
fading, voice activity. Thresholds for length and level are learned from the book's own chunks
(median/MAD of the chunks before this one), with a prior for the first few.

Everything here is a pure function of (audio, text, the chunks before): decisions are
reproducible, so a resumed run decides exactly what an uninterrupted one did.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np

FRAME_S = 0.02  # analysis frame
SILENCE_DBFS = -50.0  # frames quieter than this (and far below the speech level) are silence
RELATIVE_SILENCE_DB = 35.0  # ... a frame this far below the clip's loud frames is silence too
CLIP_LEVEL = 0.99  # a sample at or above this magnitude is (near) full scale

# Failure thresholds. Each check's "badness" is value / threshold: above 1 fails.
MAX_CLIPPED = 0.002  # fraction of samples near full scale
MAX_PAUSE_S = 2.0  # longest pause inside a chunk
MAX_EDGE_SILENCE_S = 3.0  # leading or trailing silence in the engine's clip
MAX_END_DROP_DB = 14.0  # last 20 % quieter than the rest by more than this: fading
MIN_FADE_SPAN_S = 1.5
MAX_LEVEL_DRIFT_DB = 9.0  # chunk RMS away from the book's running median
MIN_VOICED = 0.3  # fraction of speech-span frames with voice activity
MIN_LENGTH_TOLERANCE = math.log(1.35)  # length within ×/÷ 1.35 of the expected always passes
LENGTH_SLACK_S = 0.6  # ... and within this many seconds of it
MAX_WER = 0.25  # word error rate against the chunk's own text ...
MIN_WORD_ERRORS = 2  # ... with at least this many errors (one word on a short title is noise)
MAX_GAP_WORDS = 2  # more consecutive words of the text not heard at all: a skipped phrase

# Prior speaking rate (letters per second at speed 1) until the book has taught us its voice's.
PRIOR_RATE = 13.5
PRIOR_LOG_MAD = 0.1
MIN_HISTORY = 8  # chunks needed before the learned rate/level replace the prior
HISTORY = 200  # the running statistics look at this many chunks before the current one


@dataclass
class Metrics:
    """What the checks measured on one take."""

    duration_s: float  # speech span, edges trimmed
    letters: int  # letters and digits in the text: what the expected duration scales with
    lead_s: float | None  # leading / trailing silence of the engine's clip (None: read from the cache)
    trail_s: float | None
    longest_pause_s: float
    clipped: float
    rms_db: float  # over voiced frames
    end_drop_db: float  # RMS of the last 20 % minus the rest (negative: quieter at the end)
    voiced: float
    wer: float | None = None  # None: no recogniser for the language
    word_errors: int | None = None
    word_gap: int | None = None  # longest run of consecutive words of the text not heard
    heard: str | None = None  # what the recogniser heard

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    badness: dict[str, float] = field(default_factory=dict)  # per check, > 1 fails

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def score(self) -> float:
        """Lower is better: failures dominate, then how far each check is over half its limit."""
        return round(sum(max(0.0, b - 0.5) for b in self.badness.values()) + 10.0 * len(self.problems), 4)


def letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _frame_db(audio: np.ndarray, rate: int) -> np.ndarray:
    n = max(1, int(FRAME_S * rate))
    frames = len(audio) // n
    if frames == 0:
        return np.full(1, -120.0)
    power = np.mean(audio[:frames * n].astype(np.float64).reshape(frames, n) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)


def _db(power: float) -> float:
    return 10 * math.log10(power + 1e-12)


def measure(audio: np.ndarray, rate: int, text: str, raw: bool = True) -> Metrics:
    """The cheap checks' measurements. `raw`: the engine's clip (edge silences are meaningful);
    otherwise cached audio, whose edges were already trimmed."""
    audio = np.asarray(audio, dtype=np.float32)
    db = _frame_db(audio, rate)
    loud_ref = float(np.percentile(db, 95)) if len(db) else -120.0
    threshold = max(SILENCE_DBFS, loud_ref - RELATIVE_SILENCE_DB)
    voiced = db > threshold
    clipped = float(np.mean(np.abs(audio) >= CLIP_LEVEL)) if len(audio) else 0.0
    if not voiced.any():
        return Metrics(duration_s=0.0, letters=letters(text), lead_s=len(audio) / rate if raw else None,
                       trail_s=len(audio) / rate if raw else None, longest_pause_s=0.0, clipped=clipped,
                       rms_db=-120.0, end_drop_db=0.0, voiced=0.0)
    first, last = int(np.argmax(voiced)), len(voiced) - 1 - int(np.argmax(voiced[::-1]))
    span = voiced[first:last + 1]
    # Longest run of silent frames inside the speech span.
    longest = run = 0
    for v in span:
        run = 0 if v else run + 1
        longest = max(longest, run)
    n = max(1, int(FRAME_S * rate))
    speech = audio[first * n:(last + 1) * n].astype(np.float64)
    cut = int(len(speech) * 0.8)
    head, tail = speech[:cut], speech[cut:]
    end_drop = _db(float(np.mean(tail ** 2))) - _db(float(np.mean(head ** 2))) if len(tail) and len(head) else 0.0
    rms = _db(float(np.mean(10 ** (db[first:last + 1][span] / 10))))
    return Metrics(duration_s=len(span) * FRAME_S, letters=letters(text),
                   lead_s=first * FRAME_S if raw else None,
                   trail_s=(len(voiced) - 1 - last) * FRAME_S if raw else None,
                   longest_pause_s=longest * FRAME_S, clipped=clipped, rms_db=rms, end_drop_db=end_drop,
                   voiced=float(np.mean(span)))


@dataclass
class BookStats:
    """Robust running statistics of the book's chunks so far (the voice's rate and level)."""

    log_rate: float  # median log(letters per second)
    log_rate_mad: float
    rms_db: float | None  # median chunk level; None until enough chunks
    count: int

    @classmethod
    def from_history(cls, history: list[Metrics], speed: float = 1.0) -> "BookStats":
        usable = [m for m in history if m.duration_s > 0 and m.letters > 0]
        prior_rate = math.log(PRIOR_RATE * speed)
        if len(usable) < MIN_HISTORY:
            # Blend the prior with what we have: the prior weighs as much as MIN_HISTORY chunks.
            rates = [math.log(m.letters / m.duration_s) for m in usable]
            mean = (prior_rate * (MIN_HISTORY - len(rates)) + sum(rates)) / MIN_HISTORY
            return cls(log_rate=mean, log_rate_mad=PRIOR_LOG_MAD, rms_db=None, count=len(usable))
        # Weight by length: a long chunk's rate is a better sample than a two-word title's.
        rates = np.array([math.log(m.letters / m.duration_s) for m in usable])
        weights = np.array([m.letters for m in usable], dtype=float)
        median = _weighted_median(rates, weights)
        mad = _weighted_median(np.abs(rates - median), weights)
        levels = np.array([m.rms_db for m in usable])
        return cls(log_rate=float(median), log_rate_mad=float(max(mad, 0.04)), rms_db=float(np.median(levels)),
                   count=len(usable))

    def expected_duration(self, text_letters: int) -> float:
        return text_letters / math.exp(self.log_rate)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def judge(m: Metrics, stats: BookStats) -> Verdict:
    v = Verdict()

    def check(name: str, badness: float, problem: str) -> None:
        v.badness[name] = round(float(badness), 4)
        if badness > 1:
            v.problems.append(problem)

    if m.duration_s <= 0:
        check("speech", 2.0, "no speech")
    expected = stats.expected_duration(m.letters)
    if m.letters and m.duration_s > 0:
        # Allowed deviation: the voice's own spread (4 MADs of log rate), at least ×/÷ 1.35,
        # widened by a fixed slack that matters for short chunks.
        tolerance = max(MIN_LENGTH_TOLERANCE, 4 * 1.4826 * stats.log_rate_mad)
        ratio = m.duration_s / expected
        slack = LENGTH_SLACK_S / expected
        if ratio < 1:
            badness = math.log(1 / min(1.0, ratio + slack)) / tolerance
            check("length", badness, f"too short: {m.duration_s:.1f} s for {expected:.1f} s expected "
                                     "(skipped or cut words?)")
        else:
            badness = math.log(max(1.0, ratio - slack)) / tolerance
            check("length", badness, f"too long: {m.duration_s:.1f} s for {expected:.1f} s expected "
                                     "(repeats or babble?)")
    check("pause", m.longest_pause_s / MAX_PAUSE_S, f"pause of {m.longest_pause_s:.1f} s inside the chunk")
    for name, edge in (("lead", m.lead_s), ("trail", m.trail_s)):
        if edge is not None:
            check(name, edge / MAX_EDGE_SILENCE_S, f"{edge:.1f} s of {'leading' if name == 'lead' else 'trailing'} silence")
    check("clipping", m.clipped / MAX_CLIPPED, f"clipping: {m.clipped:.1%} of samples at full scale")
    if m.duration_s >= MIN_FADE_SPAN_S:  # the end of a two-word title is too short to judge
        check("fade", max(0.0, -m.end_drop_db) / MAX_END_DROP_DB, f"fades out: last fifth {-m.end_drop_db:.0f} dB quieter")
    if m.duration_s > 0:
        check("voice", (1 - m.voiced) / (1 - MIN_VOICED), f"little speech: {m.voiced:.0%} voice activity")
        if stats.rms_db is not None:
            drift = m.rms_db - stats.rms_db
            check("level", abs(drift) / MAX_LEVEL_DRIFT_DB, f"level {drift:+.0f} dB from the book's median")
    if m.wer is not None:
        errors = m.word_errors or 0
        badness = m.wer / MAX_WER if errors >= MIN_WORD_ERRORS else min(m.wer / MAX_WER, 1.0)
        check("wer", badness, f"intelligibility: {m.wer:.0%} word errors (heard: {(m.heard or '')[:120]!r})")
    if m.word_gap is not None:
        check("skip", m.word_gap / (MAX_GAP_WORDS + 0.5), f"{m.word_gap} consecutive words not heard (skipped?)")
    return v
