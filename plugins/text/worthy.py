"""Check-worthiness: an offline, deterministic score for "this sentence asserts something checkable".

Signals for: figures, dates, comparisons and superlatives, named entities, attributions,
citation markers, definitional facts. Signals against: hedges, questions, imperatives and
advice, meta-text, opinion, labels. Each signal is a named weight, so a finding can say why.

Keyword signals are set lookups on the sentence's words, with a regex only where a phrase needs
its word order: a vault has hundreds of thousands of sentences, and a dozen keyword regexes
each scanning every sentence cost about 60 µs a sentence; this costs under 10.
"""

from __future__ import annotations

import re

from .references import MARKERS
from .shape import META as _META
from .shape import LEAD_IN as _LEAD_IN
from .shape import is_fragment, is_review, names_only

from .worthy_model import features, load, logit

THRESHOLD = 2.0  # the score at which a sentence counts as a claim (the model's cut)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MARKERS = MARKERS
_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"[a-z']+")
_FIGURE = re.compile(
    r"(?:[$€£¥]\s?\d|\d[\d,.]*\s?(?:%|percent|×|x\b|-fold|times\b|k\b|m\b|bn\b|billion|million|thousand|"
    r"km|kg|g/|mg|mph|°|tokens|watts?|kWh|MW|GW|GB|TB|parameters|users|people|years?|days?|hours?|degrees))",
    re.I,
)
_YEAR = re.compile(r"(?<![\dA-Za-z.,])(?:1[5-9]\d\d|20\d\d)s?(?![\d.,]?\d)(?![A-Za-z])")  # also "1913年"
_PAREN_YEAR = re.compile(r"\(\d{4}[a-z]?\)")
_STEP_NUMBERS = re.compile(
    r"\b(?:step|section|part|chapter|item|tip|option|point)s?\s+\d|\bnext\s+\d|"
    r"\b\d+\s+(?:sets?|reps?|sections?|steps?|tips?|ways?|things?|minutes? to)\b",
    re.I,
)

_SUPERLATIVE = _words("first only largest biggest smallest fastest highest lowest oldest most least best worst")
_COMPARATIVE = _words("more less fewer greater higher lower faster slower larger smaller cheaper better worse")
_OUTDO = _words(
    "outperform outperforms outperformed outperforming surpass surpasses surpassed surpassing exceed exceeds "
    "exceeded exceeding doubled doubles doubling tripled triples tripling halved halves halving"
)
_THAN = re.compile(r"\b(?:" + "|".join(sorted(_COMPARATIVE)) + r")\s+than\b", re.I)
_REPORTING = _words(
    "found showed shows reported reports announced estimated measured demonstrated concluded published "
    "released launched founded invented discovered acquired introduced developed built won signed ratified "
    "elected born died"
)
_COPULA = _words("is are was were")
_ROLE = _words("capital largest official first home part member founder author inventor successor predecessor unit standard")
_STATE = _words("located based made named called known composed written designed")
_ROLE_FACT = re.compile(r"\b(?:is|are|was|were)\s+(?:the|a|an)\s+(?:" + "|".join(sorted(_ROLE)) + r")\b", re.I)
_STATE_FACT = re.compile(r"\b(?:is|are|was|were)\s+(?:" + "|".join(sorted(_STATE)) + r")\b", re.I)
_FACT_VERB = _words("contain contains cause causes require requires use uses run runs support supports")
_HEDGE = _words(
    "may might could perhaps possibly potentially likely unlikely probably seem seems appear appears suggest "
    "suggests arguably speculate speculated speculates speculating speculative speculation hope hopefully "
    "vary varies imagine predict predicts predicted predicting prediction predictions"
)
_HEDGE_PHRASE = re.compile(
    r"\b(?:I think|I believe|we believe|in my (?:view|opinion)|it is (?:possible|unclear)|depend(?:s|ing)? on)\b", re.I
)
_OPINION = _words("should must worth ideal great excellent amazing beautiful wonderful fascinating exciting crucial essential")
_OPINION_PHRASE = re.compile(r"\b(?:need to|important to|I recommend|we recommend|key is|best (?:way|practice))\b", re.I)
_FIRST_PERSON = _words("i my we our")
_PERSONAL = re.compile(r"\b(?:I|my|we|our)\b")  # case-sensitive: a sentence-initial "We" is often a narrator's

_IMPERATIVE = re.compile(
    r"^(?:step\s+\d+\s*[:.]\s*)?(?:please\s+)?(?:add|ask|avoid|be|begin|buy|call|check|choose|click|compare|"
    r"consider|cook|create|do|don't|drink|eat|enable|ensure|get|go|install|keep|let's|look|make|mix|note|open|"
    r"pick|plan|preheat|read|remember|remove|run|save|see|set|start|stir|take|talk|test|think|track|try|turn|"
    r"type|use|verify|visit|wait|watch|write)\b",
    re.I,
)
_BOLD_ONLY = re.compile(r"^\*\*[^*]+\*\*[.:]?$")
_CONDITIONAL = re.compile(r"^(?:if|when|once|unless)\s+you\b", re.I)
_ENTITY = re.compile(r"[\s(“\"'](?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|[A-Z]{2,}[a-z]?)\b")
_DIGIT = re.compile(r"\d")
_REFERENCE = re.compile(r"\[[A-Z][^\[\]]*\(\d{4}[a-z]?\)")


# Numbers written as words ("one in four", "three times", "five hours"): a figure without digits.
_NUMBER_WORDS = _words(
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty hundred "
    "hundreds thousand thousands million millions billion billions dozen dozens twice thrice half quarter"
)
_PHRASE_STARTS = _words("i we in it depend depends depending need important recommend key best")

# Keyword classes as bits, so one set intersection finds every keyword a sentence has.
_CLASSES = {
    "superlative": _SUPERLATIVE | _OUTDO, "than": frozenset({"than"}), "reporting": _REPORTING,
    "according": frozenset({"according"}), "al": frozenset({"al"}), "copula": _COPULA, "role": _ROLE,
    "state": _STATE, "fact-verb": _FACT_VERB, "consist": frozenset({"consist", "consists"}), "hedge": _HEDGE,
    "opinion": _OPINION, "phrase": _PHRASE_STARTS, "person": _FIRST_PERSON, "number-word": _NUMBER_WORDS,
}
_BIT = {name: 1 << i for i, name in enumerate(_CLASSES)}
_LEXICON: dict[str, int] = {}
for _name, _members in _CLASSES.items():
    for _word in _members:
        _LEXICON[_word] = _LEXICON.get(_word, 0) | _BIT[_name]
_KEYWORDS = frozenset(_LEXICON)
_OPENING = re.compile(f"(?P<meta>{_META.pattern})|(?P<imperative>{_IMPERATIVE.pattern})|(?P<advice>{_CONDITIONAL.pattern})", re.I)
_OPENING_WEIGHT = {"meta": -4.0, "imperative": -4.0, "advice": -3.0}
_SUPER, _THAN_BIT, _REPORT, _ACCORDING, _AL = (_BIT[n] for n in ("superlative", "than", "reporting", "according", "al"))
_HEDGE_BIT, _OPINION_BIT, _PHRASE_BIT, _PERSON_BIT = (_BIT[n] for n in ("hedge", "opinion", "phrase", "person"))


# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Khmer, Lao, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def is_short(text: str) -> bool:
    """Under four words (or, in a script without spaces, under 12 characters): too short to assert much."""
    if text.count(" ") >= 3:
        return False
    return len(text) < 12 or not _UNSPACED.search(text)


# Without English keywords, only a figure, a date or a marker (each has a digit) or a name can lift a
# sentence's score; a name alone is worth at most `_NAME_ONLY`.
_NAME_ONLY = 1.5


def can_score(text: str, english: bool, threshold: float = THRESHOLD) -> bool:
    """False when `score` of any sentence of `text` must come out under `threshold`: a skip before
    segmenting. Other languages' prose without a digit can only carry a name, never enough alone."""
    return english or threshold <= _NAME_ONLY or bool(_DIGIT.search(text))


def score(text: str, english: bool = True) -> tuple[float, dict[str, float]]:
    """The check-worthiness of one sentence (at or above `THRESHOLD`: a claim) and the signals behind it.

    For English, the score is `THRESHOLD` plus the learned model's log-odds (`_worthy_model`) over
    the named signals and the sentence's words. Other languages (`english=False`) have no keyword
    signals and no trained words: their score is the sum of the figure, date, name and marker signals.
    """
    total, signals, words, length = rules(text, english)
    if not english:
        return total, signals
    value = THRESHOLD + logit(load(), features(signals, total, words, length))
    if "fragment" in signals:  # a list item's verbless fragment asserts nothing on its own, whatever its words
        value = min(value, THRESHOLD - 1.0)
    return value, signals


def sentence_features(text: str) -> dict[str, float]:
    """The model's features for one English sentence (what the trainer learns from)."""
    total, signals, words, length = rules(text, True)
    return features(signals, total, words, length)


def rules(text: str, english: bool = True) -> tuple[float, dict[str, float], list[str] | None, int]:
    """The named signals and their sum; also the lower-cased words (English only) and the word count."""
    s: dict[str, float] = {}
    stripped = text.strip()
    if stripped[:2] == "**" and _BOLD_ONLY.match(stripped):
        s["label"] = -4  # a bold pseudo-heading, not a statement
    plain = stripped.replace("*", "").replace("_", "").replace("`", "").strip()
    if plain[:1] == "[" and _REFERENCE.match(plain):
        s["reference"] = -6  # `[Kaplan, J., … (2020). Title.]`: a source, not a statement
    has_marker = "[" in plain and _MARKERS.search(plain)
    bare = _MARKERS.sub("", plain).strip() if has_marker else plain
    if ":" in bare[:34]:  # "Sun: place them…" is about "place them…"
        bare = _LEAD_IN.sub("", bare)
    bits = 0
    words: list[str] | None = None
    if english:
        lower = frozenset(_TOKEN.findall(bare.lower()))
        words = _WORD.findall(stripped.lower())  # the model's words: apostrophes kept ("it's", "don't")
        for word in lower & _KEYWORDS:
            bits |= _LEXICON[word]
    if bare.endswith("?"):
        s["question"] = -6
    elif bare.endswith(":"):
        s["lead-in"] = -4
    if is_short(bare):
        s["short"] = -3
    opening = _OPENING.match(bare) if english else None
    if opening:
        kind = opening.lastgroup or "meta"
        s[kind] = _OPENING_WEIGHT[kind]
    if english:
        if is_review(bare):
            s["review"] = -4
        if (names_only(bare) if "*" not in stripped[:2] else is_fragment(stripped)):
            s["fragment"] = -4
    if _DIGIT.search(bare):
        _figures(bare, s)
    if bits:
        _keywords(bare, lower, bits, s)
    if "(" in bare and "attribution" not in s and _PAREN_YEAR.search(bare):  # `(2020)`: any language
        s["attribution"] = 1.5
    if bare and not bare[1:].islower():
        entities = _ENTITY.findall(bare, 1)
        if entities:
            s["entity"] = min(1.5, 0.75 * len(entities))
    if has_marker:
        s["cited"] = 1
    return sum(s.values()), s, words, len(words) if words is not None else bare.count(" ") + 1


def _keywords(bare: str, lower: frozenset[str], bits: int, s: dict[str, float]) -> None:
    """The signals that keywords carry, with a phrase regex only where the keyword is there."""
    if bits & _SUPER or (bits & _THAN_BIT and _THAN.search(bare)):
        s["comparison"] = 1
    if bits & _REPORT or (bits & _ACCORDING and "to" in lower) or (bits & _AL and "et" in lower):
        s["attribution"] = 1.5
    if _fact(bare, lower, bits):
        s["definition"] = 1
    hedges = len(lower & _HEDGE) if bits & _HEDGE_BIT else 0
    if hedges and "may" in lower and " may " not in bare and not bare.startswith("May "):
        hedges -= 1  # "on May 7, 1945": the month
    if bits & _PHRASE_BIT and _HEDGE_PHRASE.search(bare):
        hedges += 1
    if hedges:
        s["hedge"] = -1.5 * min(hedges, 2)
    if bits & _OPINION_BIT or (bits & _PHRASE_BIT and _OPINION_PHRASE.search(bare)):
        s["opinion"] = -1.5
    if bits & _PERSON_BIT and _PERSONAL.search(bare):
        s["personal"] = -2
    if bits & _BIT["number-word"] and "figure" not in s and "number" not in s:
        s["number"] = 1.5


def _figures(bare: str, s: dict[str, float]) -> None:
    """Numbers, figures with units and years; step and section numbers do not count."""
    unstepped = _STEP_NUMBERS.sub("", bare)
    if _FIGURE.search(unstepped):
        s["figure"] = 2.5
    elif _DIGIT.search(_YEAR.sub("", unstepped)):
        s["number"] = 1.5
    if _YEAR.search(bare):
        s["date"] = 1.5


def _fact(bare: str, lower: frozenset[str], bits: int) -> bool:
    """Definitional and relational facts: "X is the capital of Y", "X consists of Y", "X uses Y"."""
    if bits & _BIT["fact-verb"] or (bits & _BIT["consist"] and "of" in lower):
        return True
    if not bits & _BIT["copula"]:
        return False
    return bool((bits & _BIT["role"] and _ROLE_FACT.search(bare)) or (bits & _BIT["state"] and _STATE_FACT.search(bare)))
