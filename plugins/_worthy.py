"""Check-worthiness: an offline, deterministic score for "this sentence asserts something checkable".

Signals for: figures, dates, comparisons and superlatives, named entities, attributions,
citation markers, definitional facts. Signals against: hedges, questions, imperatives and
advice, meta-text, opinion, labels. Each signal is a named weight, so a finding can say why.
"""

from __future__ import annotations

import re

THRESHOLD = 2.0

_MARKERS = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
_FIGURE = re.compile(
    r"(?:[$€£¥]\s?\d|\d[\d,.]*\s?(?:%|percent|×|x\b|-fold|times\b|k\b|m\b|bn\b|billion|million|thousand|"
    r"km|kg|g/|mg|mph|°|tokens|watts?|kWh|MW|GW|GB|TB|parameters|users|people|years?|days?|hours?|degrees))",
    re.I,
)
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)s?\b")
_NUMBER = re.compile(r"\d")
_COMPARE = re.compile(
    r"\b(?:more|less|fewer|greater|higher|lower|faster|slower|larger|smaller|cheaper|better|worse)\s+than\b|"
    r"\b(?:the\s+)?(?:first|only|largest|biggest|smallest|fastest|highest|lowest|oldest|most|least|best|worst)\b|"
    r"\b(?:outperform\w*|surpass\w*|exceed\w*|doubl\w+|tripl\w+|halv\w+)\b",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"\baccording to\b|\bet al\.|\(\d{4}[a-z]?\)|\b(?:found|showed|shows|reported|reports|announced|estimated|"
    r"measured|demonstrated|concluded|published|released|launched|founded|invented|discovered|acquired|"
    r"introduced|developed|built|won|signed|ratified|elected|born|died)\b",
    re.I,
)
_FACT = re.compile(
    r"\b(?:is|are|was|were)\s+(?:the|a|an)\s+(?:capital|largest|official|first|home|part|member|founder|author|"
    r"inventor|successor|predecessor|unit|standard)\b|\b(?:is|are|was|were)\s+(?:located|based|made|named|called|"
    r"known|composed|written|designed)\b|\b(?:consists? of|contains?|causes?|requires?|uses?|runs?|supports?)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:may|might|could|perhaps|possibly|potentially|likely|unlikely|probably|seems?|appears?|suggests?|"
    r"arguably|I think|I believe|we believe|in my (?:view|opinion)|it is (?:possible|unclear)|speculat\w+|"
    r"hope|hopefully|depend(?:s|ing)? on|vary|varies|can vary|imagine|predict\w*)\b",
    re.I,
)
_IMPERATIVE = re.compile(
    r"^(?:step\s+\d+\s*[:.]\s*)?(?:please\s+)?(?:add|ask|avoid|be|begin|buy|call|check|choose|click|compare|"
    r"consider|cook|create|do|don't|drink|eat|enable|ensure|get|go|install|keep|let's|look|make|mix|note|open|"
    r"pick|plan|preheat|read|remember|remove|run|save|see|set|start|stir|take|talk|test|think|track|try|turn|"
    r"type|use|verify|visit|wait|watch|write)\b",
    re.I,
)
_META = re.compile(
    r"^(?:here(?:'s| is| are)|below|the following|in (?:summary|short|conclusion)|to (?:summari[sz]e|sum up)|"
    r"let me|i hope|i'd|i would|would you|if you(?:'d| would) like|feel free|great question|sure[,!]|certainly|"
    r"of course|absolutely|overall,|in this (?:answer|section|post)|next,? we|this (?:guide|answer|section))",
    re.I,
)
_OPINION = re.compile(
    r"\b(?:should|must|need to|important to|worth|I recommend|we recommend|ideal|great|excellent|amazing|beautiful|"
    r"wonderful|fascinating|exciting|key is|best (?:way|practice)|crucial|essential)\b",
    re.I,
)
_STEP_NUMBERS = re.compile(r"\b(?:step|section|part|chapter|item|tip|option|point)s?\s+\d|\bnext\s+\d|\b\d+\s+(?:sets?|reps?|sections?|steps?|tips?|ways?|things?|minutes? to)\b", re.I)
_BOLD_ONLY = re.compile(r"^\*\*[^*]+\*\*[.:]?$")
_LEAD_IN = re.compile(r"^(?:[A-Z][\w /&–-]{0,30}?):\s+(?=\S)")
_CONDITIONAL = re.compile(r"^(?:if|when|once|unless)\s+you\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|we|our)\b")
_ENTITY = re.compile(r"(?<=[\s(“\"'])(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|[A-Z]{2,}[a-z]?)\b")


def score(text: str) -> tuple[float, dict[str, float]]:
    """The check-worthiness of one sentence and the signals behind it."""
    s: dict[str, float] = {}
    if _BOLD_ONLY.match(text.strip()):
        s["label"] = -4  # a bold pseudo-heading, not a statement
    plain = re.sub(r"[*_`]", "", text).strip()
    bare = _LEAD_IN.sub("", _MARKERS.sub("", plain).strip())  # "Sun: place them…" is about "place them…"
    words = bare.split()
    if bare.endswith("?"):
        s["question"] = -6
    if len(words) < 4:
        s["short"] = -3
    if _META.match(bare):
        s["meta"] = -4
    if bare.endswith(":"):
        s["lead-in"] = -4
    if _IMPERATIVE.match(bare):
        s["imperative"] = -4
    numbers = _NUMBER.findall(_STEP_NUMBERS.sub("", _YEAR.sub("", bare)))
    if _FIGURE.search(_STEP_NUMBERS.sub("", bare)):
        s["figure"] = 2.5
    elif numbers:
        s["number"] = 1.5
    if _YEAR.search(bare):
        s["date"] = 1.5
    if _COMPARE.search(bare):
        s["comparison"] = 1
    if _ATTRIBUTION.search(bare):
        s["attribution"] = 1.5
    if _FACT.search(bare):
        s["definition"] = 1
    entities = _ENTITY.findall(" " + bare[1:] if bare else "")
    if entities:
        s["entity"] = min(1.5, 0.75 * len(entities))
    if _MARKERS.search(plain):
        s["cited"] = 1
    hedges = len(_HEDGE.findall(bare))
    if hedges:
        s["hedge"] = -1.5 * min(hedges, 2)
    if _OPINION.search(bare):
        s["opinion"] = -1.5
    if _CONDITIONAL.match(bare):
        s["advice"] = -3
    if _FIRST_PERSON.search(bare):
        s["personal"] = -2
    return sum(s.values()), s
